"""Sizes are enforced, not only declared: every upload URL signs the exact size it takes (the
emulator checks SigV4 signatures as S3 does, and botocore agrees on what they cover), a
single PUT creates the source once and can never replace it, confirm records the version it
checked, and each user has limits on uploads in progress."""

from __future__ import annotations

import datetime
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.auth
import httpx
import pytest
from botocore.config import Config

from tests.support.apps import MIB, REGION, launch_service, stack_fixture, stop_all, wait_healthy  # noqa: F401
from videoforge.jobs import source_key


def generate(base, stack, user, size, name="clip.mp4"):
    return httpx.post(
        f"{base}/api/gallery/generate-upload-url",
        json={"fileName": name, "contentType": "video/mp4", "size": size},
        headers=stack.headers(user),
        timeout=30,
    )


def reference_url(stack, monkeypatch, url: str, operation: str, params: dict) -> str:
    """botocore's own presigned URL for ``params``, signed at the same second as ``url``."""
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: signed_at)
    session = boto3.Session(
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN"),
        region_name=REGION,
    )
    client = session.client(
        "s3",
        endpoint_url=stack.env["S3_PUBLIC_ENDPOINT_URL"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return client.generate_presigned_url(
        operation, Params={"Bucket": stack.bucket, **params}, ExpiresIn=int(query["X-Amz-Expires"][0])
    )


def signature(url: str) -> str:
    return parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]


def test_every_upload_url_signs_the_exact_size_it_takes(stack, monkeypatch):
    """S3 recomputes the signature over the Content-Length it receives: a URL whose signature
    covers the size refuses every other size. botocore, the reference signer, agrees with our
    URL for the declared size and disagrees for one byte more."""
    size = 11 * MIB + 12345
    ticket = generate(stack.gallery, stack, "uma", size).json()
    key = source_key(stack.user("uma")["sub"], ticket["videoId"])
    upload = ticket["upload"]
    lengths = [5 * MIB, 5 * MIB, MIB + 12345]
    assert [p["partNumber"] for p in upload["parts"]] == [1, 2, 3]
    for part, length in zip(upload["parts"], lengths, strict=True):
        url = part["url"]
        assert parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"] == ["content-length;host"]
        params = {"Key": key, "UploadId": upload["uploadId"], "PartNumber": part["partNumber"]}
        assert url == reference_url(
            stack, monkeypatch, url, "upload_part", {**params, "ContentLength": length}
        )
        bigger = reference_url(
            stack, monkeypatch, url, "upload_part", {**params, "ContentLength": length + 1}
        )
        assert signature(bigger) != signature(url)

    single = generate(stack.gallery, stack, "uma", 4000).json()
    url = single["upload"]["url"]
    assert parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"] == [
        "content-length;content-type;host;if-none-match"
    ]
    key = source_key(stack.user("uma")["sub"], single["videoId"])
    params = {"Key": key, "ContentType": "video/mp4", "IfNoneMatch": "*"}
    assert url == reference_url(stack, monkeypatch, url, "put_object", {**params, "ContentLength": 4000})
    huge = reference_url(stack, monkeypatch, url, "put_object", {**params, "ContentLength": 5 * 1024**3})
    assert signature(huge) != signature(url)


def test_an_oversized_put_against_a_signed_url_is_refused_by_s3(stack):
    single = generate(stack.gallery, stack, "uma", 1000).json()["upload"]
    too_big = httpx.put(
        single["url"], content=b"x" * 1001, headers={**single["headers"], "Content-Length": "1001"}
    )
    assert too_big.status_code == 403 and b"SignatureDoesNotMatch" in too_big.content
    part = generate(stack.gallery, stack, "uma", 7 * MIB).json()["upload"]["parts"][1]  # 2 MiB
    too_big = httpx.put(part["url"], content=b"x" * (2 * MIB + 1), timeout=60)
    assert too_big.status_code == 403 and b"SignatureDoesNotMatch" in too_big.content
    assert httpx.put(part["url"], content=b"x" * (2 * MIB), timeout=60).status_code == 200


