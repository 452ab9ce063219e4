"""Real services for the tests: moto server and a private PostgreSQL, on free loopback ports.

Each is started by the same launcher the local stack uses (tools/), so the tests exercise
what `make up` runs. Everything binds 127.0.0.1 and is stopped by the fixture that made it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"

AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-2",
    "AWS_REGION": "ap-southeast-2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout}s: {last}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Emulator:
    url: str
    port: int
    process: subprocess.Popen

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()


@contextmanager
def aws_emulator(log_dir: Path, recording: Path | None = None) -> Iterator[Emulator]:
    port = free_port()
    cmd = [sys.executable, str(TOOLS / "aws_emulator.py"), "--port", str(port)]
    if recording:
        cmd += ["--recording", str(recording)]
    log = open(log_dir / f"moto-{port}.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        # The launcher opens its port only once it is ready (after any replay).
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close() is None, 60, "moto")
        yield Emulator(url, port, proc)
    finally:
        stop(proc)
        log.close()


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    datadir: Path
    process: subprocess.Popen

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"


@contextmanager
def postgres() -> Iterator[Postgres]:
    # mkdtemp makes a 0700 dir; the cluster's unprivileged owner must be able to reach into it.
    base = Path(tempfile.mkdtemp(prefix="vf-pg-"))
    base.chmod(0o755)
    datadir = base / "data"
    port = free_port()
    subprocess.run(
        [sys.executable, str(TOOLS / "pgctl.py"), "init", str(datadir)], check=True, capture_output=True
    )
    log = open(base / "postgres.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, str(TOOLS / "pgctl.py"), "run", str(datadir), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    pg = Postgres("127.0.0.1", port, "videoforge", datadir, proc)
    try:
        import psycopg

        wait_for(lambda: psycopg.connect(pg.dsn(), connect_timeout=2).close() is None, 30, "postgres")
        yield pg
    finally:
        stop(proc)
        log.close()
        subprocess.run(["rm", "-rf", str(base)], check=False)


def set_aws_test_env(endpoint_url: str) -> dict[str, str]:
    """Point boto3 (and every module) at the emulator, as the local inventory does."""
    previous = {k: os.environ.get(k) for k in [*AWS_TEST_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(AWS_TEST_ENV)
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    return previous
