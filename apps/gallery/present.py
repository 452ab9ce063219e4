"""A gallery_videos row as the API's Video, with queue position and ready estimate.

Estimate (documented in docs/ARCHITECTURE.md): the mean processing time (started -> ready)
of the 20 most recently finished videos, or ESTIMATE_DEFAULT_JOB_SECONDS without history.
  queued:     now + (queuePosition // ESTIMATE_WORKERS + 1) * mean
  processing: started + elapsed * 100 / progress once progress >= 5, else started + mean
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from gallery.schemas import VideoOut
from videoforge import videos
from videoforge.web import api_prefix, aws, web_settings

# The streaming service's video routes, where the gallery points players.
STREAM_VIDEOS = f"{api_prefix('stream')}/video"


async def mean_job_seconds(conn: AsyncConnection, rows: list[videos.Video]) -> float:
    if not any(v.status in ("queued", "processing") for v in rows):
        return 0.0
    measured = await videos.recent_job_seconds(conn)
    return measured if measured and measured > 0 else float(web_settings().estimate_default_job_seconds)


def estimate(video: videos.Video, mean_seconds: float, now: datetime) -> datetime | None:
    if video.status == "queued" and video.queue_position is not None:
        rounds = video.queue_position // web_settings().estimate_workers + 1
        return now + timedelta(seconds=rounds * mean_seconds)
    if video.status == "processing":
        started = video.started_at or video.queued_at or now
        if video.progress >= 5:
            elapsed = (now - started).total_seconds()
            return max(now, started + timedelta(seconds=elapsed * 100 / video.progress))
        return max(now, started + timedelta(seconds=mean_seconds))
    return None


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


def video_out(video: videos.Video, mean_seconds: float, now: datetime | None = None) -> VideoOut:
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
        playlist_url=f"{STREAM_VIDEOS}/{video.id}/playlist" if video.has_playlist else None,
        poster_url=poster_url(video.poster_key, now),
    )


async def present(conn: AsyncConnection, video: videos.Video) -> VideoOut:
    return video_out(video, await mean_job_seconds(conn, [video]))
