"""The user's videos: paging, update, delete (objects and rows), retry, queue position."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import httpx

from tests.support.apps import stack_fixture  # noqa: F401


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
    for prefix in (f"hls/{video_id}/", f"thumbnails/{video_id}/"):
        assert stack.s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix).get("KeyCount") == 0
    # The source is gone; while its upload URL is still valid, an empty marker in its place
    # keeps that URL from recreating it (the URL signs If-None-Match: *).
    assert left_under(stack, f"uploads/{sub}/{video_id}/") == [(f"uploads/{sub}/{video_id}/source", 0)]
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
    # Refused: S3 answers 404 NoSuchUpload (moto 5.2.5 a 500).
    late_part = httpx.put(parts[1]["url"], content=os.urandom(5 << 20), timeout=60)
    assert late_part.status_code >= 400
    uploads = stack.s3.list_multipart_uploads(
        Bucket=stack.bucket, Prefix=f"uploads/{sub}/{multi['videoId']}/"
    )
    assert uploads.get("Uploads", []) == []
    assert [size for _, size in left_under(stack, f"uploads/{sub}/{multi['videoId']}/")] in ([], [0])


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
