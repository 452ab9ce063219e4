"""The local AWS endpoint: moto server on loopback, its state kept on disk across restarts.

    python -m twin.emulator --port 4566 [--state DIR] [--faults paging,throttle,consistency,latency]

With ``--faults`` (default: ``$VF_AWS_FAULTS``) the endpoint is as unkind as AWS: see
``faults``.

With ``--state DIR`` the endpoint keeps what AWS acknowledged in ``DIR/journal.jsonl`` and
S3 object bytes as files under ``DIR/objects/`` (see ``persistence``), restores them on
start and only then opens its port, so no client ever sees a half-restored endpoint. A
state written by the launcher's first format (``DIR/recording.jsonl``, every write with
its body) is upgraded on the first start. ``GET /_videoforge/state`` answers what is kept.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from twin.emulator import blobs, cloudfront, faults, moto_fixes, origin_access, presigned, seeds, snapshots
from twin.emulator.journal import Journal
from twin.emulator.persistence import (
    ENTRY_DEADLINE,
    SEED_KEY,
    Persistence,
    Restore,
    call_app,
    compact,
    make_environ,
    restore,
    timed,
    with_deadline,
)

log = logging.getLogger("twin.emulator")
OLD_RECORDING = "recording.jsonl"


def upgrade(persistence: Persistence, old: Path, report: Restore) -> None:
    """Replay a first-format recording (moto's recorder) through the journaling middleware.

    Each recorded write goes through ``persistence`` as if a client sent it now, with the
    seed it had then (its line number), so it is journaled the new way: control requests
    as requests, objects as files. moto draws multipart upload ids from os.urandom, so a
    replayed upload is renamed to the id the recording's later requests name it by.
    Writes that failed when they were recorded (a delete by a receipt handle of a receive
    that was never recorded, a part whose body never arrived) fail again and are skipped.
    """
    report.upgraded_from = str(old)
    uploads = UploadIds()
    with open(old, "rb") as fh:
        for number, line in enumerate(fh, 1):
            where = f"{old.name}:{number}"
            try:
                recorded = json.loads(line)
                method, url = recorded["method"], urlsplit(recorded["url"])
                raw = recorded.get("body") or ""
                body = base64.b64decode(raw) if recorded.get("body_encoded") else raw.encode("utf-8")
                environ = make_environ(method, url.path or "/", url.query, recorded["headers"], body)
            except (ValueError, KeyError, TypeError) as exc:
                report.skip(where, f"not a recorded request ({exc})")
                continue
            environ[SEED_KEY] = number
            report.entries += 1
            uploads.adopt(url.path, url.query)
            try:
                status, answer = with_deadline(lambda e=environ: call_app(persistence, e), ENTRY_DEADLINE)
            except Exception as exc:
                report.skip(where, f"{method} {url.path}: {type(exc).__name__}: {exc}")
                continue
            if status >= 400:
                report.skip(
                    where, f"{method} {url.path}: HTTP {status} (it failed when recorded, or never completed)"
                )
                continue
            report.applied += 1
            uploads.created(url.path, url.query, answer)


class UploadIds:
    """Gives replayed multipart uploads back the ids the recording knows them by."""

    def __init__(self) -> None:
        self.new_for_key: dict[str, str] = {}  # path -> id of an upload created on replay

    def created(self, path: str, query: str, answer: bytes) -> None:
        match = re.search(rb"<UploadId>([^<]+)</UploadId>", answer)
        if "uploads" in parse_qs(query, keep_blank_values=True) and match:
            self.new_for_key[path] = match[1].decode()

    def adopt(self, path: str, query: str) -> None:
        """Before a recorded request naming an upload: rename the replayed upload to that name."""
        old = (parse_qs(query, keep_blank_values=True).get("uploadId") or [None])[0]
        new = self.new_for_key.pop(path, None)
        bucket = snapshots.find_bucket(unquote(path).lstrip("/").split("/", 1)[0])
        if old and new and bucket is not None:
            snapshots.rename_upload(bucket, new, old)


def load_state(state: Path, persistence: Persistence, moto_app: Any) -> Restore:
    """Restore (or upgrade) ``state`` into moto, compact it, and start journaling."""
    journal = persistence.journal
    assert journal is not None
    report = Restore()
    old = state / OLD_RECORDING
    if journal.path.exists() or not old.exists():
        timed(report, lambda: restore(moto_app, journal, report))
    else:
        timed(report, lambda: upgrade(persistence, old, report))
    timed(report, lambda: compact(journal))
    if report.upgraded_from:
        old.rename(old.with_name(OLD_RECORDING + ".upgraded"))
    journal.open()
    persistence.status.update(report.as_dict() | {"state_dir": str(state)})
    (state / "restore.json").write_text(json.dumps(persistence.status | journal.summary(), indent=2) + "\n")
    return report


def build(args: argparse.Namespace) -> tuple[Any, Restore | None]:
    """The endpoint's WSGI app and what its restore did."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_fixes.install()
    cloudfront.install()
    journal = None
    if args.state:
        state = Path(args.state)
        state.mkdir(parents=True, exist_ok=True)
        store = blobs.BlobStore(state / "objects")
        blobs.install(store)
        journal = Journal(state / "journal.jsonl", store)
    seeds.make_ids_replayable()
    seeds.create_defaults([r for r in args.regions.split(",") if r])
    moto_app = DomainDispatcherApplication(create_backend_app)
    persistence = Persistence(moto_app, journal, Path(args.request_log) if args.request_log else None)
    report = load_state(Path(args.state), persistence, moto_app) if args.state else None
    app: Any = presigned.PresignedUrls(
        origin_access.OriginAccess(persistence), presigned.parse_credentials(args.credentials)
    )
    if not args.faults:
        return app, report
    latency = faults.Latency(args.latency_median_ms / 1000, args.latency_p95_ms / 1000)
    config = faults.Config.parse(args.faults, args.fault_seed, args.fault_rate, args.fault_settle, latency)
    log.warning("hostile mode: %s (seed %s)", ", ".join(sorted(config.kinds)), config.seed)
    return faults.Faults(app, config, persistence.status), report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m twin.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--state", help="keep state in this directory across restarts")
    parser.add_argument(
        "--request-log", help="append one JSON line per request (time, method, action, kind, status)"
    )
    env = os.environ
    parser.add_argument(
        "--credentials",
        default=env.get("VF_AWS_CREDENTIALS", "testing:testing"),
        help="KEY:SECRET,... whose presigned S3 URLs are verified (expiry, signature)",
    )
    parser.add_argument(
        "--faults",
        default=env.get("VF_AWS_FAULTS", ""),
        help="comma list of paging, throttle, consistency, latency (default: $VF_AWS_FAULTS)",
    )
    parser.add_argument("--fault-seed", type=int, default=int(env.get("VF_AWS_FAULT_SEED", "1")))
    parser.add_argument(
        "--fault-rate", type=float, default=float(env.get("VF_AWS_FAULT_RATE", "0.1")), help="share throttled"
    )
    parser.add_argument(
        "--fault-settle",
        type=float,
        default=float(env.get("VF_AWS_FAULT_SETTLE", "5")),
        help="seconds a new role, instance profile or certificate is not yet usable",
    )
    parser.add_argument(
        "--latency-median-ms",
        type=float,
        default=float(env.get("VF_AWS_LATENCY_MEDIAN_MS", faults.LATENCY.median * 1000)),
        help="under latency: a read's median delay (a write's is longer)",
    )
    parser.add_argument(
        "--latency-p95-ms",
        type=float,
        default=float(env.get("VF_AWS_LATENCY_P95_MS", faults.LATENCY.p95 * 1000)),
        help="under latency: a read's 95th percentile delay",
    )
    parser.add_argument(
        "--regions",
        default="ap-southeast-2",
        help="comma-separated regions whose default VPC is made up front",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    app, report = build(args)
    if report is not None:
        print(json.dumps({"event": "restored"} | report.as_dict()), flush=True)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(json.dumps({"event": "listening", "host": args.host, "port": args.port}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
