"""The processor's SQL: plain, parameterized, on gallery_videos and media_assets.

Every function takes an autocommit psycopg connection; the ones that must be atomic open
their own transaction.

What the processor records for the gallery while a video is processed (0004):
- ``lease_expires_at``: the worker's promise to report again before then (it reports every
  few seconds; the lease is three reports ahead). Past it while the row says 'processing',
  the worker is gone and SQS hands the job to another within the message's lease: the page
  shows "retrying", not a frozen percentage. NULL outside 'processing'.
- ``attempts``: a 'processing' row with attempts > 1, or a 'queued' one with attempts > 0,
  is a retry.
- ``encode_speed`` (media seconds per wall second, measured on this job) and
  ``estimated_ready_at`` (NULL until that speed means something).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row


@dataclass(frozen=True)
class VideoState:
    id: str
    status: str
    attempts: int
    job_id: str | None
    size_bytes: int
    source_etag: str | None


@dataclass(frozen=True)
class Asset:
    kind: str  # 'master' | 'rendition' | 'poster'
    name: str
    s3_key: str
    width: int | None = None
    height: int | None = None
    bandwidth: int | None = None
    codecs: str | None = None
    segment_count: int | None = None
    complete: bool = False


def connect(conninfo: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)


def get_video(conn: psycopg.Connection, video_id: str) -> VideoState | None:
    row = conn.execute(
        "SELECT id::text, status, attempts, job_id::text, size_bytes, source_etag FROM gallery_videos"
        " WHERE id = %s",
        (video_id,),
    ).fetchone()
    return VideoState(*row) if row else None


def is_finished(conn: psycopg.Connection, video_id: str) -> bool:
    """Ready, with a master playlist and every rendition complete: a redelivery has nothing to do."""
    row = conn.execute(
        """
        SELECT v.status = 'ready'
           AND bool_or(a.kind = 'master')
           AND count(*) FILTER (WHERE a.kind = 'rendition') > 0
           AND bool_and(a.complete OR a.kind <> 'rendition')
          FROM gallery_videos v JOIN media_assets a ON a.video_id = v.id
         WHERE v.id = %s
         GROUP BY v.status
        """,
        (video_id,),
    ).fetchone()
    return bool(row and row[0])


def start_processing(
    conn: psycopg.Connection, video_id: str, job_id: str, lease_seconds: float | None = None
) -> bool | None:
    """Claim the video for this attempt: True when claimed, False when it is not waiting for
    processing, None when its upload is not confirmed (yet).

    The gallery sends the job inside its confirm transaction and commits after the send, so
    a fast worker can see the row still 'uploading'. Locking the row first waits for that
    transaction: once it commits the row reads 'queued'. A row still 'uploading' after the
    lock means confirm did not commit; the client confirms again and the job comes back.
    """
    with conn.transaction():
        row = conn.execute(
            "SELECT status FROM gallery_videos WHERE id = %s FOR UPDATE", (video_id,)
        ).fetchone()
        if row is None:
            return False
        if row[0] == "uploading":
            return None
        conn.execute(
            """
            UPDATE gallery_videos
               SET status = 'processing', started_at = now(), attempts = attempts + 1, progress = 0,
                   error = NULL, ready_at = NULL, updated_at = now(), job_id = COALESCE(job_id, %s::uuid),
                   lease_expires_at = now() + make_interval(secs => %s), encode_speed = NULL,
                   estimated_ready_at = NULL
             WHERE id = %s
            """,
            (job_id, lease_seconds, video_id),
        )
    return True


def set_source_facts(conn: psycopg.Connection, video_id: str, duration: float, width: int, height: int,
                     frame_rate: float, has_audio: bool) -> None:  # fmt: skip
    conn.execute(
        """
        UPDATE gallery_videos
           SET duration_seconds = %s, width = %s, height = %s, frame_rate = %s, has_audio = %s,
               updated_at = now()
         WHERE id = %s
        """,
        (duration, width, height, frame_rate or None, has_audio, video_id),
    )


def report(conn: psycopg.Connection, video_id: str, percent: int, lease_seconds: float,
           encode_speed: float | None = None, eta_seconds: float | None = None) -> bool:  # fmt: skip
    """Progress, a renewed lease and the estimate; False when the video is no longer this
    job's to report on (deleted, or moved out of 'processing')."""
    row = conn.execute(
        """
        UPDATE gallery_videos
           SET progress = GREATEST(progress, %s), updated_at = now(),
               lease_expires_at = now() + make_interval(secs => %s),
               encode_speed = COALESCE(%s, encode_speed),
               estimated_ready_at = now() + make_interval(secs => %s)
         WHERE id = %s AND status = 'processing'
        RETURNING 1
        """,
        (max(0, min(99, percent)), lease_seconds, encode_speed, eta_seconds, video_id),
    ).fetchone()
    return row is not None


