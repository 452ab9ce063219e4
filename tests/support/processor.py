"""What the processor's tests need, made with boto3 against the real emulator and database:
a queue with its DLQ (redrive policy, maxReceiveCount 3), a bucket, a migrated database, and
workers run as the real entry point (`python -m processor`) with the model's environment.

Import the fixtures into a test module:
``from tests.support.processor import clip_dir_fixture, database_fixture, make_stack_fixture  # noqa: F401``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest

from tests.support import model
from tests.support.services import ROOT, wait_for
from videoforge import jobs
from videoforge.migrate import migrate


@pytest.fixture(scope="module", name="clip_dir")
def clip_dir_fixture(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module", name="database")
def database_fixture(pg) -> str:
    name = f"processor_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(pg.dsn(name))
    return name


class Stack:
    """A queue with its DLQ, a bucket, a database: what the worker needs, made with boto3."""

    def __init__(self, aws, pg, database: str, visibility: int, tmp: Path):
        suffix = uuid.uuid4().hex[:8]
        self.pg, self.database, self.tmp, self.visibility = pg, database, tmp, visibility
        self.s3 = boto3.client("s3", endpoint_url=aws.url)
        self.sqs = boto3.client("sqs", endpoint_url=aws.url)
        self.bucket = f"vf-processor-{suffix}"
        self.s3.create_bucket(
            Bucket=self.bucket,
            CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_DEFAULT_REGION"]},
        )
        self.dlq_url = self.sqs.create_queue(QueueName=f"vf-jobs-{suffix}-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.queue_url = self.sqs.create_queue(
            QueueName=f"vf-jobs-{suffix}",
            Attributes={
                "VisibilityTimeout": str(visibility),
                "ReceiveMessageWaitTimeSeconds": "1",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
            },
        )["QueueUrl"]
        self.workers: list[subprocess.Popen] = []

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.pg.dsn(self.database), autocommit=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(model.processor_environment())  # what the roles give a deployed worker
        env.update(
            PYTHONPATH=str(ROOT / "apps"),
            DB_HOST=self.pg.host,
            DB_PORT=str(self.pg.port),
            DB_NAME=self.database,
            DB_USER=self.pg.user,
            DB_PASSWORD="unused-trust-auth",
            S3_BUCKET=self.bucket,
            SQS_QUEUE_URL=self.queue_url,
            PROCESSOR_WORK_DIR=str(self.tmp / "work"),
            PROCESSOR_WAIT_SECONDS="1",
            PROCESSOR_POLL_INTERVAL="0.2",
            PROCESSOR_X264_PRESET="ultrafast",
            PROCESSOR_RETRY_DELAY="1",
            HLS_SEGMENT_SECONDS="1",
            # The worker holds its message for the test queue's visibility (heartbeat tests).
            PROCESSOR_VISIBILITY_TIMEOUT=str(self.visibility),
            LOG_LEVEL="DEBUG",
        )
        env.update(extra)
        return env

    def start_worker(self, **extra: str) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "processor"],
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            # Its own process group: kill -9 takes FFmpeg with it, like a lost instance.
            start_new_session=True,
        )
        log.close()
        self.workers.append(proc)
        return proc

    def log_entries(self) -> list[dict]:
        """Every JSON log line the workers wrote."""
        entries = []
        for log in sorted(self.tmp.glob("worker-*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    entries.append(json.loads(line))
        return entries

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def submit(self, clip: Path, qualities: tuple[str, ...] | None = None, title: str | None = None) -> Job:
        """A confirmed upload, as the gallery leaves it: the source, its row (size and ETag as
        confirmed) and its job."""
        video_id, user_id = str(uuid.uuid4()), f"user-{uuid.uuid4().hex[:6]}"
        job = jobs.Job.new(video_id, user_id, qualities or model.rendition_names())
        self.s3.upload_file(str(clip), self.bucket, job.s3_key)
        etag = self.s3.head_object(Bucket=self.bucket, Key=job.s3_key)["ETag"]
        with self.db() as conn:
            conn.execute(
                """
                INSERT INTO gallery_videos (id, owner_id, title, status, s3_key, file_name, content_type,
                                            size_bytes, job_id, queued_at, source_etag)
                VALUES (%s, %s, %s, 'queued', %s, %s, 'video/mp4', %s, %s, now(), %s)
                """,
                (
                    video_id,
                    user_id,
                    title or clip.stem,
                    job.s3_key,
                    clip.name,
                    clip.stat().st_size,
                    job.job_id,
                    etag,
                ),
            )
        self.send(job)
        return job

    def send(self, job: Job) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=job.to_json())

    def video(self, video_id: str) -> dict:
        with self.db() as conn:
            cur = conn.cursor(row_factory=psycopg.rows.dict_row)
            return cur.execute("SELECT * FROM gallery_videos WHERE id = %s", (video_id,)).fetchone()

    def assets(self, video_id: str) -> list[dict]:
        with self.db() as conn:
            cur = conn.cursor(row_factory=psycopg.rows.dict_row)
            return cur.execute(
                "SELECT * FROM media_assets WHERE video_id = %s ORDER BY kind, height DESC NULLS LAST, name",
                (video_id,),
            ).fetchall()

    def wait_status(self, video_id: str, *statuses: str, timeout: float = 180) -> dict:
        wait_for(
            lambda: self.video(video_id)["status"] in statuses, timeout, f"video {video_id} in {statuses}"
        )
        return self.video(video_id)

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def text(self, key: str) -> str:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()

    def messages(self, url: str | None = None) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def wait_messages(self, count: int, timeout: float = 60) -> None:
        wait_for(lambda: self.messages() == count, timeout, f"{count} messages on the queue")

    def visible(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def download_hls(self, video_id: str, target: Path) -> Path:
        for key in self.keys(jobs.hls_prefix(video_id)):
            path = target / key
            path.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(self.bucket, key, str(path))
        return target / jobs.master_playlist_key(video_id)


Job = jobs.Job


@pytest.fixture(name="make_stack")
def make_stack_fixture(aws, pg, database, tmp_path):
    made: list[Stack] = []

    def make(visibility: int = 60) -> Stack:
        stack = Stack(aws, pg, database, visibility, tmp_path)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.stop_workers()


def mid_transcode(stack: Stack, video_id: str) -> None:
    """Wait until the worker has uploaded a segment and FFmpeg is still running."""
    wait_for(lambda: bool(stack.keys(f"hls/{video_id}/360p/seg_")), 120, "a first segment")
    assert stack.video(video_id)["status"] == "processing"
