"""Real services for the tests: moto server and a private PostgreSQL, on free loopback ports.

Each is started by the same launcher the local stack uses (twin/), so the tests exercise
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
def aws_emulator(
    log_dir: Path, state: Path | None = None, request_log: Path | None = None, port: int | None = None
) -> Iterator[Emulator]:
    """The local AWS endpoint (``python -m twin.emulator``), as the local stack runs it.

    ``state``: keep state in that directory across restarts; ``request_log``: one JSON
    line per request it answers (what a test proves ``--check`` did not do).
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "twin.emulator", "--port", str(port)]
    if state:
        cmd += ["--state", str(state)]
    if request_log:
        cmd += ["--request-log", str(request_log)]
    log = open(log_dir / f"moto-{port}.log", "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        # The endpoint opens its port only once it is ready (after any restore).
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
        [sys.executable, "-m", "twin.pgctl", "init", str(datadir)], cwd=ROOT, check=True, capture_output=True
    )
    log = open(base / "postgres.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin.pgctl", "run", str(datadir), "--port", str(port)],
        cwd=ROOT,
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
