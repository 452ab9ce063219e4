"""The user's videos: paging, update, delete (rows at once, objects in the background), retry,
queue position."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta

import httpx
import pytest

from tests.support.apps import stack_fixture, wait_until  # noqa: F401
from tests.support.services import free_port


def api(stack, method, path, user="dora", **kwargs):
    return httpx.request(method, f"{stack.gallery}/api/gallery{path}", headers=stack.headers(user), **kwargs)


def test_list_is_newest_first_and_pages_with_a_cursor(stack):
    ids = [stack.upload_video("dora", os.urandom(1000), name=f"v{n}.mp4") for n in range(5)]
    stack.drain(wait=0)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api(stack, "GET", "/videos", params=params).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert api(stack, "GET", "/videos", params={"cursor": "bogus!"}).status_code == 400
    assert api(stack, "GET", "/videos", params={"limit": 0}).status_code == 400
    assert api(stack, "GET", "/videos", user="erin").json() == {"items": [], "nextCursor": None}


def test_update_changes_only_what_is_given(stack):
    video_id = stack.upload_video("dora", os.urandom(1000))
    r = api(stack, "PATCH", f"/videos/{video_id}", json={"description": "at the beach"})
    assert r.status_code == 200
    before = r.json()
    r = api(stack, "PATCH", f"/videos/{video_id}", json={"title": "Beach", "visibility": "public"})
    video = r.json()
    assert (video["title"], video["description"], video["visibility"]) == ("Beach", "at the beach", "public")
    assert video["updatedAt"] >= before["updatedAt"]
    bad = api(stack, "PATCH", f"/videos/{video_id}", json={"visibility": "friends"})
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"
    # NUL (which PostgreSQL text cannot hold) and other control characters: a 400, not a 500.
    for change in (
        {"title": "nul\x00"},
        {"description": "nul\x00"},
        {"title": "bell\x07"},
        {"title": "a\nb"},
    ):
        bad = api(stack, "PATCH", f"/videos/{video_id}", json=change)
        assert bad.status_code == 400 and bad.json()["code"] == "validation_error", change
    # A description keeps its line breaks and tabs.
    ok = api(stack, "PATCH", f"/videos/{video_id}", json={"description": "at the beach\n\tday 2"})
    assert ok.status_code == 200 and ok.json()["description"] == "at the beach\n\tday 2"
    api(stack, "PATCH", f"/videos/{video_id}", json={"description": "at the beach"})
    assert api(stack, "GET", f"/videos/{video_id}").json()["visibility"] == "public"


def test_delete_removes_every_object_and_row(stack):
    video_id = stack.upload_video("dora", os.urandom(2000))
    sub = stack.user("dora")["sub"]
    keys = [
        f"hls/{video_id}/master.m3u8",
        f"hls/{video_id}/720p/index.m3u8",
        f"hls/{video_id}/720p/seg_00000.ts",
        f"thumbnails/{video_id}/poster.jpg",
    ]
    for key in keys:
        stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=b"x")
    neighbour = stack.upload_video("dora", os.urandom(2000))
    with stack.db() as conn:
        conn.execute(
            "INSERT INTO media_assets (video_id, kind, name, s3_key) VALUES (%s, 'rendition', '720p', %s)",
            (video_id, keys[1]),
        )
    r = api(stack, "DELETE", f"/videos/{video_id}")
    assert r.status_code == 204
    # The source is gone; while its upload URL is still valid, an empty marker in its place
    # keeps that URL from recreating it (the URL signs If-None-Match: *).
    assert wait_until(lambda: purged(stack, sub, video_id), 30)
    with stack.db() as conn:
        assert (
            conn.execute("SELECT count(*) FROM gallery_videos WHERE id = %s", (video_id,)).fetchone()[0] == 0
        )
        assert (
            conn.execute("SELECT count(*) FROM media_assets WHERE video_id = %s", (video_id,)).fetchone()[0]
            == 0
        )
    assert api(stack, "GET", f"/videos/{video_id}").status_code == 404
    assert api(stack, "DELETE", f"/videos/{video_id}").status_code == 404
    # The neighbour's source is untouched.
    assert (
        stack.s3.list_objects_v2(Bucket=stack.bucket, Prefix=f"uploads/{sub}/{neighbour}/")["KeyCount"] == 1
    )


def left_under(stack, prefix):
    listed = stack.s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix).get("Contents", [])
    return [(o["Key"], o["Size"]) for o in listed]


def purged(stack, sub, video_id) -> bool:
    """Nothing of the video is left in storage but the marker at its source key."""
    return (
        left_under(stack, f"hls/{video_id}/") == []
        and left_under(stack, f"thumbnails/{video_id}/") == []
        and left_under(stack, f"uploads/{sub}/{video_id}/") == [(f"uploads/{sub}/{video_id}/source", 0)]
    )


def test_a_deleted_upload_cannot_be_recreated_through_its_still_valid_urls(stack):
    sub = stack.user("dora")["sub"]
    # A single PUT: deleted before the file arrived, the URL then refuses to create it.
    r = api(
        stack,
        "POST",
        "/generate-upload-url",
        json={"fileName": "a.mp4", "contentType": "video/mp4", "size": 500},
    )
    single = r.json()
    assert api(stack, "DELETE", f"/videos/{single['videoId']}").status_code == 204
    assert wait_until(lambda: purged(stack, sub, single["videoId"]), 30)
    late = httpx.put(single["upload"]["url"], content=os.urandom(500), headers=single["upload"]["headers"])
    assert late.status_code == 412
    assert left_under(stack, f"uploads/{sub}/{single['videoId']}/") == [
        (f"uploads/{sub}/{single['videoId']}/source", 0)
    ]
    # Multipart: deleted halfway, the upload is aborted and its part URLs stop working.
    r = api(
        stack,
        "POST",
        "/generate-upload-url",
        json={"fileName": "b.mp4", "contentType": "video/mp4", "size": 11 << 20},
    )
    multi = r.json()
    parts = multi["upload"]["parts"]
    assert httpx.put(parts[0]["url"], content=os.urandom(5 << 20), timeout=60).status_code == 200
    assert api(stack, "DELETE", f"/videos/{multi['videoId']}").status_code == 204
    assert wait_until(lambda: not multipart_uploads(stack, sub, multi["videoId"]), 30)
    # Refused: S3 answers 404 NoSuchUpload (moto 5.2.5 a 500).
    late_part = httpx.put(parts[1]["url"], content=os.urandom(5 << 20), timeout=60)
    assert late_part.status_code >= 400
    assert [size for _, size in left_under(stack, f"uploads/{sub}/{multi['videoId']}/")] in ([], [0])


def multipart_uploads(stack, sub, video_id) -> list:
    answer = stack.s3.list_multipart_uploads(Bucket=stack.bucket, Prefix=f"uploads/{sub}/{video_id}/")
    return answer.get("Uploads", [])


def purge_row(stack, video_id):
    with stack.db() as conn:
        return conn.execute(
            "SELECT attempts, last_error FROM storage_purges WHERE video_id = %s", (video_id,)
        ).fetchone()


def with_hls(stack, user: str) -> tuple[str, str]:
    video_id = stack.upload_video(user, os.urandom(1000))
    for key in (f"hls/{video_id}/master.m3u8", f"hls/{video_id}/720p/seg_00000.ts"):
        stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=b"x")
    return video_id, stack.user(user)["sub"]


@pytest.fixture
async def gallery_without_s3(stack, monkeypatch):
    """The gallery app in this process with S3 out of reach (the database and tokens are not)."""
    for key, value in {**stack.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}.items():
        monkeypatch.setenv(key, value)
    from gallery.app import create_app

    async with create_app().test_app() as test_app:
        yield test_app.test_client()


async def test_a_delete_answers_without_storage_and_the_purge_retries_until_done(stack, gallery_without_s3):
    video_id, sub = with_hls(stack, "erin")
    r = await gallery_without_s3.delete(f"/api/gallery/videos/{video_id}", headers=stack.headers("erin"))
    assert r.status_code == 204  # the request never waits on S3
    assert api(stack, "GET", f"/videos/{video_id}", user="erin").status_code == 404
    # The in-process task's pass (woken by the delete) cannot reach S3: the purge stays, with why.
    for _ in range(300):
        failed = purge_row(stack, video_id)
        if failed is None or failed[1]:
            break
        await asyncio.sleep(0.1)  # the app's loop runs meanwhile
    assert failed and failed[0] >= 1 and "not connect" in failed[1].lower(), failed
    assert left_under(stack, f"hls/{video_id}/") != []
    # A task that reaches S3 takes the purge when it is due again and leaves nothing behind.
    assert wait_until(lambda: purged(stack, sub, video_id), 120)


def test_objects_a_late_worker_writes_after_the_delete_are_removed_too(stack):
    video_id, sub = with_hls(stack, "erin")
    assert api(stack, "DELETE", f"/videos/{video_id}", user="erin").status_code == 204
    assert wait_until(lambda: purged(stack, sub, video_id), 30)
    # A worker that had not yet noticed the delete writes one more segment...
    stack.s3.put_object(Bucket=stack.bucket, Key=f"hls/{video_id}/720p/seg_00001.ts", Body=b"x")
    # ... and the settling time passes: the next pass finds it, and the one after ends the purge.
    with stack.db() as conn:
        conn.execute(
            """UPDATE storage_purges SET created_at = now() - interval '1 day', next_attempt_at = now()
                WHERE video_id = %s""",
            (video_id,),
        )
    assert wait_until(lambda: purge_row(stack, video_id) is None, 60)
    assert purged(stack, sub, video_id)


def test_retry_sends_a_new_job_once_for_a_failed_video(stack):
    video_id = stack.upload_video("dora", os.urandom(1500))
    first = [m for m in stack.drain() if m["videoId"] == video_id]
    assert len(first) == 1
    assert api(stack, "POST", f"/videos/{video_id}/retry").status_code == 409  # not failed
    with stack.db() as conn:
        conn.execute(
            "UPDATE gallery_videos SET status = 'failed', error = 'FFmpeg: invalid data', progress = 40"
            " WHERE id = %s",
            (video_id,),
        )
    failed = api(stack, "GET", f"/videos/{video_id}").json()
    assert (failed["status"], failed["error"]) == ("failed", "FFmpeg: invalid data")
    r = api(stack, "POST", f"/videos/{video_id}/retry")
    assert r.status_code == 202
    assert (r.json()["status"], r.json()["error"], r.json()["progress"]) == ("queued", None, 0)
    second = [m for m in stack.drain() if m["videoId"] == video_id]
    assert len(second) == 1
    assert second[0]["jobId"] != first[0]["jobId"]
    with stack.db() as conn:
        job_id = conn.execute("SELECT job_id FROM gallery_videos WHERE id = %s", (video_id,)).fetchone()[0]
    assert second[0]["jobId"] == str(job_id)
    assert api(stack, "POST", f"/videos/{video_id}/retry").status_code == 409
    assert [m for m in stack.drain(wait=0) if m["videoId"] == video_id] == []


def test_queued_videos_show_their_position_and_an_estimate(stack):
    with stack.db() as conn:  # an empty queue and a known processing history
        conn.execute("UPDATE gallery_videos SET status = 'ready' WHERE status IN ('queued', 'processing')")
        conn.execute(
            "UPDATE gallery_videos SET started_at = now() - interval '10 minutes',"
            " ready_at = now() - interval '8 minutes', queued_at = now() - interval '11 minutes'"
            " WHERE status = 'ready'"
        )
    ids = [stack.upload_video("frank", os.urandom(500)) for _ in range(3)]
    stack.drain(wait=0)
    videos = [api(stack, "GET", f"/videos/{v}", user="frank").json() for v in ids]
    assert [v["queuePosition"] for v in videos] == [0, 1, 2]
    estimates = [datetime.fromisoformat(v["estimatedReadyAt"]) for v in videos]
    # Recent jobs took 120 s each: one more job's worth per place in the queue.
    assert estimates[1] - estimates[0] > timedelta(seconds=100)
    assert estimates[2] - estimates[1] > timedelta(seconds=100)
    with stack.db() as conn:
        conn.execute(
            "UPDATE gallery_videos SET status = 'processing', progress = 50,"
            " started_at = now() - interval '60 seconds' WHERE id = %s",
            (ids[0],),
        )
    processing = api(stack, "GET", f"/videos/{ids[0]}", user="frank").json()
    assert processing["queuePosition"] is None
    assert processing["progress"] == 50
    assert processing["estimatedReadyAt"] is not None
    assert api(stack, "GET", f"/videos/{ids[1]}", user="frank").json()["queuePosition"] == 1


def test_an_estimate_only_where_it_means_something_and_retrying_instead_of_a_frozen_percentage(stack):
    video_id = stack.upload_video("gina", os.urandom(500))
    stack.drain(wait=0)

    def shown(**row):
        with stack.db() as conn:
            sets = ", ".join(f"{k} = {v}" for k, v in row.items())
            conn.execute(f"UPDATE gallery_videos SET {sets} WHERE id = %s", (video_id,))  # noqa: S608
        return api(stack, "GET", f"/videos/{video_id}", user="gina").json()

    # Early in the job nothing is measured yet: no estimate rather than "a few seconds".
    early = shown(status="'processing'", progress=4, attempts=1, started_at="now() - interval '9 seconds'",
                  lease_expires_at="now() + interval '60 seconds'", estimated_ready_at="NULL")  # fmt: skip
    assert (early["estimatedReadyAt"], early["retrying"], early["attempt"]) == (None, False, 1)
    # The processor's estimate from this job's measured speed is what the page shows.
    measured = shown(progress=18, estimated_ready_at="now() + interval '40 seconds'")
    eta = datetime.fromisoformat(measured["estimatedReadyAt"])
    assert timedelta(seconds=30) < eta - datetime.now(eta.tzinfo) < timedelta(seconds=50)
    # An estimate already past says nothing.
    assert shown(estimated_ready_at="now() - interval '5 seconds'")["estimatedReadyAt"] is None
    # The worker stopped reporting (its lease ran out): retrying, not a frozen 18%.
    lost = shown(
        lease_expires_at="now() - interval '1 second'", estimated_ready_at="now() + interval '40 seconds'"
    )
    assert (lost["retrying"], lost["estimatedReadyAt"], lost["progress"]) == (True, None, 18)
    # Another worker took it over: attempt 2, no longer retrying.
    again = shown(
        attempts=2, progress=0, lease_expires_at="now() + interval '60 seconds'", estimated_ready_at="NULL"
    )
    assert (again["retrying"], again["attempt"]) == (False, 2)
    # Back in the queue after a failed attempt: retrying too.
    queued = shown(status="'queued'", lease_expires_at="NULL", error="'Attempt 2 failed, retrying.'")
    assert (queued["retrying"], queued["attempt"]) == (True, 2)