def test_a_single_put_creates_the_source_once_and_confirm_records_that_version(stack):
    data = os.urandom(30_000)
    ticket = generate(stack.gallery, stack, "uma", len(data)).json()
    upload = ticket["upload"]
    first = httpx.put(upload["url"], content=data, headers=upload["headers"])
    assert first.status_code == 200
    # The same URL cannot replace what it created: not before confirm, not after.
    swap = os.urandom(len(data))
    assert httpx.put(upload["url"], content=swap, headers=upload["headers"]).status_code == 412
    confirmed = httpx.post(
        f"{stack.gallery}/api/gallery/confirm-upload",
        json={"videoId": ticket["videoId"]},
        headers=stack.headers("uma"),
        timeout=30,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert httpx.put(upload["url"], content=swap, headers=upload["headers"]).status_code == 412
    key = source_key(stack.user("uma")["sub"], ticket["videoId"])
    head = stack.s3.head_object(Bucket=stack.bucket, Key=key)
    assert stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == data
    with stack.db() as conn:
        etag, size = conn.execute(
            "SELECT source_etag, size_bytes FROM gallery_videos WHERE id = %s", (ticket["videoId"],)
        ).fetchone()
    # The processor downloads exactly this version (If-Match) and checks this size.
    assert (etag, size) == (head["ETag"], len(data))
    stack.drain(wait=0)


@pytest.fixture(scope="module")
def limited(stack):
    """A gallery with small per-user limits: 3 uploads in progress, 100 MiB between them."""
    env = {
        **stack.env,
        "UPLOAD_MAX_CONCURRENT_PER_USER": "3",
        "UPLOAD_MAX_BYTES_IN_FLIGHT_PER_USER": str(100 * MIB),
    }
    service = launch_service("gallery.app:app", env, stack.tmp)
    try:
        yield wait_healthy(service).url
    finally:
        stop_all(service)


def test_uploads_in_progress_are_limited_per_user_with_a_clear_429(stack, limited):
    stack.user("quota")  # signed up once, before the threads share the token
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: generate(limited, stack, "quota", 1000), range(8)))
    # Concurrent starts are counted exactly: three get URLs, the rest are told why not.
    assert sorted(a.status_code for a in answers) == [200] * 3 + [429] * 5
    refused = next(a for a in answers if a.status_code == 429).json()
    assert refused["code"] == "too_many_uploads"
    assert "3 uploads in progress" in refused["message"] and "at most 3" in refused["message"]
    started = [a.json() for a in answers if a.status_code == 200]

    # Finishing one (confirm) or deleting one makes room.
    data = os.urandom(1000)
    put = httpx.put(started[0]["upload"]["url"], content=data, headers=started[0]["upload"]["headers"])
    assert put.status_code == 200
    httpx.post(
        f"{limited}/api/gallery/confirm-upload",
        json={"videoId": started[0]["videoId"]},
        headers=stack.headers("quota"),
    ).raise_for_status()
    assert generate(limited, stack, "quota", 1000).status_code == 200
    assert generate(limited, stack, "quota", 1000).status_code == 429
    httpx.delete(
        f"{limited}/api/gallery/videos/{started[1]['videoId']}", headers=stack.headers("quota")
    ).raise_for_status()
    assert generate(limited, stack, "quota", 1000).status_code == 200

    # An upload whose URLs all expired holds nothing: it counts again once resumed.
    with stack.db() as conn:
        conn.execute(
            "UPDATE gallery_videos SET updated_at = now() - interval '2 hours'"
            " WHERE owner_id = %s AND status = 'uploading'",
            (stack.user("quota")["sub"],),
        )
    assert generate(limited, stack, "quota", 1000).status_code == 200
    stack.drain(wait=0)


def test_bytes_in_flight_are_limited_per_user(stack, limited):
    first = generate(limited, stack, "bulk", 60 * MIB)
    assert first.status_code == 200 and first.json()["upload"]["method"] == "MULTIPART"
    second = generate(limited, stack, "bulk", 50 * MIB)
    assert second.status_code == 429
    assert second.json()["code"] == "too_many_bytes_in_flight"
    assert generate(limited, stack, "bulk", 40 * MIB).status_code == 200
    # Resuming is starting again: it is counted like a new upload, without counting itself.
    video_id = first.json()["videoId"]
    resumed = httpx.post(
        f"{limited}/api/gallery/videos/{video_id}/upload-parts", headers=stack.headers("bulk"), timeout=30
    )
    assert resumed.status_code == 200, resumed.text
    with stack.db() as conn:
        conn.execute(
            "UPDATE gallery_videos SET updated_at = now() - interval '2 hours' WHERE id = %s", (video_id,)
        )
    assert generate(limited, stack, "bulk", 60 * MIB).status_code == 200
    again = httpx.post(
        f"{limited}/api/gallery/videos/{video_id}/upload-parts", headers=stack.headers("bulk"), timeout=30
    )
    assert again.status_code == 429
    assert again.json()["code"] == "too_many_bytes_in_flight"
