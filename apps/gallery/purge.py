"""A deleted video's objects, removed in the background, never inside the request.

DELETE removes the row and records a purge (``storage_purges``) in one transaction, then
answers. Every gallery task runs the purge loop: it claims a due purge (SKIP LOCKED, with a
lease, so two tasks never work on one and a task that dies mid-pass hands it on) and makes a
pass: abort the multipart upload, delete everything under the video's prefixes (every key's
result checked: videoforge.storage), leave the tombstone at the source key while its upload URL
may still be valid, and ask the CDN to drop what it holds. A pass that fails is tried again,
backing off (videoforge.backoff). The purge ends with a pass that finds nothing left once
PURGE_SETTLE_SECONDS have passed since the delete: a worker that was processing the video
notices it gone within a heartbeat and stops writing, and anything it wrote before that is
removed by the passes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from botocore.exceptions import ClientError
from psycopg import AsyncConnection
from quart import Quart, current_app

from videoforge import db, jobs, videos
from videoforge.backoff import Backoff
from videoforge.storage import delete_under
from videoforge.web import aws, run_periodically, web_settings

log = logging.getLogger("gallery.purge")

# A pass still running after this long is taken to have died with its task: another may claim it.
PASS_LEASE_SECONDS = 300
# A failed pass is tried again after about this long, doubling up to the cap.
RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS = 5.0, 3600.0
# Purges one round of the loop takes on at most; the loop comes back at once when woken.
ROUND_LIMIT = 20
# How often a task looks for due purges (retries, settling passes) without being woken.
POLL_SECONDS = 10.0


def start(app: Quart) -> None:
    """Run the purge loop while the app serves; ``wake()`` after a delete starts a round now."""
    app.extensions["purge_wake"] = event = asyncio.Event()
    run_periodically(app, "purge deleted videos", POLL_SECONDS, purge_due, event)


def wake() -> None:
    current_app.extensions["purge_wake"].set()


@dataclass(frozen=True)
class Purge:
    video_id: uuid.UUID
    owner_id: str
    source_key: str
    upload_id: str | None
    tombstone: bool
    attempts: int
    settled: bool  # PURGE_SETTLE_SECONDS have passed since the delete


async def record(conn: AsyncConnection, video: videos.Video, tombstone: bool) -> None:
    """A purge of the video's objects; ``tombstone`` while a single-PUT URL may still be valid."""
    await conn.execute(
        """INSERT INTO storage_purges (video_id, owner_id, source_key, upload_id, tombstone)
           VALUES (%s, %s, %s, %s, %s)""",
        (video.id, video.owner_id, video.s3_key, video.upload_id, tombstone),
    )


async def claim(conn: AsyncConnection, settle_seconds: float) -> Purge | None:
    cur = await conn.execute(
        """UPDATE storage_purges
              SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => %(lease)s)
            WHERE video_id = (SELECT video_id FROM storage_purges WHERE next_attempt_at <= now()
                              ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING video_id, owner_id, source_key, upload_id, tombstone, attempts,
                  now() >= created_at + make_interval(secs => %(settle)s) AS settled""",
        {"lease": PASS_LEASE_SECONDS, "settle": settle_seconds},
    )
    row = await cur.fetchone()
    return Purge(**row) if row else None


async def finish(conn: AsyncConnection, video_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM storage_purges WHERE video_id = %s", (video_id,))


async def again(
    conn: AsyncConnection, video_id: uuid.UUID, delay: float, error: str | None, settle_seconds: float = 0
) -> None:
    """Due again after ``delay``, and not before ``settle_seconds`` after the delete."""
    await conn.execute(
        """UPDATE storage_purges
              SET next_attempt_at = greatest(now() + make_interval(secs => %s),
                                             created_at + make_interval(secs => %s)),
                  last_error = %s
            WHERE video_id = %s""",
        (delay, settle_seconds, error, video_id),
    )


def invalidate_hls(video_id: str) -> None:
    """Ask the CDN to drop what it holds of the video's HLS (``/hls/<id>/*``). A failure is
    logged, not raised: what the CDN still holds is served only to signed cookies, and those
    run out within PLAYBACK_TOKEN_TTL."""
    distribution = web_settings().cdn_distribution_id
    if not distribution:
        return
    path = f"/{jobs.hls_prefix(video_id)}*"
    try:
        aws().cloudfront.create_invalidation(
            DistributionId=distribution,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": [path]},
                "CallerReference": str(uuid.uuid4()),
            },
        )
    except ClientError as exc:
        log.error("invalidating %s failed: %s", path, exc, extra={"video_id": video_id})


def make_pass(purge: Purge) -> int:
    """One pass over the video's objects (see the module's docstring); how many were deleted."""
    s3, bucket, vid = aws().s3, aws().bucket, str(purge.video_id)
    if purge.upload_id:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=purge.source_key, UploadId=purge.upload_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
    prefixes = [jobs.upload_prefix(purge.owner_id, vid), jobs.hls_prefix(vid), jobs.thumbnail_prefix(vid)]
    keep = [purge.source_key] if purge.tombstone else []
    deleted = delete_under(s3, bucket, prefixes, keep)
    if purge.tombstone:
        # Replaces whatever a still-valid single-PUT URL may have put there first.
        s3.put_object(Bucket=bucket, Key=purge.source_key, Body=b"", Metadata={"videoforge-deleted": "true"})
    if deleted or not purge.settled:
        invalidate_hls(vid)
    return deleted


async def purge_due() -> None:
    """Make the passes that are due, a round at a time."""
    settle = web_settings().purge_settle_seconds
    for _ in range(ROUND_LIMIT):
        async with db.pool().connection() as conn:
            purge = await claim(conn, settle)
        if purge is None:
            return
        context = {"video_id": str(purge.video_id), "attempt": purge.attempts}
        try:
            deleted = await asyncio.to_thread(make_pass, purge)
        except Exception as exc:
            delay = Backoff(RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS, failures=purge.attempts - 1).next_delay()
            log.warning("purge pass failed: %s", exc, extra={**context, "retry_in": round(delay)})
            async with db.pool().connection() as conn:
                await again(conn, purge.video_id, delay, str(exc)[:1000])
            continue
        async with db.pool().connection() as conn:
            if purge.settled and not deleted:
                await finish(conn, purge.video_id)
                log.info("video purged", extra=context)
            else:
                await again(conn, purge.video_id, RETRY_FIRST_SECONDS, None, settle)
                log.info("purge pass", extra={**context, "deleted": deleted})
