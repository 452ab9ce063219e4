"""The linters, declared once: `make lint` runs this file alone (its items side by side), `make
test` runs its items on the suite's workers beside the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

LINTERS = {
    "ruff": [BIN / "ruff", "check", "."],
    "ruff-format": [BIN / "ruff", "format", "--check", "."],
    "yamllint": [BIN / "yamllint", "--strict", "."],
    # ansible-lint's rules over every file; the syntax check is test_syntax_of_every_playbook_and_role.
    "ansible-lint": [
        sys.executable,
        "tools/ansible_lint.py",
        "--profile",
        "production",
        "--strict",
        "--offline",
        "-q",
    ],
}
PLAY_KEYS = {"hosts", "import_playbook", "ansible.builtin.import_playbook"}


@pytest.mark.parametrize("name", LINTERS)
def test_linter_finds_nothing(name):
    proc = subprocess.run(LINTERS[name], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-20000:]


def playbooks() -> list[str]:
    """Every playbook of the tree, tracked or not: a YAML file of plays (what ansible-lint
    takes for one)."""
    listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.yml", "*.yaml"]
    found = []
    for name in subprocess.run(listing, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split():
        try:
            data = yaml.safe_load((ROOT / name).read_text())
        except (OSError, yaml.YAMLError):
            continue  # gone, or not YAML: yamllint and ansible-lint say so
        if (
            isinstance(data, list)
            and data
            and all(isinstance(p, dict) and PLAY_KEYS & p.keys() for p in data)
        ):
            found.append(name)
    return found


def roles_playbook(directory: Path) -> Path:
    """A play per role that imports it, as ansible-lint checks a role."""
    plays = [
        {
            "name": f"Check {role.name}",
            "hosts": "localhost",
            "tasks": [{"ansible.builtin.import_role": {"name": str(role)}}],
        }
        for role in sorted((ROOT / "roles").iterdir())
        if role.is_dir()
    ]
    path = directory / "roles.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    return path


def mocked_collections(directory: Path) -> Path:
    """Stand-ins for the modules .ansible-lint mocks (the collections make bench extracts)."""
    for name in yaml.safe_load((ROOT / ".ansible-lint").read_text()).get("mock_modules", []):
        namespace, collection, module = name.split(".")
        stub = (
            directory
            / "ansible_collections"
            / namespace
            / collection
            / "plugins"
            / "modules"
            / f"{module}.py"
        )
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("")
    return directory


def test_syntax_of_every_playbook_and_role(tmp_path):
    """Every playbook and role through `ansible-playbook --syntax-check`, in one process."""
    found = playbooks()
    assert "site.yml" in found
    collections = mocked_collections(tmp_path / "collections")
    command = [BIN / "ansible-playbook", "--syntax-check", *found, roles_playbook(tmp_path)]
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": f"{collections}:{ROOT / '.ansible' / 'collections'}"}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-20000:]
