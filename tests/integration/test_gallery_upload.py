"""Uploads end to end: presigned PUT and multipart over real HTTP to moto, confirm, the job."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.apps import (  # noqa: F401
    MIB,
    launch_service,
    service_env,
    stack_fixture,
    stop_all,
    wait_healthy,
)
from tests.support.services import free_port
from videoforge.jobs import Job, source_key

JOB_KEYS = {"jobId", "videoId", "s3Key", "userId", "qualities", "timestamp"}


@pytest.fixture(scope="module")
def odd_galleries(stack, pg):
    """Two more gallery instances, started together: one whose queue does not exist, one
    whose database is unreachable."""
    no_queue = {**stack.env, "SQS_QUEUE_URL": stack.queue_url.rsplit("/", 1)[0] + "/no-such-queue"}
    no_db = {**stack.env, "DB_PORT": str(free_port()), "DB_NAME": "nowhere"}
    broken = launch_service("gallery.app:app", no_queue, stack.tmp)
    down = launch_service("gallery.app:app", no_db, stack.tmp)
    try:
        wait_healthy(broken)
        wait_healthy(down, expect_healthy=False)
        yield {"no_queue": broken, "no_db": down}
    finally:
        stop_all(broken, down)


def generate(stack, user, size, content_type="video/mp4", name="holiday.mp4"):
    return httpx.post(
        f"{stack.gallery}/api/gallery/generate-upload-url",
        json={"fileName": name, "contentType": content_type, "size": size},
        headers=stack.headers(user),
    )


def confirm(stack, user, video_id, **extra):
    return httpx.post(
        f"{stack.gallery}/api/gallery/confirm-upload",
        json={"videoId": video_id, **extra},
        headers=stack.headers(user),
        timeout=30,
    )


def jobs_for(messages, video_id):
    return [m for m in messages if m["videoId"] == video_id]


def row(stack, video_id):
    with stack.db() as conn:
        return conn.execute(
            "SELECT status, job_id, upload_id, s3_key FROM gallery_videos WHERE id = %s", (video_id,)
        ).fetchone()


def test_single_put_upload_queues_one_job_in_the_documented_format(stack):
    data = os.urandom(300_000)
    r = generate(stack, "alice", len(data))
    assert r.status_code == 200, r.text
    ticket = r.json()
    video_id = ticket["videoId"]
    assert ticket["upload"]["method"] == "PUT"
    assert ticket["upload"]["headers"] == {
        "Content-Type": "video/mp4",
        "Content-Length": str(len(data)),
        "If-None-Match": "*",
    }
    status, _, _, key = row(stack, video_id)
    assert status == "uploading"
    assert key == source_key(stack.user("alice")["sub"], video_id)

    put = httpx.put(ticket["upload"]["url"], content=data, headers=ticket["upload"]["headers"])
    assert put.status_code == 200
    r = confirm(stack, "alice", video_id, title="Holiday")
    assert r.status_code == 200, r.text
    video = r.json()
    assert video["id"] == video_id
    assert video["status"] == "queued"
    assert video["title"] == "Holiday"
    assert video["size"] == len(data)
    assert video["queuePosition"] is not None
    # An estimate only where one means something (test_gallery_videos covers when).
    assert "estimatedReadyAt" in video and video["retrying"] is False

    messages = jobs_for(stack.drain(), video_id)
    assert len(messages) == 1
    message = messages[0]
    assert set(message) == JOB_KEYS
    job = Job.from_json(httpx.Response(200, json=message).text)
    _, job_id, _, _ = row(stack, video_id)
    assert job.job_id == str(job_id)
    assert job.user_id == stack.user("alice")["sub"]
    assert job.s3_key == key
    assert message["qualities"] == ["1080p", "720p", "480p", "360p"]
    stored = stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    assert stored == data

    # Retrying confirm answers the same video and sends nothing more.
    again = confirm(stack, "alice", video_id)
    assert again.status_code == 200
    assert again.json()["id"] == video_id
    assert again.json()["status"] == "queued"
    assert jobs_for(stack.drain(), video_id) == []
    with stack.db() as conn:
        assert (
            conn.execute("SELECT count(*) FROM gallery_videos WHERE id = %s", (video_id,)).fetchone()[0] == 1
        )


def test_multipart_upload_can_be_resumed_and_completes_on_confirm(stack):
    data = os.urandom(11 * MIB + 12345)
    r = generate(stack, "alice", len(data), content_type="video/quicktime", name="long.mov")
    assert r.status_code == 200, r.text
    ticket = r.json()
    video_id, upload = ticket["videoId"], ticket["upload"]
    assert upload["method"] == "MULTIPART"
    part_size = upload["partSize"]
    assert part_size == 5 * MIB
    assert [p["partNumber"] for p in upload["parts"]] == [1, 2, 3]

    # Part 1, then the client is interrupted.
    first = httpx.put(upload["parts"][0]["url"], content=data[:part_size], timeout=60)
    assert first.status_code == 200
    etags = {1: first.headers["ETag"]}

    resumed = httpx.post(
        f"{stack.gallery}/api/gallery/videos/{video_id}/upload-parts", headers=stack.headers("alice")
    )
    assert resumed.status_code == 200, resumed.text
    resume = resumed.json()
    assert resume["uploadId"] == upload["uploadId"]
    assert [(p["partNumber"], p["etag"]) for p in resume["uploadedParts"]] == [(1, etags[1])]
    for part in resume["parts"][1:]:
        n = part["partNumber"]
        chunk = data[(n - 1) * part_size : n * part_size]
        response = httpx.put(part["url"], content=chunk, timeout=60)
        assert response.status_code == 200
        etags[n] = response.headers["ETag"]

    r = confirm(
        stack, "alice", video_id, parts=[{"partNumber": n, "etag": e} for n, e in sorted(etags.items())]
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "queued"
    status, _, upload_id, key = row(stack, video_id)
    assert (status, upload_id) == ("queued", None)
    assert stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == data
    assert len(jobs_for(stack.drain(), video_id)) == 1

    # Confirm again (the multipart upload no longer exists): same answer, no second job.
    assert confirm(stack, "alice", video_id).json()["status"] == "queued"
    assert jobs_for(stack.drain(), video_id) == []
    gone = httpx.post(
        f"{stack.gallery}/api/gallery/videos/{video_id}/upload-parts", headers=stack.headers("alice")
    )
    assert gone.status_code == 409


def test_multipart_confirm_without_etags_lists_the_parts_itself(stack):
    data = os.urandom(6 * MIB)
    ticket = generate(stack, "alice", len(data)).json()
    upload = ticket["upload"]
    for part in upload["parts"]:
        n = part["partNumber"]
        chunk = data[(n - 1) * upload["partSize"] : n * upload["partSize"]]
        assert httpx.put(part["url"], content=chunk, timeout=60).status_code == 200
    r = confirm(stack, "alice", ticket["videoId"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "queued"
    assert len(jobs_for(stack.drain(), ticket["videoId"])) == 1


def test_concurrent_confirms_send_exactly_one_job(stack):
    data = os.urandom(50_000)
    ticket = generate(stack, "alice", len(data)).json()
    httpx.put(ticket["upload"]["url"], content=data, headers=ticket["upload"]["headers"])
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: confirm(stack, "alice", ticket["videoId"]), range(8)))
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} == {"queued"}
    assert len(jobs_for(stack.drain(), ticket["videoId"])) == 1


def test_confirm_before_the_upload_arrives_is_refused_and_changes_nothing(stack):
    ticket = generate(stack, "alice", 1234).json()
    r = confirm(stack, "alice", ticket["videoId"])
    assert r.status_code == 409
    assert r.json()["code"] == "upload_incomplete"
    assert row(stack, ticket["videoId"])[0] == "uploading"
    assert jobs_for(stack.drain(), ticket["videoId"]) == []


def test_confirm_with_parts_storage_does_not_hold_is_a_conflict(stack):
    """Well-formed parts that do not match the upload (a wrong ETag) conflict with its state."""
    data = os.urandom(6 * MIB)
    ticket = generate(stack, "alice", len(data)).json()
    upload = ticket["upload"]
    for part in upload["parts"]:
        n = part["partNumber"]
        chunk = data[(n - 1) * upload["partSize"] : n * upload["partSize"]]
        assert httpx.put(part["url"], content=chunk, timeout=60).status_code == 200
    wrong = [
        {"partNumber": p["partNumber"], "etag": '"0123456789abcdef0123456789abcdef"'} for p in upload["parts"]
    ]
    r = confirm(stack, "alice", ticket["videoId"], parts=wrong)
    assert r.status_code == 409 and r.json()["code"] == "invalid_parts", r.text
    assert row(stack, ticket["videoId"])[0] == "uploading"
    assert jobs_for(stack.drain(wait=0), ticket["videoId"]) == []


def test_confirm_refuses_an_object_of_another_size(stack):
    """Whatever reached storage (the URL signs the size, so only a store that does not check
    signatures lets another size in), confirm compares it with the declared size."""
    ticket = generate(stack, "alice", 1000).json()
    key = source_key(stack.user("alice")["sub"], ticket["videoId"])
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=b"x" * 999)
    r = confirm(stack, "alice", ticket["videoId"])
    assert r.status_code == 400
    assert r.json()["code"] == "size_mismatch"
    assert row(stack, ticket["videoId"])[0] == "uploading"


def test_upload_requests_are_validated(stack):
    bad_type = generate(stack, "alice", 100, content_type="application/x-msdownload")
    assert bad_type.status_code == 400 and bad_type.json()["code"] == "unsupported_type"
    too_big = generate(stack, "alice", 64 * MIB + 1)
    assert too_big.status_code == 400 and too_big.json()["code"] == "too_large"
    refused = ("../../etc/passwd", "a/b.mp4", "", "bad\nname.mp4", ".", "..", "  ", "nul\x00.mp4", "a\\b.mp4")
    # Bidirectional overrides, isolates and marks: "clip<RLO>4pm.exe" shows as "clip.exe.mp4"-ish.
    refused += ("clip\u202e4pm.exe", "a\u2066b.mp4", "a\u200fb.mp4", "a\u061cb.mp4", "del\x7f.mp4")
    for name in refused:
        r = generate(stack, "alice", 100, name=name)
        assert r.status_code == 400, name
        assert r.json()["code"] == "validation_error"
        assert r.json()["details"]
    for fine in ("holiday 2025.mp4", "Ünïcødé 動画.mov", "...x.mp4"):
        assert generate(stack, "alice", 100, name=fine).status_code == 200, fine
    nul_title = httpx.post(
        f"{stack.gallery}/api/gallery/generate-upload-url",
        json={"fileName": "a.mp4", "contentType": "video/mp4", "size": 10, "title": "a\x00b"},
        headers=stack.headers("alice"),
    )
    assert nul_title.status_code == 400 and nul_title.json()["code"] == "validation_error"
    zero = generate(stack, "alice", 0)
    assert zero.status_code == 400 and zero.json()["code"] == "validation_error"
    missing = httpx.post(
        f"{stack.gallery}/api/gallery/generate-upload-url",
        json={"fileName": "a.mp4"},
        headers=stack.headers("alice"),
    )
    assert missing.status_code == 400
    assert {d["loc"][-1] for d in missing.json()["details"]} >= {"content_type", "size"}
    not_json = httpx.post(
        f"{stack.gallery}/api/gallery/confirm-upload", content=b"{nope", headers=stack.headers("alice")
    )
    assert not_json.status_code == 400
    assert set(not_json.json()) >= {"code", "message"}
    unknown = confirm(stack, "alice", str(uuid.uuid4()))
    assert unknown.status_code == 404


def test_a_failed_send_leaves_the_video_retryable(stack, odd_galleries):
    """Gallery with an unreachable queue: confirm answers 503 and the row stays 'uploading';
    the same confirm through a healthy instance then queues exactly one job."""
    broken = odd_galleries["no_queue"]
    data = os.urandom(10_000)
    ticket = generate(stack, "alice", len(data)).json()
    httpx.put(ticket["upload"]["url"], content=data, headers=ticket["upload"]["headers"])
    r = httpx.post(
        f"{broken.url}/api/gallery/confirm-upload",
        json={"videoId": ticket["videoId"]},
        headers=stack.headers("alice"),
        timeout=60,
    )
    assert r.status_code == 503
    assert r.json() == {"code": "queue_unavailable", "message": "the processing queue is unavailable; retry"}
    assert row(stack, ticket["videoId"])[0] == "uploading"
    r = confirm(stack, "alice", ticket["videoId"])
    assert r.status_code == 200 and r.json()["status"] == "queued"
    assert len(jobs_for(stack.drain(), ticket["videoId"])) == 1


def test_liveness_outlasts_a_missing_dependency_and_readiness_names_it(stack, odd_galleries):
    """The load balancer's and the container's check (/health) says the process serves: a
    database failover (60-120 s on RDS Multi-AZ) must not take every task out and have ECS
    replace them. What is missing is readiness's to say (/health/ready), and the routes that
    need it answer 503."""
    live = {"service": "gallery", "status": "ok"}
    ready = httpx.get(f"{stack.gallery}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"service": "gallery", "status": "ok", "database": True, "s3": True, "sqs": True}
    assert httpx.get(f"{stack.gallery}/api/gallery/health/ready").status_code == 200
    assert httpx.get(f"{stack.streaming}/api/stream/health/ready").json()["database"] is True

    no_queue = odd_galleries["no_queue"].url
    assert httpx.get(f"{no_queue}/health").json() == live
    degraded = httpx.get(f"{no_queue}/health/ready")
    assert degraded.status_code == 503
    assert degraded.json() == {
        "service": "gallery",
        "status": "degraded",
        "database": True,
        "s3": True,
        "sqs": False,
    }

    down = odd_galleries["no_db"].url
    for path in ("/health", "/api/gallery/health"):
        r = httpx.get(f"{down}{path}", timeout=30)
        assert (r.status_code, r.json()) == (200, live), path
    r = httpx.get(f"{down}/health/ready", timeout=30)
    assert r.status_code == 503
    assert r.json() == {
        "service": "gallery",
        "status": "unavailable",
        "database": False,
        "s3": True,
        "sqs": True,
    }
    # Routes that need the database say so, briefly and without details.
    listed = httpx.get(f"{down}/api/gallery/videos", headers=stack.headers("alice"), timeout=60)
    assert listed.status_code == 503
    assert listed.json() == {"code": "database_unavailable", "message": "the database is unavailable; retry"}
