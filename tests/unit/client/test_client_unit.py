"""Runs the client's JavaScript unit tests (vitest, the *.test.js files beside this one) from pytest,
so `make test` covers them. `make -C apps/client test` installs the pinned packages when needed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[3] / "apps" / "client"


def test_client_unit_tests_pass():
    if shutil.which("npm") is None:
        pytest.fail("npm is not installed: the client's unit tests need Node.js")
    proc = subprocess.run(
        ["make", "-s", "-C", str(CLIENT), "test"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "CI": "true"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]
    assert " passed" in proc.stdout
