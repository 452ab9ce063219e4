"""The linters, declared once: `make lint` runs this file alone, `make test` runs its items on
the suite's workers beside the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

LINTERS = {
    "ruff": ["ruff", "check", "."],
    "ruff-format": ["ruff", "format", "--check", "."],
    "yamllint": ["yamllint", "--strict", "."],
    "ansible-lint": ["ansible-lint", "--profile", "production", "--strict", "--offline", "-q"],
}


@pytest.mark.parametrize("name", LINTERS)
def test_linter_finds_nothing(name):
    command = [str(BIN / LINTERS[name][0]), *LINTERS[name][1:]]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-20000:]
