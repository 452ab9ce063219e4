"""Every role explains itself: a README in the Galaxy style whose arguments are the
role's argument specs, rendered by tools/role_readme.py, never a second hand-kept list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
SECTIONS = ["## Arguments", "## What it publishes", "## Example", "## How molecule proves it"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_readme_with_every_section(role):
    readme = ROOT / "roles" / role / "README.md"
    assert readme.exists(), f"roles/{role} has no README.md"
    text = readme.read_text()
    assert text.startswith(f"# Role `{role}`")
    assert [s for s in SECTIONS if s not in text] == []


def test_the_arguments_in_every_readme_are_the_argument_specs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "role_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"run `python tools/role_readme.py`:\n{proc.stdout}"


def test_a_required_argument_reads_as_required():
    table = (ROOT / "roles" / "edge" / "README.md").read_text()
    assert "| `edge_region` | str | **required** |" in table
