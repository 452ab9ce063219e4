"""The endpoint's durable state: a journal of what AWS acknowledged, one JSON line each.

Entries (``op``):

- ``request``: a control-plane request that succeeded, kept whole (it is small) with the
  seed its ids were drawn from, replayed on start;
- ``key``: every version of one S3 key as it now is (``versions: []`` once deleted), bytes
  named by their file in the blob store;
- ``upload`` / ``part`` / ``upload-gone``: a multipart upload in progress and its parts;
- ``message`` / ``received`` / ``message-gone``: an SQS message, its receive count, its end;
- ``refresh-token``: a user pool's refresh token (null once revoked): sessions survive.

A line is written (and fsynced) after moto has applied the request and before the client
gets its answer: what was acknowledged survives a SIGKILL a moment later; what failed, was
interrupted or never completed is never written. On start the journal is replayed and
then rewritten compacted: the kept requests, then the data plane's current state.

``Journal`` also holds the view the journal gives of the data plane (``known_*``), so
each change is written as the difference between that view and moto's state.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twin.emulator import snapshots
from twin.emulator.blobs import BlobStore

FORMAT = {"op": "format", "version": 1}
Entry = dict[str, Any]


def read_entries(path: Path) -> Iterator[tuple[int, Entry | None]]:
    """(line number, entry) for each line; entry None for a line that is not whole JSON
    (the torn last line of a crash mid-write)."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            yield number, entry if isinstance(entry, dict) else None


def _identity(entry: Entry) -> tuple[str, ...] | None:
    op = entry.get("op")
    if op == "key":
        return ("key", entry["bucket"], entry["key"])
    if op == "part":
        return ("part", entry["upload_id"], str(entry["number"]))
    if op == "received":
        return ("received", entry["queue"], entry["id"])
    if op == "refresh-token":
        return ("refresh-token", entry["pool"], entry["token"])
    return None


def _ends(entry: Entry) -> tuple[str, ...] | None:
    """What an entry ends for good: an upload's or a message's whole history."""
    if entry.get("op") == "upload-gone":
        return ("upload", entry["upload_id"])
    if entry.get("op") == "message-gone":
        return ("message", entry["queue"], entry["id"])
    return None


def _owner(entry: Entry) -> tuple[str, ...] | None:
    op = entry.get("op")
    if op in ("upload", "part"):
        return ("upload", entry["upload_id"])
    if op in ("message", "received"):
        return ("message", entry["queue"], entry["message"]["id"] if op == "message" else entry["id"])
    return None


def superseded_lines(path: Path) -> set[int]:
    """Lines a later line makes moot: an older state of the same key or part, and the whole
    history of an upload or message that later ended. They are skipped on replay (their
    object files are rightly gone)."""
    last: dict[tuple[str, ...], int] = {}
    ended: dict[tuple[str, ...], int] = {}
    lines: list[tuple[int, tuple[str, ...] | None, tuple[str, ...] | None]] = []
    for number, entry in read_entries(path):
        if entry is None:
            continue
        ident, owner, end = _identity(entry), _owner(entry), _ends(entry)
        if ident:
            last[ident] = number
        if end:
            ended[end] = number
            owner = end
        lines.append((number, ident, owner))
    moot = set()
    for number, ident, owner in lines:
        if (ident and last[ident] != number) or (owner and ended.get(owner, 0) >= number):
            moot.add(number)
    return moot


