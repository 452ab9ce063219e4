"""The local AWS endpoint: moto server on loopback, with its state kept across restarts.

moto keeps state in memory. To survive a restart of the stack we record every request
that changes state (moto's recorder, filtered here so reads, polls and sign-ins are not
replayed) and, on start, replay the recording into a private port before opening the real
one, so no client ever sees a half-restored emulator.

    python tools/aws_emulator.py --port 4566 [--recording FILE]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import signal
import socket
import sys
import threading
from urllib.parse import parse_qs

# Reads are never replayed: they change nothing, and a replayed long poll would block.
READ_ACTION_PREFIXES = ("Describe", "List", "Get", "Receive", "Head", "Check", "Lookup", "Discover")
READ_ACTIONS = frozenset({"InitiateAuth", "RespondToAuthChallenge", "AdminInitiateAuth", "GlobalSignOut"})


def action_of(headers: dict[str, str], body: bytes, query: str) -> str | None:
    """The API action of a request, or None for REST calls (S3) that carry none."""
    target = headers.get("X-Amz-Target") or headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    for source in (query, body.decode("utf-8", "replace") if body else ""):
        action = parse_qs(source).get("Action")
        if action:
            return action[0]
    return None


def is_read(method: str, headers: dict[str, str], body: bytes, query: str) -> bool:
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    action = action_of(headers, body, query)
    return bool(action) and (action.startswith(READ_ACTION_PREFIXES) or action in READ_ACTIONS)


_local = threading.local()
_writes = itertools.count(1)
_writes_lock = threading.Lock()


def _thread_rng() -> random.Random:
    rng = getattr(_local, "rng", None)
    if rng is None:
        rng = _local.rng = random.Random()  # noqa: S311 - emulator ids, not secrets
    return rng


def make_ids_replayable() -> None:
    """Give every write request ids that depend only on its place in the sequence of writes.

    A replayed request must create the very ids the original did: later requests in the
    recording name them (an Auto Scaling Group its launch template id, a listener its
    target group ARN). moto draws every id from one RNG; here each thread gets its own,
    and each write reseeds its thread's RNG with its sequence number, so concurrent reads
    (receipt handles, request ids) cannot shift the ids a write creates.
    """
    from moto.moto_api._internal import mock_random

    # Random's other methods (choice, uuid4, ...) are built on these two primitives.
    mock_random.random = lambda: _thread_rng().random()
    mock_random.getrandbits = lambda k: _thread_rng().getrandbits(k)


def create_defaults(regions: list[str]) -> None:
    """Create each region's default VPC, subnets and security group with fixed ids.

    moto makes them lazily, on the first EC2 call, from whatever random state that moment
    has; recorded requests name their ids (a security group's VPC, an ALB's subnets), so
    they must come out the same on every start.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    for region in regions:
        _thread_rng().seed(f"videoforge-defaults-{region}")
        ec2_backends[DEFAULT_ACCOUNT_ID][region].describe_vpcs()


def install_filter() -> None:
    """Record writes only, and seed each write's ids from its sequence number."""
    from moto.moto_api._internal.recorder.models import Recorder

    original = Recorder._record_request

    def record_writes(self, request, body=None):  # type: ignore[no-untyped-def]
        raw = body
        if raw is None:
            length = int(request.headers.get("Content-Length") or 0)
            raw = request.environ["wsgi.input"].read(length) if length else b""
            request.environ["wsgi.input"] = io.BytesIO(raw)
        query = request.environ.get("QUERY_STRING", "")
        if is_read(request.method, dict(request.headers), raw or b"", query):
            return
        # Counted while replaying too (the recorder is paused then), so the sequence
        # continues where the recording ends.
        with _writes_lock:
            sequence = next(_writes)
        _thread_rng().seed(f"videoforge-write-{sequence}")
        if self._user_enabled:
            original(self, request, raw if body is not None else None)

    Recorder._record_request = record_writes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def replay(recording: str) -> int:
    """Replay ``recording`` into this process's backends through a private port."""
    from moto.moto_api import recorder
    from moto.server import ThreadedMotoServer

    with open(recording) as fh:
        entries = sum(1 for line in fh if line.strip())
    if not entries:
        return 0
    port = free_port()
    server = ThreadedMotoServer("127.0.0.1", port, verbose=False)
    server.start()
    try:
        recorder.replay_recording(target_host=f"http://127.0.0.1:{port}")
    finally:
        server.stop()
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--recording", help="keep state in this file across restarts")
    parser.add_argument(
        "--regions",
        default="ap-southeast-2",
        help="comma-separated regions whose default VPC is made up front",
    )
    args = parser.parse_args(argv)

    if args.recording:
        os.environ["MOTO_RECORDER_FILEPATH"] = args.recording
        os.environ["MOTO_ENABLE_RECORDING"] = "1"
        open(args.recording, "a").close()
    from moto.moto_api import recorder
    from moto.server import ThreadedMotoServer

    if args.recording:
        make_ids_replayable()
        create_defaults([r for r in args.regions.split(",") if r])
        install_filter()
        restored = replay(args.recording)
        recorder.start_recording()
        print(json.dumps({"event": "restored", "requests": restored}), flush=True)

    server = ThreadedMotoServer(args.host, args.port, verbose=False)
    server.start()
    print(json.dumps({"event": "listening", "host": args.host, "port": args.port}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
