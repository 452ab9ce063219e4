"""Real services for the tests: moto server and a private PostgreSQL, on free loopback ports.

Each is started by the same launcher the local stack uses (twin/), so the tests exercise
what `make up` runs. Everything binds 127.0.0.1 and is stopped by the fixture that made it.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import random
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


# Ports handed out stay ours until this process exits: each is an flock on a file every test
# process shares, so no other worker (or molecule, or bench) is handed it meanwhile.
PORT_LOCKS = Path(tempfile.gettempdir()) / "vf-test-ports"
_held: list = []


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port no other test process holds and no outgoing connection can take.

    A port from bind(0) is an ephemeral one: between being handed out and a server binding it
    (a minute later, for the edge at the end of site.yml), any client connection or another
    worker's bind(0) could take it, and the server fails to start (the CI run where Caddy never
    listened). These come from below the kernel's ephemeral range, reserved by a lock file.
    """
    return free_ports(1)


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive loopback ports, each held as ``free_port`` holds one
    (a service's instances listen on consecutive ports from its own)."""
    PORT_LOCKS.mkdir(exist_ok=True)
    low, high = 15000, _ephemeral_low() - count + 1
    start = random.randrange(low, high)
    for first in itertools.chain(range(start, high), range(low, start)):
        locks = []
        for port in range(first, first + count):
            lock = open(PORT_LOCKS / str(port), "a")  # held until this process exits
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                break
            locks.append(lock)
            if not _bindable(port):
                break
        else:
            _held.extend(locks)
            return first
        for lock in locks:
            lock.close()
    raise RuntimeError(f"no {count} free loopback ports in {low}-{high}")


def _bindable(port: int) -> bool:
    """Both TCP and UDP (Caddy's HTTP/3 listens on its HTTPS port over UDP)."""
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


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
    # As the local stack runs it (roles/local_supervisor): a requested certificate is issued at
    # once, not after moto's default minute (the edge's and the CDN's certificates wait for it).
    env = {"MOTO_ACM_VALIDATION_WAIT": "0", **os.environ}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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