class Journal:
    """Appends entries durably and keeps the journal's view of S3 objects and SQS messages."""

    def __init__(self, path: Path, store: BlobStore) -> None:
        self.path = path
        self.store = store
        self.lock = threading.RLock()
        self.known_keys: dict[tuple[str, str], list[dict]] = {}
        self.known_uploads: dict[str, dict] = {}  # upload id -> {"bucket", "meta", "parts"}
        self.known_messages: dict[str, dict[str, dict]] = {}  # queue ARN -> id -> message
        self.known_tokens: dict[str, dict[str, list | None]] = {}  # user pool id -> token -> value
        self.requests: list[Entry] = []  # the kept requests, in order: what compaction keeps
        self._seed = 0
        self._fd: int | None = None

    # --- writing ------------------------------------------------------------------------

    def open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def append(self, entry: Entry) -> None:
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        with self.lock:
            if self._fd is None:
                return  # not recording (a replay applies entries, it does not write them)
            os.write(self._fd, line)
            os.fsync(self._fd)

    def keep_request(self, entry: Entry, write: bool = True) -> None:
        with self.lock:
            self.requests.append(entry)
            self._seed = max(self._seed, entry.get("seed", 0))
            if write:
                self.append(entry)

    def next_seed(self) -> int:
        with self.lock:
            self._seed += 1
            return self._seed

    # --- S3 --------------------------------------------------------------------------------

    def sync_key(self, bucket: Any, name: str) -> None:
        """Write ``name``'s versions if they differ from what the journal holds."""
        with self.lock:
            versions = snapshots.key_versions(bucket, name, self.store)
            ident = (bucket.name, name)
            if versions == self.known_keys.get(ident, []):
                return
            self.append({"op": "key", "bucket": bucket.name, "key": name, "versions": versions})
            if versions:
                self.known_keys[ident] = versions
            else:
                self.known_keys.pop(ident, None)

    def sync_keys(self, bucket: Any, names: list[str] | None = None) -> None:
        """Sync ``names`` (default: every key the bucket or the journal knows of)."""
        if names is None:
            with self.lock:
                known = {k for b, k in self.known_keys if b == bucket.name}
            names = sorted(known | set(bucket.keys.keys()))
        for name in names:
            self.sync_key(bucket, name)

    def sync_upload(self, bucket: Any, upload_id: str) -> None:
        with self.lock:
            upload = snapshots.upload_of(bucket, upload_id)
            known = self.known_uploads.get(upload_id)
            if upload is None:
                if known is not None:
                    self.append({"op": "upload-gone", "bucket": bucket.name, "upload_id": upload_id})
                    del self.known_uploads[upload_id]
                return
            if known is None:
                meta = snapshots.upload_meta(bucket, upload)
                self.append({"op": "upload", "bucket": bucket.name, "upload_id": upload_id, "meta": meta})
                known = self.known_uploads[upload_id] = {"bucket": bucket.name, "meta": meta, "parts": {}}
            for number, part in snapshots.upload_parts(upload, self.store).items():
                if known["parts"].get(number) != part:
                    self.append(
                        {"op": "part", "bucket": bucket.name, "upload_id": upload_id, "number": int(number)}
                        | {"part": part}
                    )
                    known["parts"][number] = part

    def sync_uploads(self, bucket: Any) -> None:
        with self.lock:
            known = {u for u, v in self.known_uploads.items() if v["bucket"] == bucket.name}
        for upload_id in sorted(known | set(bucket.multiparts.keys())):
            self.sync_upload(bucket, upload_id)

    # --- SQS -------------------------------------------------------------------------------

    def sync_queues(self) -> None:
        """Write what changed in any queue's messages: new, received, gone."""
        with self.lock:
            seen = set()
            for queue in snapshots.queues_in_use():
                arn = queue.queue_arn
                seen.add(arn)
                self._sync_queue(arn, snapshots.queue_messages(queue))
            for arn in set(self.known_messages) - seen:
                del self.known_messages[arn]  # the queue was deleted (a kept request)

    def _sync_queue(self, arn: str, current: dict[str, dict]) -> None:
        known = self.known_messages.setdefault(arn, {})
        for message_id, message in current.items():
            before = known.get(message_id)
            if before is None:
                self.append({"op": "message", "queue": arn, "message": message})
            elif before["receive_count"] != message["receive_count"]:
                self.append(
                    {"op": "received", "queue": arn, "id": message_id}
                    | {"receive_count": message["receive_count"], "first_receive": message["first_receive"]}
                )
            known[message_id] = message
        for message_id in set(known) - set(current):
            self.append({"op": "message-gone", "queue": arn, "id": message_id})
            del known[message_id]

    # --- Cognito ---------------------------------------------------------------------------

    def sync_sessions(self) -> None:
        """Write the refresh tokens that were issued or revoked."""
        with self.lock:
            for pool in snapshots.user_pools_in_use():
                known = self.known_tokens.setdefault(pool.id, {})
                for token, value in snapshots.refresh_tokens(pool).items():
                    if token not in known or known[token] != value:
                        self.append({"op": "refresh-token", "pool": pool.id, "token": token, "value": value})
                        known[token] = value

    # --- the whole state ---------------------------------------------------------------------

    def referenced(self) -> set[str]:
        """The blob files the journal's view refers to."""
        with self.lock:
            names = {v["blob"] for versions in self.known_keys.values() for v in versions if v.get("blob")}
            for upload in self.known_uploads.values():
                names |= {p["blob"] for p in upload["parts"].values() if p.get("blob")}
            return names

    def collect_garbage(self) -> int:
        return self.store.collect(self.referenced())

    def load_view(self) -> None:
        """Read the view from moto's state (after a replay), as if it had all been journaled."""
        with self.lock:
            self.known_keys.clear()
            self.known_uploads.clear()
            self.known_messages.clear()
            self.known_tokens = {p.id: snapshots.refresh_tokens(p) for p in snapshots.user_pools_in_use()}
            for backend in snapshots.s3_backends_in_use():
                for bucket in list(backend.buckets.values()):
                    for name in list(bucket.keys.keys()):
                        self.known_keys[(bucket.name, name)] = snapshots.key_versions(
                            bucket, name, self.store
                        )
                    for upload_id, upload in list(bucket.multiparts.items()):
                        self.known_uploads[upload_id] = {
                            "bucket": bucket.name,
                            "meta": snapshots.upload_meta(bucket, upload),
                            "parts": snapshots.upload_parts(upload, self.store),
                        }
            for queue in snapshots.queues_in_use():
                self.known_messages[queue.queue_arn] = snapshots.queue_messages(queue)

    def state_entries(self) -> Iterator[Entry]:
        """The view as journal entries: what a compacted journal holds after its requests."""
        with self.lock:
            for (bucket, key), versions in sorted(self.known_keys.items()):
                yield {"op": "key", "bucket": bucket, "key": key, "versions": versions}
            for upload_id, upload in sorted(self.known_uploads.items()):
                yield {
                    "op": "upload",
                    "bucket": upload["bucket"],
                    "upload_id": upload_id,
                    "meta": upload["meta"],
                }
                for number, part in sorted(upload["parts"].items(), key=lambda p: int(p[0])):
                    yield {"op": "part", "bucket": upload["bucket"], "upload_id": upload_id} | {
                        "number": int(number),
                        "part": part,
                    }
            for arn, messages in sorted(self.known_messages.items()):
                for message in sorted(messages.values(), key=lambda m: (m["sent_timestamp"] or 0, m["id"])):
                    yield {"op": "message", "queue": arn, "message": message}
            for pool_id, tokens in sorted(self.known_tokens.items()):
                for token, value in tokens.items():
                    if value is not None:  # a revoked token is as good as none
                        yield {"op": "refresh-token", "pool": pool_id, "token": token, "value": value}

    def rewrite(self) -> None:
        """Replace the journal with the kept requests plus the current state, atomically."""
        tmp = self.path.with_suffix(".compacting")
        with self.lock:
            with open(tmp, "w") as fh:
                for entry in [FORMAT, *self.requests, *self.state_entries()]:
                    fh.write(json.dumps(entry, separators=(",", ":")) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def reset(self) -> None:
        """Forget everything (moto's state was reset): an empty journal, no object files."""
        with self.lock:
            self.requests.clear()
            self.known_keys.clear()
            self.known_uploads.clear()
            self.known_messages.clear()
            self.known_tokens.clear()
            if self._fd is not None:
                os.ftruncate(self._fd, 0)
                self.append(FORMAT)
            self.store.sweep(set())

    def summary(self) -> dict[str, int]:
        with self.lock:
            versions = [v for vs in self.known_keys.values() for v in vs if not v.get("delete_marker")]
            return {
                "objects": len(self.known_keys),
                "object_bytes": sum(v["size"] for v in versions),
                "uploads_in_progress": len(self.known_uploads),
                "messages": sum(len(m) for m in self.known_messages.values()),
            }
