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
    ConfirmUpload,
    Error,
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
from videoforge.web import aws, settings, web_settings
from videoforge.web_settings import MAX_PARTS

log = logging.getLogger("gallery.uploads")
blueprint = Blueprint("uploads", __name__)

MIB = 1024 * 1024


def part_size_for(size: int, configured: int) -> int:
    """The configured part size, grown (in whole MiB) when the file would need > 10,000 parts."""
    needed = math.ceil(size / MAX_PARTS)
    return max(configured, math.ceil(needed / MIB) * MIB)


def part_urls(key: str, upload_id: str, size: int, part_size: int) -> list[PartUrl]:
    batch = aws().presigner.batch(web_settings().upload_url_ttl)
    count = max(1, math.ceil(size / part_size))
    return [
        PartUrl(part_number=n, url=batch.url(key, "PUT", {"uploadId": upload_id, "partNumber": str(n)}))
        for n in range(1, count + 1)
    ]


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


@blueprint.post("/generate-upload-url")
@require_user
@validate_request(GenerateUpload)
@validate_response(UploadTicket, 200)
@validate_response(Error, 400)
async def generate_upload_url(data: GenerateUpload) -> UploadTicket:
    """Create the video (status 'uploading') and answer where to upload it.

    At or above UPLOAD_MULTIPART_THRESHOLD bytes: a multipart upload with one presigned URL
    per part (PUT each part, keep each response's ETag). Otherwise a single presigned PUT.
    """
    conf = web_settings()
    content_type = data.content_type.split(";", 1)[0].strip().lower()
    if content_type not in conf.upload_allowed_types:
        raise ApiError(
            400, "unsupported_type", f"content type must be one of {', '.join(conf.upload_allowed_types)}"
        )
    if data.size > conf.upload_max_bytes:
        raise ApiError(400, "too_large", f"the largest accepted upload is {conf.upload_max_bytes} bytes")
    user = g.user
    video_id = uuid.uuid4()
    key = source_key(user.sub, str(video_id))
    bucket = aws().bucket
    upload_id = None
    upload: SingleUpload | MultipartUpload
    if data.size >= conf.upload_multipart_threshold:
        created = await asyncio.to_thread(
            aws().s3.create_multipart_upload, Bucket=bucket, Key=key, ContentType=content_type
        )
        upload_id = created["UploadId"]
        part_size = part_size_for(data.size, conf.upload_part_size)
        upload = MultipartUpload(
            upload_id=upload_id,
            part_size=part_size,
            parts=part_urls(key, upload_id, data.size, part_size),
            expires_in=conf.upload_url_ttl,
        )
    else:
        url = aws().s3_public.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=conf.upload_url_ttl,
        )
        upload = SingleUpload(url=url, headers={"Content-Type": content_type}, expires_in=conf.upload_url_ttl)
    title = data.title or data.file_name.rsplit(".", 1)[0] or data.file_name
    try:
        async with db.pool().connection() as conn:
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
                aws().s3.abort_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id
            )
        raise
    log.info(
        "upload started", extra={"video_id": str(video_id), "size": data.size, "multipart": bool(upload_id)}
    )
    return UploadTicket(video_id=video_id, upload=upload)


@blueprint.post("/videos/<uuid:video_id>/upload-parts")
@require_user
@validate_response(MultipartUpload, 200)
@validate_response(Error, 409)
async def resume_upload(video_id: uuid.UUID) -> MultipartUpload:
    """Resume an interrupted multipart upload: fresh part URLs plus the parts S3 already has."""
    async with db.pool().connection() as conn:
        video = await videos.get_owned(conn, video_id, g.user.sub)
    if video is None:
        raise not_found()
    if video.status != "uploading" or not video.upload_id:
        raise ApiError(409, "not_resumable", "the video has no multipart upload in progress")
    part_size = part_size_for(video.size_bytes, web_settings().upload_part_size)
    return MultipartUpload(
        upload_id=video.upload_id,
        part_size=part_size,
        parts=part_urls(video.s3_key, video.upload_id, video.size_bytes, part_size),
        uploaded_parts=await uploaded_parts(video.s3_key, video.upload_id),
        expires_in=web_settings().upload_url_ttl,
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
            raise ApiError(400, "invalid_parts", f"S3 refused the parts: {code}") from None
        raise


async def _object_size(key: str) -> int | None:
    try:
        head = await asyncio.to_thread(aws().s3.head_object, Bucket=aws().bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(head["ContentLength"])


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


@blueprint.post("/confirm-upload")
@require_user
@validate_request(ConfirmUpload)
@validate_response(VideoOut, 200)
@validate_response(Error, 409)
async def confirm_upload(data: ConfirmUpload) -> VideoOut:
    """The upload is done: check it, queue the video and send its processing job (once)."""
    user = g.user
    async with db.pool().connection() as conn:
        video = await videos.get_owned(conn, data.video_id, user.sub)
        if video is None:
            raise not_found()
        if video.status == "uploading":
            if video.upload_id:
                parts = None
                if data.parts:
                    parts = [{"PartNumber": p.part_number, "ETag": p.etag} for p in data.parts]
                await _complete_multipart(video, parts)
            size = await _object_size(video.s3_key)
            if size is None:
                raise ApiError(409, "upload_incomplete", "the upload has not arrived in storage")
            if size != video.size_bytes:
                raise ApiError(
                    400, "size_mismatch", f"declared {video.size_bytes} bytes, storage has {size} bytes"
                )
            async with conn.transaction():
                if await videos.claim_upload(conn, video.id, user.sub, data.title):
                    await send_job(video, video.job_id)
            video = await videos.get_owned(conn, data.video_id, user.sub)
            if video is None:
                raise not_found()
        return await present(conn, video)
