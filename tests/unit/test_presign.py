"""Our presigned URLs are byte-identical to botocore's for the same inputs, and the streaming
service's playlists use them for every segment of the video and nothing outside it."""

from __future__ import annotations

import datetime
import time

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials

from streaming.playlists import UnsafeUri, master_playlist, rewrite_media_playlist
from videoforge.presign import Presigner
from videoforge.videos import MediaAsset

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
    pytest.param(None, "virtual", "FwoGZXIvYXdzEJr//////////wEaDH+abc/def==", id="aws-regional-virtual-host"),
    pytest.param(None, None, "FwoGZXIvYXdzEJr//////////wEaDH+abc/def==", id="aws-default-style"),
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


@pytest.mark.parametrize(("endpoint", "style", "token"), CASES)
def test_upload_urls_that_sign_their_size_are_byte_identical(frozen_time, endpoint, style, token):
    """Content-Length (and the PUT's Content-Type and If-None-Match) are in the signature."""
    session, client = botocore_client(endpoint, style, token, "ap-southeast-2")
    batch = Presigner(client, "bkt", "ap-southeast-2", session.get_credentials).batch(3600, now=frozen_time)
    key = "uploads/u/v/source"
    for size in (1, 5 * 1024 * 1024, 5 * 1024**3):
        theirs = client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": "bkt",
                "Key": key,
                "UploadId": "2~a/b+c",
                "PartNumber": 7,
                "ContentLength": size,
            },
            ExpiresIn=3600,
        )
        ours = batch.url(key, "PUT", {"uploadId": "2~a/b+c", "partNumber": "7"}, {"Content-Length": size})
        assert ours == theirs
        assert "X-Amz-SignedHeaders=content-length%3Bhost" in ours
        theirs = client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": "bkt",
                "Key": key,
                "ContentType": "video/mp4",
                "ContentLength": size,
                "IfNoneMatch": "*",
            },
            ExpiresIn=3600,
        )
        headers = {"Content-Type": "video/mp4", "Content-Length": size, "If-None-Match": "*"}
        assert batch.url(key, "PUT", headers=headers) == theirs
    # Signing headers leaves the batch's plain URLs as they were.
    assert batch.get(key) == client.generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": key}, ExpiresIn=3600
    )


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


def test_urls_never_outlive_the_credentials_that_sign_them():
    """Task-role credentials expire: a URL signed with them is bounded by their expiry."""
    _, client = botocore_client("http://127.0.0.1:4566", "path", None, "ap-southeast-2")
    now = int(time.time())
    expiry = datetime.datetime.fromtimestamp(now + 1800, datetime.UTC)
    role = RefreshableCredentials(
        "ASIAROLE", "role-secret", "role-token", expiry, refresh_using=lambda: {}, method="container-role"
    )
    presigner = Presigner(client, "bkt", "ap-southeast-2", lambda: role)
    batch = presigner.batch(21600, now=now)
    assert batch.expires == 1800 - 60
    assert "X-Amz-Expires=1740&" in batch.get("hls/v/720p/seg_00000.ts")
    # Static keys do not expire: the asked-for life, within SigV4's 7-day limit.
    static = Presigner(client, "bkt", "ap-southeast-2", lambda: Credentials("AKIA", "s"))
    assert static.batch(21600, now=now).expires == 21600
    assert static.batch(10**7, now=now).expires == 604800


# --- the playlists the streaming service presigns -------------------------------------------

VIDEO = "hls/0b6f1c9e-6a43-4f0e-9c55-1d1f6b0f4b8a/"


def playlist_batch():
    session, client = botocore_client("http://127.0.0.1:4566", "path", "tok", "ap-southeast-2")
    return Presigner(client, "bkt", "ap-southeast-2", session.get_credentials).batch(21600, now=1_800_000_000)


def test_media_playlist_segments_and_init_map_become_presigned_urls():
    batch = playlist_batch()
    text = (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:EVENT\n"
        '#EXT-X-MAP:URI="init.mp4"\n\n#EXTINF:4.0,\nseg_00000.ts\n#EXTINF:4.0,\nseg_00001.ts\n'
    )
    out = rewrite_media_playlist(text, VIDEO + "720p/index.m3u8", VIDEO, batch).splitlines()
    assert out[:3] == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-PLAYLIST-TYPE:EVENT"]
    assert out[3] == f'#EXT-X-MAP:URI="{batch.get(VIDEO + "720p/init.mp4")}"'
    assert out[5] == batch.get(VIDEO + "720p/seg_00000.ts")
    assert out[7] == batch.get(VIDEO + "720p/seg_00001.ts")
    assert "" not in out and "#EXT-X-ENDLIST" not in out


def test_media_playlist_uris_outside_the_video_are_refused():
    batch = playlist_batch()
    for uri in ("../../other-video/720p/seg.ts", "/etc/passwd", "https://evil.example/seg.ts", "../../../x"):
        with pytest.raises(UnsafeUri):
            rewrite_media_playlist(f"#EXTM3U\n#EXTINF:4,\n{uri}\n", VIDEO + "720p/index.m3u8", VIDEO, batch)
    # ... but a sibling rendition's segment of the same video is fine.
    ok = rewrite_media_playlist("#EXTM3U\n../480p/seg_1.ts\n", VIDEO + "720p/index.m3u8", VIDEO, batch)
    assert ok.splitlines()[1] == batch.get(VIDEO + "480p/seg_1.ts")


def test_master_lists_variants_relative_to_itself_with_the_playback_token():
    renditions = [
        MediaAsset("rendition", "720p", "k", 1280, 720, 2_800_000, "avc1.64001f,mp4a.40.2", True),
        MediaAsset("rendition", "360p", "k", None, None, None, None, False),
    ]
    text = master_playlist(renditions, "a.b+c/d=")
    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"',
        "720p/playlist.m3u8?playback=a.b%2Bc%2Fd%3D",
        "#EXT-X-STREAM-INF:BANDWIDTH=1",
        "360p/playlist.m3u8?playback=a.b%2Bc%2Fd%3D",
    ]
    assert "playback" not in master_playlist(renditions, None)
