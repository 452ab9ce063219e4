"""SQL for gallery_videos and media_assets: plain, parameterized, one small function per query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime

from psycopg import AsyncConnection


@dataclass(frozen=True)
class Video:
    id: uuid.UUID
    owner_id: str
    title: str
    description: str
    visibility: str
    status: str
    progress: int
    error: str | None
    s3_key: str
    file_name: str
    content_type: str
    size_bytes: int
    upload_id: str | None
    job_id: uuid.UUID | None
    source_etag: str | None
    attempts: int
    duration_seconds: float | None
    width: int | None
    height: int | None
    created_at: datetime
    updated_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    # Recorded by the processor (0004): its lease, this job's speed and estimate.
    lease_expires_at: datetime | None
    encode_speed: float | None
    estimated_ready_at: datetime | None
    # Derived per query.
    queue_position: int | None = None
    has_playlist: bool = False
    poster_key: str | None = None


@dataclass(frozen=True)
class MediaAsset:
    kind: str
    name: str
    s3_key: str
    width: int | None
    height: int | None
    bandwidth: int | None
    codecs: str | None
    complete: bool


_COLUMNS = ", ".join(
    f"v.{f.name}" for f in fields(Video) if f.name not in ("queue_position", "has_playlist", "poster_key")
)
# Position in the shared queue: how many queued/processing videos were queued before this one.
_SELECT = f"""
SELECT {_COLUMNS},
  CASE WHEN v.status = 'queued' THEN (
    SELECT count(*) FROM gallery_videos q
    WHERE q.status IN ('queued', 'processing') AND q.queued_at < v.queued_at
  ) END AS queue_position,
  EXISTS (SELECT 1 FROM media_assets a WHERE a.video_id = v.id AND a.kind = 'rendition') AS has_playlist,
  (SELECT a.s3_key FROM media_assets a WHERE a.video_id = v.id AND a.kind = 'poster') AS poster_key
FROM gallery_videos v
"""  # noqa: S608 - the column list is ours, values are parameters

_RETURNING = f"RETURNING {_COLUMNS}"


def _video(row: dict | None) -> Video | None:
    return Video(**row) if row else None


async def create_video(
    conn: AsyncConnection,
    *,
    video_id: uuid.UUID,
    owner_id: str,
    title: str,
    s3_key: str,
    file_name: str,
    content_type: str,
    size_bytes: int,
    upload_id: str | None,
    job_id: uuid.UUID,
) -> Video:
    cur = await conn.execute(
        f"""INSERT INTO gallery_videos AS v
              (id, owner_id, title, s3_key, file_name, content_type, size_bytes, upload_id, job_id)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) {_RETURNING}""",  # noqa: S608
        (video_id, owner_id, title, s3_key, file_name, content_type, size_bytes, upload_id, job_id),
    )
    return _video(await cur.fetchone())


async def get_video(conn: AsyncConnection, video_id: uuid.UUID) -> Video | None:
    cur = await conn.execute(_SELECT + " WHERE v.id = %s", (video_id,))
    return _video(await cur.fetchone())


@dataclass(frozen=True)
class Access:
    owner_id: str
    visibility: str
    granted_to: str | None = None  # the viewer a valid playback grant names
    grant_expires_at: datetime | None = None  # when that grant ends


async def get_access(
    conn: AsyncConnection, video_id: uuid.UUID, grant_hash: bytes | None = None
) -> Access | None:
    """Who may watch, and whom the playback grant (if any) names: the lean lookup the
    streaming hot path needs."""
    cur = await conn.execute(
        """SELECT v.owner_id, v.visibility, g.viewer_id AS granted_to, g.expires_at AS grant_expires_at
             FROM gallery_videos v
           LEFT JOIN playback_grants g ON g.video_id = v.id AND g.token_hash = %s AND g.expires_at > now()
           WHERE v.id = %s""",
        (grant_hash, video_id),
    )
    row = await cur.fetchone()
    return Access(**row) if row else None


async def create_grant(
    conn: AsyncConnection, grant_hash: bytes, video_id: uuid.UUID, viewer_id: str, seconds: int
) -> None:
    """A playback grant for one viewer and one video; expired grants are cleared on the way."""
    await conn.execute("DELETE FROM playback_grants WHERE expires_at < now() - interval '1 hour'")
    await conn.execute(
        """INSERT INTO playback_grants (token_hash, video_id, viewer_id, expires_at)
           VALUES (%s, %s, %s, now() + make_interval(secs => %s))""",
        (grant_hash, video_id, viewer_id, seconds),
    )


async def get_owned(conn: AsyncConnection, video_id: uuid.UUID, owner_id: str) -> Video | None:
    cur = await conn.execute(_SELECT + " WHERE v.id = %s AND v.owner_id = %s", (video_id, owner_id))
    return _video(await cur.fetchone())


async def list_owned(
    conn: AsyncConnection, owner_id: str, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Video]:
    """Newest first, keyset-paginated on (created_at, id)."""
    if after is None:
        cur = await conn.execute(
            _SELECT + " WHERE v.owner_id = %s ORDER BY v.created_at DESC, v.id DESC LIMIT %s",
            (owner_id, limit),
        )
    else:
        cur = await conn.execute(
            _SELECT + " WHERE v.owner_id = %s AND (v.created_at, v.id) < (%s, %s)"
            " ORDER BY v.created_at DESC, v.id DESC LIMIT %s",
            (owner_id, after[0], after[1], limit),
        )
    return [Video(**row) for row in await cur.fetchall()]


async def update_details(
    conn: AsyncConnection,
    video_id: uuid.UUID,
    owner_id: str,
    title: str | None,
    description: str | None,
    visibility: str | None,
) -> bool:
    cur = await conn.execute(
        """UPDATE gallery_videos SET
             title = coalesce(%s, title),
             description = coalesce(%s, description),
             visibility = coalesce(%s, visibility),
             updated_at = now()
           WHERE id = %s AND owner_id = %s""",
        (title, description, visibility, video_id, owner_id),
    )
    return cur.rowcount == 1


async def delete_owned(conn: AsyncConnection, video_id: uuid.UUID, owner_id: str) -> Video | None:
    """Delete the row and answer it as it was (None: no such video of this owner); media_assets
    and playback grants go with it (ON DELETE CASCADE)."""
    cur = await conn.execute(
        f"DELETE FROM gallery_videos AS v WHERE v.id = %s AND v.owner_id = %s {_RETURNING}",  # noqa: S608
        (video_id, owner_id),
    )
    return _video(await cur.fetchone())


async def claim_upload(
    conn: AsyncConnection, video_id: uuid.UUID, owner_id: str, title: str | None, source_etag: str
) -> bool:
    """uploading -> queued, for exactly one caller: the one whose UPDATE finds 'uploading'.
    The source's ETag as confirmed is recorded: the processor transcodes that version only.

    Run inside a transaction that is committed only after the job message was sent: a
    concurrent confirm waits on the row lock, then finds 'queued' and claims nothing.
    """
    cur = await conn.execute(
        """UPDATE gallery_videos SET status = 'queued', queued_at = now(), updated_at = now(),
             upload_id = NULL, progress = 0, error = NULL, title = coalesce(%s, title), source_etag = %s
           WHERE id = %s AND owner_id = %s AND status = 'uploading'""",
        (title, source_etag, video_id, owner_id),
    )
    return cur.rowcount == 1


# pg_advisory_xact_lock(class, key): the class keeps our per-user upload locks apart.
_UPLOAD_LOCK_CLASS = 0x5646_5550  # "VFUP"


@dataclass(frozen=True)
class UploadsInFlight:
    count: int
    bytes: int


async def lock_uploads_of(conn: AsyncConnection, owner_id: str) -> None:
    """Serialise one user's upload starts until the transaction ends (limits are then exact)."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_UPLOAD_LOCK_CLASS, owner_id))


