"""ansible-lint, every rule and option as given, but for its syntax check.

    python tools/ansible_lint.py [ansible-lint arguments]

ansible-lint checks syntax with one ``ansible-playbook --syntax-check`` process per playbook and
per role (72 here, about a minute of CPU: nearly all of what `make lint` took); tests/test_lint.py
checks the syntax of the same playbooks and roles in one process beside it. ansible-lint 26.10
has no public setting for this (its syntax-check rule is unskippable and its configuration
schema admits no other key); the switch is the private option its own ``--fix`` reruns set. If a
later ansible-lint drops that option, setting it does nothing and ansible-lint checks the syntax
itself again: slower, never weaker.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ansiblelint import __main__ as cli
from ansiblelint.config import options

_initialize_options = cli.initialize_options


def initialize_options(arguments: list[str] | None = None):
    """ansible-lint's own, then its syntax check off."""
    lock = _initialize_options(arguments)
    options._skip_ansible_syntax_check = True
    return lock


if __name__ == "__main__":
    cli.initialize_options = initialize_options
    # argv[0] as ansible-lint's own: it finds ansible beside it (this interpreter's).
    sys.exit(cli.main([str(Path(sys.executable).parent / "ansible-lint"), *sys.argv[1:]]))
