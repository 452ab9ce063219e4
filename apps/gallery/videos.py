"""The signed-in user's videos: list, get, update, delete, retry."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from quart import Blueprint, g
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from gallery import purge
from gallery.present import mean_job_seconds, present, video_out
from gallery.schemas import ListQuery, VideoOut, VideoPage, VideoUpdate
from gallery.uploads import send_job
from videoforge import db, videos
from videoforge.auth import require_user
from videoforge.errors import ApiError, not_found
from videoforge.openapi import NoContent, errors
from videoforge.web import web_settings

log = logging.getLogger("gallery.videos")
blueprint = Blueprint("videos", __name__, url_prefix="/videos")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(video: videos.Video) -> str:
    """The page's last (created_at, id) as "<epoch microseconds>_<uuid hex>": every string of
    that shape (ListQuery's pattern) is a position in the list, so none is refused."""
    micros = (video.created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{video.id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    micros, _, video_id = cursor.partition("_")
    created = datetime.fromtimestamp(int(micros) // 1_000_000, UTC) + timedelta(
        microseconds=int(micros) % 1_000_000
    )
    return created, uuid.UUID(hex=video_id)


@blueprint.get("")
@require_user
@validate_querystring(ListQuery)
@validate_response(VideoPage, 200)
async def list_videos(query_args: ListQuery) -> VideoPage:
    """The caller's videos, newest first; pass nextCursor back as cursor for the next page."""
    after = decode_cursor(query_args.cursor) if query_args.cursor else None
    async with db.pool().connection() as conn:
        rows = await videos.list_owned(conn, g.user.sub, query_args.limit + 1, after)
        page, more = rows[: query_args.limit], len(rows) > query_args.limit
        mean = await mean_job_seconds(conn, page)
    now = datetime.now(UTC)
    return VideoPage(
        items=[video_out(v, mean, now) for v in page],
        next_cursor=encode_cursor(page[-1]) if more and page else None,
    )


@blueprint.get("/<uuid:video_id>")
@require_user
@validate_response(VideoOut, 200)
async def get_video(video_id: uuid.UUID) -> VideoOut:
    """One of the caller's videos, with status, progress, queue position and estimate."""
    async with db.pool().connection() as conn:
        video = await videos.get_owned(conn, video_id, g.user.sub)
        if video is None:
            raise not_found()
        return await present(conn, video)


@blueprint.patch("/<uuid:video_id>")
@require_user
@validate_request(VideoUpdate)
@validate_response(VideoOut, 200)
async def update_video(video_id: uuid.UUID, data: VideoUpdate) -> VideoOut:
    """Change title, description or visibility (private: owner only; public: anyone may watch).
    A public video made private leaves the CDN's caches (viewers' cookies still run out)."""
    async with db.pool().connection() as conn:
        before = await videos.get_owned(conn, video_id, g.user.sub)
        if before is None or not await videos.update_details(
            conn, video_id, g.user.sub, data.title, data.description, data.visibility
        ):
            raise not_found()
        video = await videos.get_owned(conn, video_id, g.user.sub)
        if video is None:
            raise not_found()
        if before.visibility == "public" and video.visibility == "private":
            await asyncio.to_thread(purge.invalidate_hls, str(video_id))
        return await present(conn, video)


def _upload_url_may_be_live(video: videos.Video) -> bool:
    age = (datetime.now(UTC) - video.created_at).total_seconds()
    return age < web_settings().upload_url_ttl + 60  # the minute covers clock skew


@blueprint.delete("/<uuid:video_id>")
@require_user
@document_response(NoContent, 204)
async def delete_video(video_id: uuid.UUID) -> tuple[str, int]:
    """Delete the video: its rows at once, its S3 objects (source, HLS, thumbnails) and what the
    CDN holds of them in the background (gallery.purge), retried until none is left.

    An upload in progress is aborted (its part URLs stop working) and a single-PUT URL still
    valid is kept from recreating the source. A worker processing the video sees the row gone,
    stops and removes what it wrote since.
    """
    user = g.user
    async with db.pool().connection() as conn, conn.transaction():
        video = await videos.delete_owned(conn, video_id, user.sub)
        if video is None:
            raise not_found()
        await purge.record(conn, video, _upload_url_may_be_live(video))
    purge.wake()
    log.info("video deleted", extra={"video_id": str(video_id)})
    return "", 204


@blueprint.post("/<uuid:video_id>/retry")
@require_user
@validate_response(VideoOut, 202)
@errors(409)
async def retry_video(video_id: uuid.UUID) -> tuple[VideoOut, int]:
    """Send a failed video back to processing with a new job (once, like confirm)."""
    user = g.user
    async with db.pool().connection() as conn:
        video = await videos.get_owned(conn, video_id, user.sub)
        if video is None:
            raise not_found()
        if video.status != "failed":
            raise ApiError(
                409, "not_failed", f"only failed videos can be retried (this one is {video.status})"
            )
        job_id = uuid.uuid4()
        async with conn.transaction():
            if not await videos.claim_retry(conn, video_id, user.sub, job_id):
                raise ApiError(409, "not_failed", "the video was retried already")
            await send_job(video, job_id)
        video = await videos.get_owned(conn, video_id, user.sub)
        if video is None:
            raise not_found()
        return await present(conn, video), 202