_UPSERT = """
    INSERT INTO media_assets (video_id, kind, name, s3_key, width, height, bandwidth, codecs,
                              segment_count, complete)
    VALUES (%(video_id)s, %(kind)s, %(name)s, %(s3_key)s, %(width)s, %(height)s, %(bandwidth)s,
            %(codecs)s, %(segment_count)s, %(complete)s)
    ON CONFLICT (video_id, kind, name) DO UPDATE
       SET s3_key = EXCLUDED.s3_key, width = EXCLUDED.width, height = EXCLUDED.height,
           bandwidth = EXCLUDED.bandwidth, codecs = EXCLUDED.codecs,
           segment_count = EXCLUDED.segment_count, complete = EXCLUDED.complete
"""


def _asset_params(video_id: str, asset: Asset) -> dict:
    return {"video_id": video_id, **vars(asset)}


def upsert_asset(conn: psycopg.Connection, video_id: str, asset: Asset) -> bool:
    """Idempotent on (video_id, kind, name): a redelivered job updates the same rows.
    False when the video is gone (deleted while it was processed)."""
    try:
        conn.execute(_UPSERT, _asset_params(video_id, asset))
    except psycopg.errors.ForeignKeyViolation:
        return False
    return True


def mark_ready(conn: psycopg.Connection, video_id: str, assets: Sequence[Asset]) -> bool | None:
    """In one transaction: the final asset set (rows of an earlier attempt that are not in
    it are removed, so there is exactly one set) and the video ready at 100%. True when
    ready, False when the row is no longer 'processing', None when the video is gone."""
    with conn.transaction():
        row = conn.execute(
            "SELECT status FROM gallery_videos WHERE id = %s FOR UPDATE", (video_id,)
        ).fetchone()
        if row is None:
            return None
        if row[0] != "processing":
            return False
        for asset in assets:
            conn.execute(_UPSERT, _asset_params(video_id, asset))
        keep = [(a.kind, a.name) for a in assets]
        _delete_others(conn, video_id, keep)
        row = conn.execute(
            """
            UPDATE gallery_videos
               SET status = 'ready', progress = 100, error = NULL, ready_at = now(), updated_at = now(),
                   lease_expires_at = NULL, estimated_ready_at = NULL
             WHERE id = %s
            """,
            (video_id,),
        )
    return True


def _delete_others(conn: psycopg.Connection, video_id: str, keep: Sequence[tuple[str, str]]) -> None:
    kinds = [k for k, _ in keep]
    names = [n for _, n in keep]
    conn.execute(
        """
        DELETE FROM media_assets a
         WHERE a.video_id = %s
           AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[], %s::text[]) AS k(kind, name)
                            WHERE k.kind = a.kind AND k.name = a.name)
        """,
        (video_id, kinds, names),
    )


def mark_failed(conn: psycopg.Connection, video_id: str, error: str) -> None:
    conn.execute(
        """
        UPDATE gallery_videos SET status = 'failed', error = %s, updated_at = now(),
               lease_expires_at = NULL, estimated_ready_at = NULL
         WHERE id = %s AND status IN ('queued', 'processing')
        """,
        (error[:2000], video_id),
    )


def back_to_queue(conn: psycopg.Connection, video_id: str, error: str | None = None) -> None:
    """The job will run again (SQS redelivery or another worker): the video waits in the queue."""
    conn.execute(
        """
        UPDATE gallery_videos SET status = 'queued', progress = 0, error = %s, updated_at = now(),
               lease_expires_at = NULL, estimated_ready_at = NULL
         WHERE id = %s AND status = 'processing'
        """,
        (error[:2000] if error else None, video_id),
    )


def requeue(conn: psycopg.Connection, video_id: str) -> bool:
    """Redrive: a failed (or stuck) video goes back to the queue; its message is sent again."""
    row = conn.execute(
        """
        UPDATE gallery_videos
           SET status = 'queued', progress = 0, error = NULL, queued_at = now(), updated_at = now(),
               lease_expires_at = NULL, estimated_ready_at = NULL
         WHERE id = %s AND status IN ('failed', 'processing', 'queued')
        RETURNING id
        """,
        (video_id,),
    ).fetchone()
    return row is not None


def assets(conn: psycopg.Connection, video_id: str) -> list[dict]:
    cur = conn.cursor(row_factory=dict_row)
    return cur.execute(
        "SELECT kind, name, s3_key, width, height, bandwidth, codecs, segment_count, complete "
        "FROM media_assets WHERE video_id = %s ORDER BY kind, name",
        (video_id,),
    ).fetchall()
