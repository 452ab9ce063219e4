"""The job message gallery sends and the processor consumes (docs/ARCHITECTURE.md, "The apps").

{"jobId": "uuid", "videoId": "uuid", "s3Key": "uploads/<userId>/<videoId>/source",
 "userId": "...", "qualities": ["1080p", "720p", "480p", "360p"],
 "timestamp": "2025-10-23T05:00:00Z"}
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

# Rendition names: what the model's ladder declares (the gallery's RENDITIONS, the processor's
# RENDITION_LADDER), never a list kept here.
_RENDITION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


class InvalidJob(ValueError):
    """A message that is not a VideoForge job: it can never succeed, whatever the retries."""


@dataclass(frozen=True)
class Job:
    job_id: str
    video_id: str
    s3_key: str
    user_id: str
    qualities: tuple[str, ...]
    timestamp: str

    @classmethod
    def new(cls, video_id: str, user_id: str, qualities: tuple[str, ...]) -> Job:
        if not qualities:
            raise ValueError("a job needs the renditions to make (RENDITIONS: the model's ladder names)")
        return cls(
            job_id=str(uuid.uuid4()),
            video_id=video_id,
            s3_key=source_key(user_id, video_id),
            user_id=user_id,
            qualities=tuple(qualities),
            timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "jobId": self.job_id,
                "videoId": self.video_id,
                "s3Key": self.s3_key,
                "userId": self.user_id,
                "qualities": list(self.qualities),
                "timestamp": self.timestamp,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: str) -> Job:
        try:
            data = json.loads(body)
            job = cls(
                job_id=str(data["jobId"]),
                video_id=str(data["videoId"]),
                s3_key=str(data["s3Key"]),
                user_id=str(data["userId"]),
                qualities=tuple(str(q) for q in data["qualities"]),
                timestamp=str(data["timestamp"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidJob(f"not a job message: {exc}") from exc
        # Which names a processor makes is its ladder's business (select_ladder); here only
        # the shape: names that can be a path segment of hls/<videoId>/<rendition>/.
        if not job.qualities or not all(_RENDITION_NAME.match(q) for q in job.qualities):
            raise InvalidJob(f"qualities must be rendition names: {list(job.qualities)}")
        if job.s3_key != source_key(job.user_id, job.video_id):
            raise InvalidJob("s3Key does not belong to the video")
        return job


# S3 keys are built here and only here, never taken from a client.
def upload_prefix(user_id: str, video_id: str) -> str:
    return f"uploads/{user_id}/{video_id}/"


def source_key(user_id: str, video_id: str) -> str:
    return f"{upload_prefix(user_id, video_id)}source"


# Every video's renditions live under this prefix (the services' health check lists it: their
# task roles may list the bucket only under the prefixes they use).
HLS_ROOT = "hls/"


def hls_prefix(video_id: str) -> str:
    return f"{HLS_ROOT}{video_id}/"


def master_playlist_key(video_id: str) -> str:
    return f"hls/{video_id}/master.m3u8"


def rendition_prefix(video_id: str, rendition: str) -> str:
    return f"hls/{video_id}/{rendition}/"


def thumbnail_prefix(video_id: str) -> str:
    return f"thumbnails/{video_id}/"
