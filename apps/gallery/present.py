"""A gallery_videos row as the API's Video: queue position, a ready estimate only where one
means something, and whether the job is being retried.

Estimate (estimatedReadyAt, null unless meaningful):
  processing: the processor's own, from this job's measured encode speed
              (gallery_videos.estimated_ready_at); before it has one, and only from 10%
              and 10 s on, started + elapsed * 100 / progress; never one already past.
  queued:     with measured history only (the mean started -> ready time of the 20 most
              recently finished videos): now + (queuePosition // ESTIMATE_WORKERS + 1) * mean.
  retrying:   none.
Retrying: processing while the worker's lease has run out (it is gone; another takes the
job over), or queued again after a failed attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from gallery.schemas import VideoOut
from videoforge import videos
from videoforge.web import aws, web_settings

# Below these an elapsed-time extrapolation says little.
MEANINGFUL_PROGRESS = 10
MEANINGFUL_SECONDS = 10


async def mean_job_seconds(conn: AsyncConnection, rows: list[videos.Video]) -> float | None:
    """The measured mean job time, when any of ``rows`` waits in the queue and there is history."""
    if not any(v.status == "queued" for v in rows):
        return None
    measured = await videos.recent_job_seconds(conn)
    return measured if measured and measured > 0 else None


def retrying(video: videos.Video, now: datetime) -> bool:
    if video.status == "processing":
        return video.lease_expires_at is not None and video.lease_expires_at < now
    return video.status == "queued" and video.attempts > 0


def estimate(video: videos.Video, mean_seconds: float | None, now: datetime) -> datetime | None:
    if retrying(video, now):
        return None
    if video.status == "queued" and video.queue_position is not None and mean_seconds:
        rounds = video.queue_position // web_settings().estimate_workers + 1
        return now + timedelta(seconds=rounds * mean_seconds)
    if video.status != "processing":
        return None
    eta = video.estimated_ready_at
    if eta is None and video.started_at and video.progress >= MEANINGFUL_PROGRESS:
        elapsed = (now - video.started_at).total_seconds()
        if elapsed >= MEANINGFUL_SECONDS:
            eta = video.started_at + timedelta(seconds=elapsed * 100 / video.progress)
    return eta if eta is not None and eta > now else None


# One presigned URL per poster per window: the gallery polls every few seconds and the
# browser's cache keeps the picture as long as its URL stays the same.
POSTER_URL_WINDOW = 600


def poster_url(key: str | None, now: datetime) -> str | None:
    """A presigned S3 URL of the poster (the caller owns the video): valid for at least
    POSTER_URL_WINDOW seconds, unchanged within a window."""
    if key is None:
        return None
    window_start = int(now.timestamp()) // POSTER_URL_WINDOW * POSTER_URL_WINDOW
    return aws().presigner.batch(2 * POSTER_URL_WINDOW, now=window_start).get(key)


def streaming_videos() -> str:
    """The streaming service's video routes, where the gallery points players."""
    return f"{web_settings().api_prefix('streaming')}/video"


def video_out(video: videos.Video, mean_seconds: float | None, now: datetime | None = None) -> VideoOut:
    now = now or datetime.now(UTC)
    return VideoOut(
        id=video.id,
        title=video.title,
        description=video.description,
        visibility=video.visibility,
        status=video.status,
        progress=video.progress,
        error=video.error,
        file_name=video.file_name,
        size=video.size_bytes,
        created_at=video.created_at,
        updated_at=video.updated_at,
        duration_seconds=video.duration_seconds,
        width=video.width,
        height=video.height,
        queue_position=video.queue_position if video.status == "queued" else None,
        estimated_ready_at=estimate(video, mean_seconds, now),
        retrying=retrying(video, now),
        attempt=video.attempts if video.status in ("queued", "processing") and video.attempts else None,
        playlist_url=f"{streaming_videos()}/{video.id}/playlist" if video.has_playlist else None,
        poster_url=poster_url(video.poster_key, now),
    )


async def present(conn: AsyncConnection, video: videos.Video) -> VideoOut:
    return video_out(video, await mean_job_seconds(conn, [video]))
