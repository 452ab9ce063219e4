"""A worker that receives a job while gallery's confirm transaction is still open waits for
it, instead of failing the video (confirm sends the job before it commits)."""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest

from processor import store
from videoforge.migrate import migrate


@pytest.fixture(scope="module")
def dsn(pg) -> str:
    name = f"claim_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(pg.dsn(name))
    return pg.dsn(name)


def uploading_video(dsn: str) -> str:
    video_id = str(uuid.uuid4())
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO gallery_videos (id, owner_id, title, s3_key, file_name, content_type, size_bytes)"
            " VALUES (%s, 'u', 't', %s, 'a.mp4', 'video/mp4', 10)",
            (video_id, f"uploads/u/{video_id}/source"),
        )
    return video_id


def claim_while_confirm_is_open(dsn: str, video_id: str, commit: bool):
    confirm = psycopg.connect(dsn)  # gallery's transaction: row claimed, job sent, not committed
    confirm.execute("UPDATE gallery_videos SET status = 'queued' WHERE id = %s", (video_id,))
    result = {}
    worker = store.connect(dsn)
    waiting = threading.Thread(
        target=lambda: result.update(claimed=store.start_processing(worker, video_id, str(uuid.uuid4())))
    )
    waiting.start()
    waiting.join(1.0)
    assert waiting.is_alive(), "the worker must wait for the open confirm, not decide on the old row"
    if commit:
        confirm.commit()
    else:
        confirm.rollback()
    waiting.join(30)
    confirm.close()
    status = worker.execute(
        "SELECT status, attempts FROM gallery_videos WHERE id = %s", (video_id,)
    ).fetchone()
    worker.close()
    return result["claimed"], status


def test_job_received_before_confirm_commits_is_processed(dsn):
    claimed, (status, attempts) = claim_while_confirm_is_open(dsn, uploading_video(dsn), commit=True)
    assert claimed is True
    assert (status, attempts) == ("processing", 1)


def test_job_of_a_confirm_that_rolled_back_waits_and_fails_nothing(dsn):
    claimed, (status, attempts) = claim_while_confirm_is_open(dsn, uploading_video(dsn), commit=False)
    assert claimed is None
    assert (status, attempts) == ("uploading", 0)


def test_a_video_that_is_gone_is_not_claimed(dsn):
    worker = store.connect(dsn)
    assert store.start_processing(worker, str(uuid.uuid4()), str(uuid.uuid4())) is False
    worker.close()
