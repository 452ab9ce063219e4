"""The transcode job runs without a queue: given the confirmed source, its row, S3 and the
database, it leaves a ready video. Real FFmpeg, moto S3 and PostgreSQL, in this process."""

from __future__ import annotations

import pytest

from processor import store
from processor.config import ProcessorConfig
from processor.transcode import TranscodeJob
from tests.support import media as clips
from tests.support.processor import clip_dir_fixture, database_fixture, make_stack_fixture  # noqa: F401

pytestmark = pytest.mark.slow


def test_the_job_needs_no_queue(make_stack, clip_dir, monkeypatch):
    stack = make_stack()
    for name, value in stack.env().items():
        monkeypatch.setenv(name, value)
    cfg = ProcessorConfig.from_env()
    job = stack.submit(clips.clip_480p(clip_dir))
    stack.sqs.purge_queue(QueueUrl=stack.queue_url)  # no queue here: nobody reads the message
    conn = store.connect(cfg.settings.db_conninfo)
    assert store.start_processing(conn, job.video_id, job.job_id, lease_seconds=15) is True
    checks = []
    TranscodeJob(
        cfg, stack.s3, conn, job, store.get_video(conn, job.video_id), 30, lambda: checks.append(1)
    ).run()
    video = stack.video(job.video_id)
    assert (video["status"], video["progress"], video["lease_expires_at"]) == ("ready", 100, None)
    assert video["encode_speed"] is None or video["encode_speed"] > 0
    assert [a["name"] for a in stack.assets(job.video_id) if a["kind"] == "rendition"] == ["480p", "360p"]
    assert checks  # it asked, while it worked, whether to stop
    conn.close()
