"""Upload URLs (single PUT or resumable multipart) and upload confirmation.

Confirm is idempotent and sends exactly one job per upload:
1. the object is checked in S3 (the multipart upload completed first, where there is one);
2. in one transaction, ``UPDATE ... SET status='queued' WHERE status='uploading'`` claims the
   video (a concurrent confirm blocks on the row lock and then claims nothing), the job is
   sent to SQS, and only then is the transaction committed;
3. if sending fails, the transaction rolls back: the row is still 'uploading', the client
   gets 503 and retries confirm, nothing is stuck;
4. if the commit fails after the send, the retried confirm sends again with the SAME jobId
   (pre-assigned at generate time), which the processor treats as a redelivery.
A confirm on a video that is no longer 'uploading' just answers the video as it is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import uuid

from botocore.exceptions import ClientError
from quart import Blueprint, g
from quart_schema import validate_request, validate_response

from gallery.present import present
from gallery.schemas import (
    ConfirmPart,
    ConfirmUpload,
    GenerateUpload,
    MultipartUpload,
    PartUrl,
    SingleUpload,
    UploadedPart,
    UploadTicket,
    VideoOut,
)
from videoforge import db, videos
from videoforge.auth import require_user
from videoforge.errors import ApiError, not_found
from videoforge.jobs import Job, source_key
from videoforge.openapi import errors
from videoforge.ratelimit import enforce
from videoforge.web import aws, settings, web_settings
from videoforge.web_settings import MAX_PARTS

log = logging.getLogger("gallery.uploads")
blueprint = Blueprint("uploads", __name__)

MIB = 1024 * 1024


def part_size_for(size: int, configured: int) -> int:
    """The configured part size, grown (in whole MiB) when the file would need > 10,000 parts."""
    needed = math.ceil(size / MAX_PARTS)
    return max(configured, math.ceil(needed / MIB) * MIB)


def part_lengths(size: int, part_size: int) -> list[int]:
    """The byte count of each part, in part order: every part is full but the last."""
    count = max(1, math.ceil(size / part_size))
    return [min(part_size, size - (n - 1) * part_size) for n in range(1, count + 1)]


def part_urls(key: str, upload_id: str, size: int, part_size: int) -> tuple[list[PartUrl], int]:
    """One URL per part, each signing that part's Content-Length (S3 refuses any other
    size), and the seconds they stay valid."""
    batch = aws().presigner.batch(web_settings().upload_url_ttl)
    urls = []
    for n, length in enumerate(part_lengths(size, part_size), start=1):
        query = {"uploadId": upload_id, "partNumber": str(n)}
        urls.append(PartUrl(part_number=n, url=batch.url(key, "PUT", query, {"Content-Length": length})))
    return urls, batch.expires


def single_upload(key: str, content_type: str, size: int) -> SingleUpload:
    """One PUT whose signature covers the type, the exact size and If-None-Match: *, so it
    creates the source once and can never replace it (nor recreate it after a delete)."""
    headers = {"Content-Type": content_type, "Content-Length": str(size), "If-None-Match": "*"}
    batch = aws().presigner.batch(web_settings().upload_url_ttl)
    return SingleUpload(url=batch.url(key, "PUT", headers=headers), headers=headers, expires_in=batch.expires)


async def multipart_upload(key: str, content_type: str, size: int) -> MultipartUpload:
    created = await asyncio.to_thread(
        aws().s3.create_multipart_upload, Bucket=aws().bucket, Key=key, ContentType=content_type
    )
    part_size = part_size_for(size, web_settings().upload_part_size)
    parts, expires = part_urls(key, created["UploadId"], size, part_size)
    return MultipartUpload(
        upload_id=created["UploadId"], part_size=part_size, parts=parts, expires_in=expires
    )


async def enforce_upload_limits(conn, user_id: str, size: int, resuming: uuid.UUID | None = None) -> None:
    """429 when this upload would pass the user's limits on live uploads or their bytes.
    Run in the transaction that then records the upload, after lock_uploads_of."""
    conf = web_settings()
    await videos.lock_uploads_of(conn, user_id)
    live = await videos.uploads_in_flight(conn, user_id, conf.upload_url_ttl, exclude=resuming)
    if live.count + 1 > conf.upload_max_concurrent_per_user:
        raise ApiError(
            429,
            "too_many_uploads",
            f"you already have {live.count} uploads in progress (at most "
            f"{conf.upload_max_concurrent_per_user} at a time): finish or delete one, then try again",
        )
    if live.bytes + size > conf.upload_max_bytes_in_flight_per_user:
        raise ApiError(
            429,
            "too_many_bytes_in_flight",
            f"your uploads in progress already hold {live.bytes} bytes (at most "
            f"{conf.upload_max_bytes_in_flight_per_user} at a time): finish or delete one, then try again",
        )


async def uploaded_parts(key: str, upload_id: str) -> list[UploadedPart]:
    client = aws().s3

    def list_all() -> list[dict]:
        parts: list[dict] = []
        for page in client.get_paginator("list_parts").paginate(
            Bucket=aws().bucket, Key=key, UploadId=upload_id
        ):
            parts.extend(page.get("Parts", []))
        return parts

    try:
        parts = await asyncio.to_thread(list_all)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchUpload":
            return []
        raise
    return [UploadedPart(part_number=p["PartNumber"], etag=p["ETag"], size=p["Size"]) for p in parts]


def checked_content_type(requested: str) -> str:
    allowed = web_settings().upload_allowed_types
    if requested not in allowed:
        raise ApiError(400, "unsupported_type", f"content type must be one of {', '.join(allowed)}")
    return requested


@blueprint.post("/generate-upload-url")
@require_user
@validate_request(GenerateUpload)
@validate_response(UploadTicket, 200)
@errors(429)
async def generate_upload_url(data: GenerateUpload) -> UploadTicket:
    """Create the video (status 'uploading') and answer where to upload it.

    At or above UPLOAD_MULTIPART_THRESHOLD bytes: a multipart upload with one presigned URL
    per part (PUT each part, keep each response's ETag). Otherwise a single presigned PUT.
    Every URL signs the exact size it takes. 429 past the user's limits on uploads in progress,
    or on upload tickets per address or per user.
    """
    await enforce("upload_ticket", user=g.user.sub)
    conf = web_settings()
    content_type = checked_content_type(data.content_type)
    if data.size > conf.upload_max_bytes:
        raise ApiError(400, "too_large", f"the largest accepted upload is {conf.upload_max_bytes} bytes")
    user, video_id = g.user, uuid.uuid4()
    key = source_key(user.sub, str(video_id))
    title = data.title or data.file_name.rsplit(".", 1)[0] or data.file_name
    async with db.pool().connection() as conn, conn.transaction():
        await enforce_upload_limits(conn, user.sub, data.size)
        upload: SingleUpload | MultipartUpload
        if data.size >= conf.upload_multipart_threshold:
            upload = await multipart_upload(key, content_type, data.size)
        else:
            upload = single_upload(key, content_type, data.size)
        upload_id = getattr(upload, "upload_id", None)
        try:
            await videos.create_video(
                conn,
                video_id=video_id,
                owner_id=user.sub,
                title=title[:200],
                s3_key=key,
                file_name=data.file_name,
                content_type=content_type,
                size_bytes=data.size,
                upload_id=upload_id,
                job_id=uuid.uuid4(),
            )
        except Exception:
            if upload_id:
                await asyncio.to_thread(
                    aws().s3.abort_multipart_upload, Bucket=aws().bucket, Key=key, UploadId=upload_id
                )
            raise
    log.info(
        "upload started", extra={"video_id": str(video_id), "size": data.size, "multipart": bool(upload_id)}
    )
    return UploadTicket(video_id=video_id, upload=upload)


@blueprint.post("/videos/<uuid:video_id>/upload-parts")
@require_user
@validate_response(MultipartUpload, 200)
@errors(409, 429)
async def resume_upload(video_id: uuid.UUID) -> MultipartUpload:
    """Resume an interrupted multipart upload: fresh part URLs plus the parts S3 already has
    (an upload ticket, as generate-upload-url's: the same rate limits)."""
    await enforce("upload_ticket", user=g.user.sub)
    async with db.pool().connection() as conn, conn.transaction():
        video = await videos.get_owned(conn, video_id, g.user.sub)
        if video is None:
            raise not_found()
        if video.status != "uploading" or not video.upload_id:
            raise ApiError(409, "not_resumable", "the video has no multipart upload in progress")
        await enforce_upload_limits(conn, g.user.sub, video.size_bytes, resuming=video.id)
        await videos.touch_upload(conn, video.id)
    part_size = part_size_for(video.size_bytes, web_settings().upload_part_size)
    parts, expires = part_urls(video.s3_key, video.upload_id, video.size_bytes, part_size)
    return MultipartUpload(
        upload_id=video.upload_id,
        part_size=part_size,
        parts=parts,
        uploaded_parts=await uploaded_parts(video.s3_key, video.upload_id),
        expires_in=expires,
    )


async def _complete_multipart(video: videos.Video, parts: list[dict] | None) -> None:
    client = aws().s3
    bucket = aws().bucket
    if parts is None:
        parts = [
            {"PartNumber": p.part_number, "ETag": p.etag}
            for p in await uploaded_parts(video.s3_key, video.upload_id)
        ]
        if not parts:
            return  # nothing uploaded, or a concurrent confirm already completed it: head decides
    try:
        await asyncio.to_thread(
            client.complete_multipart_upload,
            Bucket=bucket,
            Key=video.s3_key,
            UploadId=video.upload_id,
            MultipartUpload={"Parts": sorted(parts, key=lambda p: p["PartNumber"])},
        )
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "NoSuchUpload":
            return  # completed by an earlier (or concurrent) confirm
        if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"):
            # A well-formed request whose parts do not match what storage holds: a conflict
            # with the upload's state (409, like upload_incomplete), not a malformed request.
            raise ApiError(409, "invalid_parts", f"S3 refused the parts: {code}") from None
        raise


async def _stored_source(key: str) -> tuple[int, str] | None:
    """(size, ETag) of the uploaded object, or None while it is not there."""
    try:
        head = await asyncio.to_thread(aws().s3.head_object, Bucket=aws().bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(head["ContentLength"]), head["ETag"]


async def send_job(video: videos.Video, job_id: uuid.UUID) -> None:
    # The job id is the row's: a re-send of the same attempt carries the same jobId.
    job = dataclasses.replace(
        Job.new(str(video.id), video.owner_id, settings().renditions), job_id=str(job_id)
    )
    try:
        await asyncio.to_thread(aws().sqs.send_message, QueueUrl=aws().queue_url, MessageBody=job.to_json())
    except Exception as exc:
        log.error("cannot send job for %s: %s", video.id, exc)
        raise ApiError(503, "queue_unavailable", "the processing queue is unavailable; retry") from None
    log.info("job sent", extra={"video_id": str(video.id), "job_id": str(job_id)})


async def _check_source(video: videos.Video, parts: list[ConfirmPart] | None) -> str:
    """Complete the multipart upload (if any) and check the object: its ETag, as confirmed."""
    if video.upload_id:
        given = [{"PartNumber": p.part_number, "ETag": p.etag} for p in parts] if parts else None
        await _complete_multipart(video, given)
    stored = await _stored_source(video.s3_key)
    if stored is None:
        raise ApiError(409, "upload_incomplete", "the upload has not arrived in storage")
    size, etag = stored
    if size != video.size_bytes:
        raise ApiError(400, "size_mismatch", f"declared {video.size_bytes} bytes, storage has {size} bytes")
    return etag


@blueprint.post("/confirm-upload")
@require_user
@validate_request(ConfirmUpload)
@validate_response(VideoOut, 200)
@errors(404, 409)
async def confirm_upload(data: ConfirmUpload) -> VideoOut:
    """The upload is done: check it, queue the video and send its processing job (once)."""
    user = g.user
    async with db.pool().connection() as conn:
        video = await videos.get_owned(conn, data.video_id, user.sub)
        if video is None:
            raise not_found()
        if video.status == "uploading":
            etag = await _check_source(video, data.parts)
            async with conn.transaction():
                if await videos.claim_upload(conn, video.id, user.sub, data.title, etag):
                    await send_job(video, video.job_id)
            video = await videos.get_owned(conn, data.video_id, user.sub)
            if video is None:
                raise not_found()
        return await present(conn, video)
