"""The local platform's lifecycle, as `make` uses it.

    python -m twin.stack running   exit 0 when supervisord runs for this state dir, 1 when not
    python -m twin.stack url       print where a person opens VideoForge
    python -m twin.stack status    the supervised processes, and what the AWS state holds
    python -m twin.stack down      stop everything (data stays in the state dir)

The state dir is VF_STATE_DIR (default: .state beside this repository).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
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


def size(n: float) -> str:
    """Bytes for a person: 512 B, 5.4 KiB, 1.2 GiB."""
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.1f} {unit}"


def aws_state() -> dict:
    """What the AWS endpoint keeps: asked of the endpoint when it runs, else read from disk."""
    aws = STATE / "aws"
    conf = STATE / "supervisor" / "conf.d" / "aws.conf"
    port = re.search(r"--port (\d+)", conf.read_text()) if conf.exists() else None
    if port:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port[1]}/_videoforge/state", timeout=5) as resp:
                return json.load(resp)
        except OSError:
            pass
    files = [p for p in (aws / "objects").glob("*/*") if p.is_file()]
    last = json.loads((aws / "restore.json").read_text()) if (aws / "restore.json").exists() else {}
    return last | {"object_files": len(files), "object_bytes": sum(p.stat().st_size for p in files)}


def status() -> int:
    running = supervisord_pid() is not None
    code = ctl("status") if running else 3
    if not running:
        print("VideoForge is not running")
    state = aws_state()
    journal = STATE / "aws" / "journal.jsonl"
    journal_size = size(journal.stat().st_size if journal.exists() else 0)
    objects = state.get("objects", state.get("object_files", 0))
    print(
        f"AWS state in {STATE / 'aws'}: {objects} objects, {size(state.get('object_bytes', 0))}, "
        f"{state.get('messages', '?')} queued messages; journal {journal_size}"
    )
    if "restored_entries" in state:
        print(
            f"  last start: restored {state['restored_entries']} entries in {state['restore_seconds']} s, "
            f"skipped {state['skipped_entries']}"
        )
        for reason in state.get("skipped_reasons", []):
            print(f"    skipped {reason}")
    return code


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    if cmd == "running":
        return 0 if supervisord_pid() else 1
    if cmd == "url":
        return url()
    if cmd == "down":
        return down()
    if cmd == "status":
        return status()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
