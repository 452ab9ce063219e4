"""Load for the benchmarks: CLIENTS keep-alive HTTP/1.1 connections (plain or TLS), each
requesting one URL back to back.

``hammer`` is a light asyncio client that counts body bytes without keeping them, so the
server, not the client, sets the pace as far as one event loop can. ``compare`` drives its
targets with wrk (Debian's, a C client: `make wrk`) when it is installed, since decrypting
megabyte bodies in Python makes the client the bottleneck, else with ``hammer``; it
interleaves rounds of its targets (a, b, a, b, ...) and reports, for each, req/s and MB/s per
round and their medians, latency, and the CPU seconds the target's server process spent per
request (psutil): on a machine shared with the load generator and other work, CPU per request
is the steadier measure of what serving costs.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
import statistics
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import psutil

CLIENTS = 8


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``get`` sends a request and waits for its whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()
        self.status = 0
        self.length: int | None = None
        self.received = 0
        self.headers: dict[str, str] = {}
        self.done: asyncio.Future | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(ConnectionError(f"connection closed mid-response: {exc}"))

    def data_received(self, data: bytes) -> None:
        if self.length is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.head[:end]).decode("latin-1").split("\r\n")
            self.headers = {
                k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])
            }
            self.status = int(lines[0].split()[1])
            # Content-Length framing only: a chunked or closing answer would not be comparable.
            assert "content-length" in self.headers, lines
            assert self.headers.get("connection", "").lower() != "close", lines
            self.length = int(self.headers["content-length"])
            self.received = len(self.head) - end - 4
            self.head = bytearray()
        else:
            self.received += len(data)
        if self.received >= self.length and self.done is not None and not self.done.done():
            self.done.set_result((self.status, self.received))

    async def get(self, request: bytes) -> tuple[int, int]:
        self.length, self.received = None, 0
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await asyncio.wait_for(self.done, 30)


def request_bytes(url: str, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def hammer(url: str, seconds: float, expect_len: int, headers: dict[str, str] | None = None) -> dict:
    """CLIENTS connections requesting ``url`` back to back for ``seconds``; every answer must be
    a 200 of ``expect_len`` bytes, not encoded."""
    parts = urlsplit(url)
    context = None
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # a local authority; TLS is still done in full
    request = request_bytes(url, {"Accept": "*/*", **(headers or {})})
    loop = asyncio.get_running_loop()
    conns = [
        (await loop.create_connection(Connection, parts.hostname, parts.port, ssl=context))[1]
        for _ in range(CLIENTS)
    ]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lengths: set[int] = set()
    encodings: set[str] = set()

    async def worker(conn: Connection, deadline: float) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, length = await conn.get(request)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            lengths.add(length)
            encodings.add(conn.headers.get("content-encoding", ""))

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(c, started + seconds) for c in conns))
        elapsed = time.perf_counter() - started
    finally:
        for c in conns:
            c.transport.close()
    latencies.sort()
    assert statuses.keys() == {"200"}, statuses
    assert lengths == {expect_len}, (lengths, expect_len)
    assert encodings == {""}, encodings
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "mb_per_s": round(len(latencies) * expect_len / elapsed / 1e6, 2),
        "median_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 2),
    }


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: float, expect_len: int, headers: dict[str, str] | None = None) -> dict:
    """``hammer``'s figures, from one wrk thread with CLIENTS connections; any answer that is
    not a 2xx or 3xx fails (wrk counts them), lengths are checked by the caller's first fetch."""
    args = ["wrk", "-t1", f"-c{CLIENTS}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    assert "Non-2xx or 3xx responses" not in out and "Socket errors" not in out, out
    requests = int(re.search(r"(\d+) requests in", out)[1])
    elapsed = float(re.search(r"requests in ([\d.]+)s", out)[1])
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p90 = re.search(r"90%\s+([\d.]+)(us|ms|s)", out)
    return {
        "requests": requests,
        "seconds": elapsed,
        "req_per_s": round(requests / elapsed, 1),
        "mb_per_s": round(requests * expect_len / elapsed / 1e6, 2),
        "median_ms": round(float(median[1]) * WRK_UNITS[median[2]], 3),
        "p90_ms": round(float(p90[1]) * WRK_UNITS[p90[2]], 3),
    }


def generator() -> str:
    return "wrk (1 thread)" if shutil.which("wrk") else "bench/load.py hammer (asyncio)"


def run(url: str, seconds: float, expect_len: int, headers: dict[str, str] | None) -> dict:
    if shutil.which("wrk"):
        return wrk(url, seconds, expect_len, headers)
    return asyncio.run(hammer(url, seconds, expect_len, headers))


@dataclass
class Target:
    name: str
    url: str
    pid: int  # the serving process, whose CPU time is measured
    headers: dict[str, str] | None = None


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def compare(targets: list[Target], expect_len: int, seconds: float, rounds: int, warmup: float = 1.0) -> dict:
    """Rounds of each target in turn; per target the medians and CPU ms per request."""
    for target in targets:
        run(target.url, warmup, expect_len, target.headers)
    runs: dict[str, list[dict]] = {t.name: [] for t in targets}
    for _ in range(rounds):
        for target in targets:
            cpu = _cpu(target.pid)
            result = run(target.url, seconds, expect_len, target.headers)
            result["server_cpu_ms_per_request"] = round(
                (_cpu(target.pid) - cpu) * 1000 / result["requests"], 4
            )
            runs[target.name].append(result)
    summary: dict = {
        "load_generator": generator(),
        "clients": CLIENTS,
        "seconds_per_round": seconds,
        "rounds": rounds,
        "bytes": expect_len,
    }
    for name, results in runs.items():
        summary[name] = {
            "median_req_per_s": round(statistics.median(r["req_per_s"] for r in results), 1),
            "median_mb_per_s": round(statistics.median(r["mb_per_s"] for r in results), 2),
            "median_latency_ms": round(statistics.median(r["median_ms"] for r in results), 2),
            "median_server_cpu_ms_per_request": round(
                statistics.median(r["server_cpu_ms_per_request"] for r in results), 4
            ),
            "req_per_s_per_round": [r["req_per_s"] for r in results],
            "rounds": results,
        }
    return summary
