"""Our presigned URLs are byte-identical to botocore's for the same inputs."""

from __future__ import annotations

import datetime

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import Credentials

from videoforge.presign import Presigner

NOW = datetime.datetime(2026, 3, 14, 23, 59, 58)
KEYS = [
    "hls/0b6f1c9e-6a43-4f0e-9c55-1d1f6b0f4b8a/720p/seg_00000.ts",
    "hls/0b6f1c9e/1080p/seg_01799.ts",
    "thumbnails/v/poster.jpg",
    "a b/c+d=e&f?g#h",
    "ünïcødé/видео/動画.ts",
    "tilde~and*star!(paren)'quote",
    "percent%20literal/%2F",
    "double//slash/",
    "semi;colon,comma:colon@at$dollar",
    "x" * 300,
]
CASES = [
    pytest.param("http://127.0.0.1:4566", "path", "testing-token", id="endpoint-path-style-token"),
    pytest.param("https://s3.example.test:8444", "path", None, id="endpoint-no-token"),
    pytest.param(None, None, "FwoGZXIvYXdzEJr//////////wEaDH+abc/def==", id="aws-virtual-host"),
]


def botocore_client(endpoint: str | None, style: str | None, token: str | None, region: str):
    session = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
        region_name=region,
    )
    config = Config(signature_version="s3v4", s3={"addressing_style": style} if style else {})
    return session, session.client("s3", endpoint_url=endpoint, config=config)


@pytest.fixture
def frozen_time(monkeypatch):
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: NOW)
    return NOW.replace(tzinfo=datetime.UTC).timestamp()


@pytest.mark.parametrize(("endpoint", "style", "token"), CASES)
@pytest.mark.parametrize("region", ["ap-southeast-2", "us-east-1"])
@pytest.mark.parametrize("expires", [60, 21600, 604800])
def test_get_urls_are_byte_identical(frozen_time, endpoint, style, token, region, expires):
    session, client = botocore_client(endpoint, style, token, region)
    presigner = Presigner(client, "video-forge-storage", region, session.get_credentials)
    batch = presigner.batch(expires, now=frozen_time)
    for key in KEYS:
        theirs = client.generate_presigned_url(
            "get_object", Params={"Bucket": "video-forge-storage", "Key": key}, ExpiresIn=expires
        )
        assert batch.get(key) == theirs
        assert batch.url(key) == theirs


@pytest.mark.parametrize(("endpoint", "style", "token"), CASES)
def test_upload_part_urls_are_byte_identical(frozen_time, endpoint, style, token):
    session, client = botocore_client(endpoint, style, token, "ap-southeast-2")
    presigner = Presigner(client, "bkt", "ap-southeast-2", session.get_credentials)
    batch = presigner.batch(3600, now=frozen_time)
    upload_id = "2~abc/DEF+ghi=="
    for part in (1, 2, 10, 10000):
        theirs = client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": "bkt", "Key": "uploads/u/v/source", "UploadId": upload_id, "PartNumber": part},
            ExpiresIn=3600,
        )
        ours = batch.url("uploads/u/v/source", "PUT", {"uploadId": upload_id, "partNumber": str(part)})
        assert ours == theirs


def test_signing_time_and_credentials_are_read_per_batch(frozen_time):
    _, client = botocore_client("http://127.0.0.1:4566", "path", None, "ap-southeast-2")
    current = {"creds": Credentials("AKIAOLD", "old-secret")}
    presigner = Presigner(client, "bkt", "ap-southeast-2", lambda: current["creds"])
    first = presigner.batch(60, now=frozen_time).get("k")
    current["creds"] = Credentials("AKIANEW", "new-secret", "new-token")
    second = presigner.batch(60, now=frozen_time).get("k")
    assert "AKIAOLD" in first
    assert "AKIANEW" in second and "X-Amz-Security-Token=new-token" in second
    later = presigner.batch(60, now=frozen_time + 86400).get("k")
    assert "X-Amz-Date=20260315T235958Z" in later
