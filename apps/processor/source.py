"""The upload, exactly as it was confirmed: the version whose ETag the gallery recorded
(every ranged GET carries If-Match, so a source swapped after confirm, even mid-download, is
refused) and of the size it confirmed. Parts are written straight to disk at their offsets:
memory stays flat whatever the size.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError

from processor.failures import PermanentFailure
from processor.ffmpeg import Tick

log = logging.getLogger("processor.source")

MIB = 1024 * 1024
PART_BYTES = 16 * MIB
CHUNK_BYTES = 1 * MIB

MISSING = "The uploaded file was not found in storage; please upload it again."
CHANGED = (
    "The uploaded file changed after the upload was confirmed, so it was not processed; "
    "please upload it again."
)


@dataclass(frozen=True)
class Source:
    bucket: str
    key: str
    size: int  # bytes, as confirmed
    etag: str | None  # as confirmed; None for rows confirmed before the gallery recorded it


def _quoted(etag: str) -> str:
    return etag if etag.startswith('"') else f'"{etag}"'


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _refuse(exc: ClientError) -> None:
    """A missing or changed source is permanent; anything else is left to propagate."""
    code = _code(exc)
    if code in ("404", "NoSuchKey", "NotFound"):
        raise PermanentFailure(MISSING, str(exc)) from exc
    if code in ("412", "PreconditionFailed"):
        raise PermanentFailure(CHANGED, str(exc)) from exc


def pinned_etag(s3, source: Source) -> str:
    """The ETag every read carries: the confirmed one, checked against what S3 holds now."""
    extra = {"IfMatch": _quoted(source.etag)} if source.etag else {}
    try:
        head = s3.head_object(Bucket=source.bucket, Key=source.key, **extra)
    except ClientError as exc:
        _refuse(exc)
        raise
    if head["ContentLength"] != source.size:
        raise PermanentFailure(CHANGED, f"size {head['ContentLength']} != confirmed {source.size}")
    if not source.etag:
        log.warning("no confirmed ETag; pinning the one seen now", extra={"key": source.key})
    return head["ETag"]


def _fetch_part(s3, source: Source, etag: str, fd: int, start: int, end: int) -> None:
    try:
        body = s3.get_object(
            Bucket=source.bucket, Key=source.key, Range=f"bytes={start}-{end}", IfMatch=etag
        )["Body"]
    except ClientError as exc:
        _refuse(exc)
        raise
    offset = start
    for chunk in body.iter_chunks(CHUNK_BYTES):
        os.pwrite(fd, chunk, offset)
        offset += len(chunk)
    if offset != end + 1:
        raise OSError(f"short read of bytes {start}-{end}: got {offset - start}")


def download(s3, source: Source, target: Path, concurrency: int, tick: Tick) -> None:
    """Parallel ranged GETs into ``target``; ``tick`` runs every second meanwhile (and may raise)."""
    etag = pinned_etag(s3, source)
    ranges = [
        (start, min(start + PART_BYTES, source.size) - 1) for start in range(0, source.size, PART_BYTES)
    ]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="download")
    try:
        os.ftruncate(fd, source.size)
        futures = [pool.submit(_fetch_part, s3, source, etag, fd, a, b) for a, b in ranges]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # the first failure ends the download
            if pending:
                tick()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        os.close(fd)
    if target.stat().st_size != source.size:
        raise PermanentFailure(CHANGED, f"downloaded {target.stat().st_size} bytes, confirmed {source.size}")