async def uploads_in_flight(
    conn: AsyncConnection, owner_id: str, live_seconds: int, exclude: uuid.UUID | None = None
) -> UploadsInFlight:
    """The user's uploads whose URLs may still be in use: 'uploading' and handed URLs (created
    or resumed) within ``live_seconds``. An older one holds nothing until it is resumed."""
    cur = await conn.execute(
        """SELECT count(*) AS count, coalesce(sum(size_bytes), 0)::bigint AS bytes FROM gallery_videos
           WHERE owner_id = %s AND status = 'uploading' AND id IS DISTINCT FROM %s
             AND updated_at > now() - make_interval(secs => %s)""",
        (owner_id, exclude, live_seconds),
    )
    return UploadsInFlight(**await cur.fetchone())


async def touch_upload(conn: AsyncConnection, video_id: uuid.UUID) -> None:
    """Fresh URLs were handed out for this upload: it is live again."""
    await conn.execute("UPDATE gallery_videos SET updated_at = now() WHERE id = %s", (video_id,))


async def claim_retry(conn: AsyncConnection, video_id: uuid.UUID, owner_id: str, job_id: uuid.UUID) -> bool:
    """failed -> queued with a new job id, for exactly one caller (same transaction rule)."""
    cur = await conn.execute(
        """UPDATE gallery_videos SET status = 'queued', queued_at = now(), updated_at = now(),
             progress = 0, error = NULL, job_id = %s, started_at = NULL, ready_at = NULL
           WHERE id = %s AND owner_id = %s AND status = 'failed'""",
        (job_id, video_id, owner_id),
    )
    return cur.rowcount == 1


async def recent_job_seconds(conn: AsyncConnection, sample: int = 20) -> float | None:
    """Mean processing time (started -> ready) of the most recently finished videos."""
    cur = await conn.execute(
        """SELECT avg(extract(epoch FROM ready_at - started_at))::float AS seconds FROM (
             SELECT ready_at, started_at FROM gallery_videos
             WHERE status = 'ready' AND started_at IS NOT NULL AND ready_at IS NOT NULL
             ORDER BY ready_at DESC LIMIT %s) recent""",
        (sample,),
    )
    row = await cur.fetchone()
    return row["seconds"] if row else None


async def assets(conn: AsyncConnection, video_id: uuid.UUID, kind: str) -> list[MediaAsset]:
    cur = await conn.execute(
        """SELECT kind, name, s3_key, width, height, bandwidth, codecs, complete
           FROM media_assets WHERE video_id = %s AND kind = %s ORDER BY bandwidth DESC NULLS LAST, name""",
        (video_id, kind),
    )
    return [MediaAsset(**row) for row in await cur.fetchall()]


async def asset(conn: AsyncConnection, video_id: uuid.UUID, kind: str, name: str) -> MediaAsset | None:
    cur = await conn.execute(
        """SELECT kind, name, s3_key, width, height, bandwidth, codecs, complete
           FROM media_assets WHERE video_id = %s AND kind = %s AND name = %s""",
        (video_id, kind, name),
    )
    row = await cur.fetchone()
    return MediaAsset(**row) if row else None
