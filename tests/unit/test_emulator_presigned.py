"""The local endpoint checks presigned S3 URLs as S3 does: expiry, signature, signed headers."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from twin.emulator.presigned import PresignedUrls

ISSUED = 1_800_000_000.0


def presign(operation: str, host: str = "127.0.0.1:4566", **params) -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{host}",
        region_name="ap-southeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return s3.generate_presigned_url(operation, Params=params, ExpiresIn=600)


def call(
    url: str, method: str = "GET", now: float = ISSUED, strip: str = "", **headers: str
) -> tuple[str, bytes]:
    """Send ``url`` through the middleware as the edge would (``strip``: its path prefix)."""
    parts = urlsplit(url)
    path = parts.path[len(strip) :] if strip else parts.path
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": f"{path}?{parts.query}",
        "PATH_INFO": path,
        "QUERY_STRING": parts.query,
        "HTTP_HOST": parts.netloc,
        "wsgi.input": io.BytesIO(b""),
    }
    if strip:
        environ["HTTP_X_FORWARDED_PREFIX"] = strip
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    seen: list[str] = []
    inner = lambda env, start: (start("200 OK", []), [b"moto"])[1]  # noqa: E731 - the endpoint behind
    body = b"".join(
        PresignedUrls(inner, {"testing": "testing"}, clock=lambda: now)(environ, lambda s, h: seen.append(s))
    )
    return seen[0], body


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    import botocore.auth

    monkeypatch.setattr(botocore.auth.datetime, "datetime", _Frozen)


class _Frozen(__import__("datetime").datetime):
    @classmethod
    def utcnow(cls):
        return cls.utcfromtimestamp(ISSUED)

    @classmethod
    def now(cls, tz=None):
        return cls.fromtimestamp(ISSUED, tz)


def test_a_url_as_signed_passes_and_a_tampered_one_is_refused():
    url = presign("get_object", Bucket="media", Key="hls/v 1/seg~1.ts")
    assert call(url) == ("200 OK", b"moto")
    status, body = call(url.replace("seg~1", "seg~2"))
    assert status.startswith("403") and b"SignatureDoesNotMatch" in body


def test_a_put_of_another_size_than_signed_is_refused():
    url = presign(
        "put_object", Bucket="media", Key="uploads/u/v/source", ContentType="video/mp4", ContentLength=1000
    )
    assert call(url, "PUT", **{"Content-Type": "video/mp4", "Content-Length": "1000"})[0] == "200 OK"
    status, body = call(url, "PUT", **{"Content-Type": "video/mp4", "Content-Length": str(5 * 2**30)})
    assert status.startswith("403") and b"SignatureDoesNotMatch" in body
    part = presign("upload_part", Bucket="media", Key="k", UploadId="u", PartNumber=2, ContentLength=16)
    assert call(part, "PUT", **{"Content-Length": "16"})[0] == "200 OK"
    assert call(part, "PUT", **{"Content-Length": "17"})[0].startswith("403")


def test_an_expired_url_is_refused_as_s3_refuses_it():
    url = presign("get_object", Bucket="media", Key="k")
    assert call(url, now=ISSUED + 599)[0] == "200 OK"
    status, body = call(url, now=ISSUED + 601)
    assert (
        status.startswith("403") and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body
    )


def test_behind_the_edge_the_signed_prefix_is_put_back():
    url = presign("get_object", host="127.0.0.1:8443/s3", Bucket="media", Key="k")
    assert urlsplit(url).path == "/s3/media/k"
    assert call(url, strip="/s3") == ("200 OK", b"moto")
    assert call(url.replace("/s3/", "/s3x/"), strip="/s3x")[0].startswith("403")


def test_keys_the_endpoint_has_no_secret_for_pass_unchecked():
    url = presign("get_object", Bucket="media", Key="k").replace("Credential=testing", "Credential=someone")
    assert call(url) == ("200 OK", b"moto")
