"""The local platform's lifecycle, as `make` uses it.

    python tools/stack.py running   exit 0 when supervisord runs for this state dir, 1 when not
    python tools/stack.py url       print where a person opens VideoForge
    python tools/stack.py status    the supervised processes
    python tools/stack.py down      stop everything (data stays in the state dir)

The state dir is VF_STATE_DIR (default: .state beside this repository).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("VF_STATE_DIR") or ROOT / ".state")
CONF = STATE / "supervisor" / "supervisord.conf"
PIDFILE = STATE / "run" / "supervisord.pid"
BIN = Path(sys.executable).parent


def supervisord_pid() -> int | None:
    try:
        pid = int(PIDFILE.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    # A stale pidfile may name an unrelated process after a reboot.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"supervisord" in cmdline else None


def ctl(*args: str) -> int:
    return subprocess.run([str(BIN / "supervisorctl"), "-c", str(CONF), *args], check=False).returncode


def url() -> int:
    site = (STATE / "site-url").read_text().strip() if (STATE / "site-url").exists() else None
    if not site:
        print("VideoForge is not up: run `make up`", file=sys.stderr)
        return 1
    print()
    print(f"  VideoForge is running: {site}")
    print("  (a local certificate authority signs it: accept the browser's warning once)")
    print(f"  State and logs: {STATE}  -  `make down` stops it, `make up` brings it back.")
    print()
    return 0


def down() -> int:
    pid = supervisord_pid()
    if pid is None:
        print("VideoForge is not running")
        return 0
    os.kill(pid, 15)  # supervisord stops its children in order, then itself
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and supervisord_pid() is not None:
        time.sleep(0.2)
    if supervisord_pid() is not None:
        print(f"supervisord (pid {pid}) did not stop within 60 s", file=sys.stderr)
        return 1
    print("VideoForge stopped; data kept in", STATE)
    return 0


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    if cmd == "running":
        return 0 if supervisord_pid() else 1
    if cmd == "url":
        return url()
    if cmd == "down":
        return down()
    if cmd == "status":
        if supervisord_pid() is None:
            print("VideoForge is not running")
            return 3
        return ctl("status")
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
