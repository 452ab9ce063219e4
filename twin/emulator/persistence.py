"""Keeping the endpoint's state across restarts: the journaling middleware, and the restore.

``Persistence`` stands in front of moto (a WSGI middleware). For each request it decides
its kind (``classify``), seeds the ids of a control-plane write from a counter kept in the
journal, forwards it, and once moto has answered below 400 and before the client hears of
it, journals what changed: the request itself (control plane), or the resulting state of
the S3 keys, uploads or SQS messages it touched (data plane).

``restore`` replays a journal into a fresh moto: requests through moto's app in-process
(exact bodies, so nothing can wait for bytes that never come), data-plane entries
straight into moto's models. An entry that cannot be applied is skipped with a warning
and counted; every entry has a deadline, so a restore always ends. The journal is then
rewritten compacted and object files nothing refers to are removed.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from twin.emulator import snapshots
from twin.emulator.classify import Call, classify, header, s3_target, signing_scope
from twin.emulator.journal import Entry, Journal, read_entries, superseded_lines
from twin.emulator.seeds import seed_thread

log = logging.getLogger("twin.emulator")
ENTRY_DEADLINE = 30.0  # seconds one journal entry may take to apply
SEED_KEY = "videoforge.seed"  # environ key: the seed an upgraded request had
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


# --- requests as environ dicts, both ways ------------------------------------------------


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def make_environ(method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes) -> dict:
    """A WSGI environ for a request replayed in-process (as werkzeug's server would build it)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(raw_path).encode("utf-8").decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": raw_path + (f"?{query}" if query else ""),
        "REQUEST_URI": raw_path + (f"?{query}" if query else ""),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4566",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        lower = name.lower()
        if lower in ("content-length", "transfer-encoding", "expect"):
            continue
        if lower == "content-type":
            environ["CONTENT_TYPE"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def entry_environ(entry: Entry) -> dict:
    body = base64.b64decode(entry["body"]) if entry.get("b64") else entry.get("body", "").encode("utf-8")
    return make_environ(entry["method"], entry["path"], entry.get("query", ""), entry["headers"], body)


def request_entry(call: Call, environ: dict, body: bytes, seed: int) -> Entry:
    try:
        text, b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, b64 = base64.b64encode(body).decode("ascii"), True
    raw = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
    return {
        "op": "request",
        "seed": seed,
        "service": call.service,
        "action": call.action,
        "method": call.method,
        "path": urlsplit(raw).path or "/",
        "query": environ.get("QUERY_STRING", ""),
        "headers": {k: v for k, v in request_headers(environ).items() if k != "Content-Length"},
        "body": text,
        "b64": b64,
    }


def call_app(app: WSGIApp, environ: dict) -> tuple[int, bytes]:
    """Run a WSGI app to the end: (status, body)."""
    status: list[int] = []

    def start_response(line: str, headers: list, exc_info: Any = None) -> Callable:
        status.append(int(line.split(" ", 1)[0]))
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return status[0] if status else 500, body


def with_deadline(work: Callable[[], Any], seconds: float) -> Any:
    """Run ``work`` in a thread of its own; raise TimeoutError if it has not ended in time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True, name="restore-entry")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"did not finish within {seconds:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# --- the middleware ------------------------------------------------------------------------


@dataclass
class Incoming:
    """A request as the middlewares see it: its parts, its small body, its kind."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    call: Call

    @classmethod
    def read(cls, environ: dict) -> Incoming:
        """Parse ``environ``; a small body is read once and put back, an object's bytes never."""
        method = environ["REQUEST_METHOD"]
        raw = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        path = unquote(urlsplit(raw).path or "/")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        headers = request_headers(environ)
        subdomain = _subdomain_bucket(environ)
        body = b""
        if not _carries_object_bytes(method, path, headers, query, subdomain):
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size) if size else b""
            environ["wsgi.input"] = io.BytesIO(body)
        return cls(path, query, headers, body, classify(method, path, headers, query, body, subdomain))


def _carries_object_bytes(method: str, path: str, headers: dict, query: dict, subdomain: str | None) -> bool:
    """An S3 object or part upload, or a browser's form POST to a bucket."""
    if method not in ("PUT", "POST"):
        return False
    _, service = signing_scope(headers, query)
    if service != "s3" and (service is not None or header(headers, "X-Amz-Target") is not None):
        return False
    _, key = s3_target(path, subdomain)
    return key is not None or (method == "POST" and not query)


def _subdomain_bucket(environ: dict) -> str | None:
    from types import SimpleNamespace

    from moto.s3.responses import S3Response
    from moto.s3.utils import bucket_name_from_url

    host = environ.get("HTTP_HOST", "")
    request = SimpleNamespace(headers={"host": host}, url=f"http://{host}/")
    return bucket_name_from_url(f"http://{host}/") if S3Response.subdomain_based_buckets(request) else None


class Persistence:
    """Journals what moto acknowledged; see the module's docstring."""

    def __init__(self, app: WSGIApp, journal: Journal | None, request_log: Path | None = None) -> None:
        self.app = app
        self.journal = journal
        self.request_log = open(request_log, "a", buffering=1) if request_log else None
        self.status: dict[str, Any] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        incoming = Incoming.read(environ)
        if incoming.path == "/_videoforge/state":
            return self._state(start_response)
        call = incoming.call
        seed = 0
        if call.kind == "control" and self.journal is not None:
            seed = environ.get(SEED_KEY) or self.journal.next_seed()
            seed_thread(seed)
        answered: list[int] = []

        def recording_start_response(line: str, response_headers: list, exc_info: Any = None) -> Callable:
            answered.append(int(line.split(" ", 1)[0]))
            return start_response(line, response_headers, exc_info)

        result = self.app(environ, recording_start_response)
        status = answered[0] if answered else 500
        if status < 400 and self.journal is not None:
            self._journal(call, environ, incoming.body, incoming.path, seed)
        self._log(call, status)
        return result

    def _journal(self, call: Call, environ: dict, body: bytes, path: str, seed: int) -> None:
        if call.kind == "control":
            self.journal.keep_request(request_entry(call, environ, body, seed))
        elif call.kind == "objects":
            self._sync_objects(call, body)
        elif call.kind == "messages":
            self.journal.sync_queues()
        elif call.kind == "sessions":
            self.journal.sync_sessions()
        elif call.kind == "admin" and call.method == "POST" and path == "/moto-api/reset":
            self.journal.reset()
        self.journal.collect_garbage()

    def _sync_objects(self, call: Call, body: bytes) -> None:
        bucket = snapshots.find_bucket(call.bucket or "")
        if bucket is None:
            return
        query = call.query or {}
        if call.key is not None:
            self.journal.sync_key(bucket, call.key)
            if "uploadId" in query:
                self.journal.sync_upload(bucket, query["uploadId"][0])
            elif "uploads" in query:
                self.journal.sync_uploads(bucket)
        else:
            self.journal.sync_keys(bucket, deleted_keys(body) if "delete" in query else None)

    def _log(self, call: Call, status: int) -> None:
        if self.request_log is not None:
            line = {"t": round(time.time(), 3), "service": call.service, "action": call.action}
            line["method"] = call.method
            line |= {"kind": call.kind, "write": not call.is_read, "status": status}
            self.request_log.write(json.dumps(line) + "\n")

    def _state(self, start_response: Callable) -> list[bytes]:
        body = json.dumps((self.journal.summary() if self.journal else {}) | self.status).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def deleted_keys(body: bytes) -> list[str] | None:
    """The keys of a DeleteObjects request body; None when it cannot be read (sync them all)."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - a request our own endpoint already accepted
    except ET.ParseError:
        return None
    return [el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Key"]


# --- restore -------------------------------------------------------------------------------


@dataclass
class Restore:
    """What a restore did, for the log, `make up` and `make status`."""

    entries: int = 0
    applied: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    upgraded_from: str | None = None

    def skip(self, where: str, why: str) -> None:
        self.skipped += 1
        if len(self.reasons) < 20:
            self.reasons.append(f"{where}: {why}")
        log.warning("restore: skipped %s: %s", where, why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "restored_entries": self.applied,
            "skipped_entries": self.skipped,
            "skipped_reasons": self.reasons,
            "restore_seconds": round(self.seconds, 3),
            "upgraded_from": self.upgraded_from,
        }


def replay_request(app: WSGIApp, entry: Entry) -> int:
    def run() -> int:
        seed_thread(entry.get("seed", 0))
        return call_app(app, entry_environ(entry))[0]

    return with_deadline(run, ENTRY_DEADLINE)


def restore(app: WSGIApp, journal: Journal, report: Restore) -> None:
    """Replay ``journal``'s file into moto (``app`` is moto's own app, not the middleware)."""
    if not journal.path.exists():
        return
    moot = superseded_lines(journal.path)
    for number, entry in read_entries(journal.path):
        where = f"{journal.path.name}:{number}"
        if entry is None:
            report.skip(where, "not a whole JSON line (a write cut short)")
            continue
        op = entry.get("op")
        if op == "format" or number in moot:
            continue
        report.entries += 1
        try:
            why = apply(app, journal, entry)
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
        if why:
            report.skip(where, f"{op} {entry.get('action') or entry.get('key') or ''}: {why}".strip())
        else:
            report.applied += 1


def apply(app: WSGIApp, journal: Journal, entry: Entry) -> str | None:
    """Apply one entry; the reason it could not be applied, or None."""
    op = entry.get("op")
    if op == "request":
        status = replay_request(app, entry)
        if status >= 400:
            return f"moto answered HTTP {status}"
        journal.keep_request(entry, write=False)
        return None
    if op in ("key", "upload", "part", "upload-gone"):
        return _apply_objects(journal, entry)
    if op in ("message", "received", "message-gone"):
        return _apply_message(entry)
    if op == "refresh-token":
        pool = snapshots.find_user_pool(entry["pool"])
        if pool is None:
            return f"user pool {entry['pool']} does not exist"
        snapshots.restore_refresh_token(pool, entry["token"], entry["value"])
        return None
    return f"unknown entry {op!r}"


def _apply_objects(journal: Journal, entry: Entry) -> str | None:
    bucket = snapshots.find_bucket(entry["bucket"])
    if bucket is None:
        return f"bucket {entry['bucket']} does not exist"
    op, store = entry["op"], journal.store
    if op == "key":
        whole = [v for v in entry["versions"] if snapshots.blob_size_matches(v, store)]
        snapshots.restore_key(bucket, entry["key"], whole, store)
        if len(whole) != len(entry["versions"]):
            return "object bytes missing or cut short on disk"
    elif op == "upload":
        snapshots.restore_upload(bucket, entry["upload_id"], entry["meta"])
    elif op == "part":
        upload = snapshots.upload_of(bucket, entry["upload_id"])
        if upload is None:
            return f"upload {entry['upload_id']} does not exist"
        if not snapshots.blob_size_matches(entry["part"], store):
            return "part bytes missing or cut short on disk"
        snapshots.restore_part(upload, entry["number"], entry["part"], store)
    else:
        snapshots.remove_upload(bucket, entry["upload_id"])
    return None


def _apply_message(entry: Entry) -> str | None:
    queue = snapshots.find_queue(entry["queue"])
    if queue is None:
        return f"queue {entry['queue']} does not exist"
    if entry["op"] == "message":
        snapshots.restore_message(queue, entry["message"])
    elif entry["op"] == "received":
        snapshots.count_receive(queue, entry["id"], entry["receive_count"], entry["first_receive"])
    else:
        snapshots.remove_message(queue, entry["id"])
    return None


def compact(journal: Journal) -> int:
    """Rewrite the journal from moto's state and remove unreferenced object files."""
    journal.load_view()
    journal.rewrite()
    return journal.store.sweep(journal.referenced())


def timed(report: Restore, work: Callable[[], None]) -> None:
    started = time.monotonic()
    work()
    report.seconds += time.monotonic() - started
