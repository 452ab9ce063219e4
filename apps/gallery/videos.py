"""The signed-in user's videos: list, get, update, delete, retry."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError
from quart import Blueprint, g
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from gallery.present import mean_job_seconds, present, video_out
from gallery.schemas import ListQuery, VideoOut, VideoPage, VideoUpdate
from gallery.uploads import send_job
from videoforge import db, jobs, videos
from videoforge.auth import require_user
from videoforge.errors import ApiError, not_found
from videoforge.openapi import NoContent, errors
from videoforge.web import aws, web_settings

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
            await asyncio.to_thread(invalidate_hls, str(video_id))
        return await present(conn, video)


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


def _delete_prefixes(prefixes: list[str]) -> int:
    client, bucket = aws().s3, aws().bucket
    deleted = 0
    for prefix in prefixes:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
    return deleted


def _tombstone(key: str) -> None:
    """An empty object at the source key: the single-PUT URL signs If-None-Match: *, so while
    it is still valid it cannot recreate the source of a deleted video. The bucket's lifecycle
    rule for uploads/ removes the marker later."""
    aws().s3.put_object(Bucket=aws().bucket, Key=key, Body=b"", Metadata={"videoforge-deleted": "true"})


def _upload_url_may_be_live(video: videos.Video) -> bool:
    age = (datetime.now(UTC) - video.created_at).total_seconds()
    return age < web_settings().upload_url_ttl + 60  # the minute covers clock skew


@blueprint.delete("/<uuid:video_id>")
@require_user
@document_response(NoContent, 204)
async def delete_video(video_id: uuid.UUID) -> tuple[str, int]:
    """Delete the video: its S3 objects (source, HLS, thumbnails) first, then what the CDN
    holds of them, then its rows.

    Storage goes first so a failure leaves the row in place and the delete can be retried.
    An upload in progress is aborted (its part URLs stop working) and a single-PUT URL still
    valid is kept from recreating the source. A worker processing the video sees the row gone,
    stops and removes what it wrote since.
    """
    user = g.user
    async with db.pool().connection() as conn:
        video = await videos.get_owned(conn, video_id, user.sub)
        if video is None:
            raise not_found()
        if video.upload_id:
            try:
                await asyncio.to_thread(
                    aws().s3.abort_multipart_upload,
                    Bucket=aws().bucket,
                    Key=video.s3_key,
                    UploadId=video.upload_id,
                )
            except ClientError as exc:  # already completed or aborted: nothing left to abort
                log.info("abort multipart for %s: %s", video_id, exc)
        vid = str(video_id)
        prefixes = [jobs.upload_prefix(user.sub, vid), jobs.hls_prefix(vid), jobs.thumbnail_prefix(vid)]
        deleted = await asyncio.to_thread(_delete_prefixes, prefixes)
        if _upload_url_may_be_live(video):
            await asyncio.to_thread(_tombstone, video.s3_key)
        await asyncio.to_thread(invalidate_hls, vid)
        await videos.delete_owned(conn, video_id, user.sub)
    log.info("video deleted", extra={"video_id": vid, "objects": deleted})
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
