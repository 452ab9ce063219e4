"""A real HLS set in moto S3, played by FFmpeg as an HLS client through the streaming service."""

from __future__ import annotations

import collections
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.apps import stack_fixture  # noqa: F401
from tests.support.media import ffmpeg_exe
from videoforge.web_settings import DEFAULT_ALLOWED_TYPES

RENDITIONS = [("240p", 320, 240, 400_000), ("120p", 160, 120, 150_000)]
SECONDS, FPS = 4, 25


def make_hls(directory: Path, width: int, height: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate={FPS}", "-t", str(SECONDS)]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(FPS)]
    cmd += ["-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod"]
    cmd += ["-hls_segment_filename", str(directory / "seg_%05d.ts"), str(directory / "index.m3u8")]
    subprocess.run(cmd, check=True, timeout=120)
    return directory


def store_video(stack, tmp: Path, owner: str, visibility: str = "private", complete: bool = True) -> str:
    """The processor's output layout in S3 plus its rows: returns the video id."""
    video_id = str(uuid.uuid4())
    with stack.db() as conn:
        conn.execute(
            "INSERT INTO gallery_videos (id, owner_id, title, visibility, status, progress, s3_key,"
            " file_name, content_type, size_bytes)"
            " VALUES (%s, %s, 'Test pattern', %s, %s, %s, %s, 'p.mp4', 'video/mp4', 1)",
            (
                video_id,
                owner,
                visibility,
                "ready" if complete else "processing",
                100 if complete else 50,
                f"uploads/{owner}/{video_id}/source",
            ),
        )
        for name, width, height, bandwidth in RENDITIONS:
            local = make_hls(tmp / name, width, height)
            text = (local / "index.m3u8").read_text()
            if not complete:  # a growing EVENT playlist: the first two segments, no ENDLIST yet
                lines = text.replace("#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-PLAYLIST-TYPE:EVENT").splitlines()
                cut = [i for i, line in enumerate(lines) if line.startswith("seg_")][1]
                text = "\n".join(lines[: cut + 1]) + "\n"
            prefix = f"hls/{video_id}/{name}/"
            for segment in sorted(local.glob("seg_*.ts")):
                stack.s3.put_object(Bucket=stack.bucket, Key=prefix + segment.name, Body=segment.read_bytes())
            stack.s3.put_object(Bucket=stack.bucket, Key=prefix + "index.m3u8", Body=text.encode())
            conn.execute(
                "INSERT INTO media_assets (video_id, kind, name, s3_key, width, height, bandwidth, codecs,"
                " segment_count, complete)"
                " VALUES (%s, 'rendition', %s, %s, %s, %s, %s, 'avc1.42c01e', %s, %s)",
                (video_id, name, prefix + "index.m3u8", width, height, bandwidth, SECONDS, complete),
            )
    return video_id


@pytest.fixture(scope="module")
def hls_video(stack, tmp_path_factory):
    return store_video(stack, tmp_path_factory.mktemp("hls"), stack.user("alice")["sub"])


def test_ffmpeg_plays_every_rendition_to_the_end(stack, hls_video):
    url = stack.playback_url("alice", hls_video)
    run = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-i",
            url,
            "-map",
            "0:v",
            "-f",
            "framemd5",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr.strip() == ""
    frames = collections.Counter(
        line.split(",")[0].strip() for line in run.stdout.splitlines() if line[:1].isdigit()
    )
    # Both variants (two programs), every frame of the 4-second clip, decoded.
    assert sorted(frames.values()) == [SECONDS * FPS, SECONDS * FPS]


def test_master_points_back_here_and_media_playlists_are_presigned(stack, hls_video):
    url = stack.playback_url("alice", hls_video)
    token = url.split("playback=", 1)[1]
    master = httpx.get(url)
    assert master.status_code == 200
    assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    lines = master.text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert '#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS="avc1.42c01e"' in lines
    assert f"240p/playlist.m3u8?playback={token}" in lines
    # With the header instead, no token is written into the playlist.
    plain = httpx.get(
        f"{stack.streaming}/api/stream/video/{hls_video}/playlist", headers=stack.headers("alice")
    )
    assert "playback=" not in plain.text and "token" not in plain.text

    media = httpx.get(
        f"{stack.streaming}/api/stream/video/{hls_video}/240p/playlist.m3u8", headers=stack.headers("alice")
    )
    assert media.status_code == 200
    assert "#EXT-X-ENDLIST" in media.text
    segments = [line for line in media.text.splitlines() if line and not line.startswith("#")]
    assert len(segments) == SECONDS
    for n, segment in enumerate(segments):
        parts = urlsplit(segment)
        assert f"{parts.scheme}://{parts.netloc}" == stack.aws_url
        assert parts.path == f"/{stack.bucket}/hls/{hls_video}/240p/seg_{n:05d}.ts"
        assert "X-Amz-Expires=21600" in parts.query and "X-Amz-Signature=" in parts.query
    body = httpx.get(segments[0]).content
    assert body[:1] == b"\x47"  # an MPEG-TS sync byte: the real segment
    assert int(media.headers["cache-control"].split("max-age=")[1]) <= 600


def test_a_still_processing_video_plays_as_a_growing_event_playlist(stack, tmp_path):
    video_id = store_video(stack, tmp_path, stack.user("alice")["sub"], visibility="public", complete=False)
    media = httpx.get(f"{stack.streaming}/api/stream/video/{video_id}/120p/playlist.m3u8")
    assert media.status_code == 200
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in media.text
    assert "#EXT-X-ENDLIST" not in media.text
    assert media.headers["cache-control"] == "private, max-age=2"
    assert len([line for line in media.text.splitlines() if line.startswith("http")]) == 2
    # The processor appends a segment: within the short cache time, the viewer sees it.
    key = f"hls/{video_id}/120p/index.m3u8"
    grown = (
        stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read().decode()
        + "#EXTINF:1.000000,\nseg_00002.ts\n"
    )
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=grown.encode())

    def segments() -> int:
        text = httpx.get(f"{stack.streaming}/api/stream/video/{video_id}/120p/playlist.m3u8").text
        return len([line for line in text.splitlines() if line.startswith("http")])

    from tests.support.apps import wait_until

    assert wait_until(lambda: segments() == 3, timeout=15)


def test_poster_redirects_to_a_presigned_url_and_unknown_renditions_are_404(stack, hls_video):
    with stack.db() as conn:
        conn.execute(
            "INSERT INTO media_assets (video_id, kind, name, s3_key, complete)"
            " VALUES (%s, 'poster', 'poster', %s, true)",
            (hls_video, f"thumbnails/{hls_video}/poster.jpg"),
        )
    stack.s3.put_object(Bucket=stack.bucket, Key=f"thumbnails/{hls_video}/poster.jpg", Body=b"\xff\xd8jpeg")
    r = httpx.get(f"{stack.streaming}/api/stream/video/{hls_video}/poster", headers=stack.headers("alice"))
    assert r.status_code == 302
    assert httpx.get(r.headers["location"]).content == b"\xff\xd8jpeg"
    for path in ("1080p/playlist.m3u8", "..%2F..%2Fetc/playlist.m3u8"):
        missing = httpx.get(
            f"{stack.streaming}/api/stream/video/{hls_video}/{path}", headers=stack.headers("alice")
        )
        assert missing.status_code == 404
        assert set(missing.json()) == {"code", "message"}


def test_a_playback_token_plays_one_video_for_a_while_and_no_access_token_travels_in_urls(
    stack, hls_video, tmp_path
):
    alice = stack.user("alice")["accessToken"]
    master = f"{stack.streaming}/api/stream/video/{hls_video}/playlist"
    url = stack.playback_url("alice", hls_video)
    token = url.split("playback=", 1)[1]
    assert alice not in url and len(token) == 43
    assert httpx.get(url).status_code == 200
    assert (
        httpx.get(
            f"{stack.streaming}/api/stream/video/{hls_video}/240p/playlist.m3u8?playback={token}"
        ).status_code
        == 200
    )
    # An access token in the URL is not a credential here: the private video is not there.
    assert httpx.get(master, params={"token": alice}).status_code == 404
    assert httpx.get(master, params={"playback": alice}).status_code == 400  # not a playback token's shape
    # It is good for this video only...
    other = store_video(stack, tmp_path, stack.user("alice")["sub"])
    refused = httpx.get(f"{stack.streaming}/api/stream/video/{other}/playlist", params={"playback": token})
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    # ... not as a bearer token on any API ...
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{stack.gallery}/api/gallery/videos/{hls_video}", headers=bearer).status_code == 401
    # ... and only for a while (PLAYBACK_TOKEN_TTL).
    with stack.db() as conn:
        conn.execute(
            "UPDATE playback_grants SET expires_at = now() - interval '1 second' WHERE video_id = %s",
            (hls_video,),
        )
    assert httpx.get(url).status_code == 401
    # Another user gets none for a private video; anyone signed in may have one for a public video.
    r = httpx.post(
        f"{stack.streaming}/api/stream/video/{hls_video}/playback-token", headers=stack.headers("bob")
    )
    assert r.status_code == 404
    with stack.db() as conn:
        conn.execute("UPDATE gallery_videos SET visibility = 'public' WHERE id = %s", (other,))
    assert httpx.get(stack.playback_url("bob", other)).status_code == 200


def test_openapi_documents_both_services(stack):
    stream = httpx.get(f"{stack.streaming}/api/stream/openapi.json").json()
    assert "/api/stream/video/{video_id}/playlist" in stream["paths"]
    gallery = httpx.get(f"{stack.gallery}/api/gallery/openapi.json").json()
    for path in (
        "/api/gallery/generate-upload-url",
        "/api/gallery/confirm-upload",
        "/api/gallery/videos/{video_id}",
    ):
        assert path in gallery["paths"]
    upload = gallery["paths"]["/api/gallery/generate-upload-url"]["post"]
    assert upload["security"] == [{"bearerAuth": []}]
    assert set(upload["requestBody"]["content"]["application/json"]["schema"]["properties"]) >= {
        "fileName",
        "contentType",
        "size",
    }
    # What the services do, and only that: every route that takes a token documents 401;
    # accepted content types and the largest size come from the settings.
    body = upload["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert body["contentType"]["enum"] == stack.env.get("UPLOAD_ALLOWED_TYPES", DEFAULT_ALLOWED_TYPES).split(
        ","
    )
    assert body["size"]["maximum"] == int(stack.env["UPLOAD_MAX_BYTES"])
    assert (
        "pattern"
        in gallery["paths"]["/api/gallery/auth/sign-up"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"]["properties"]["password"]
    )
    for document in (gallery, stream):
        # /health is the load balancer's; through the edge that path is the web client's page.
        assert "/health" not in document["paths"]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if operation.get("security"):
                    assert "401" in operation["responses"], (method, path)
    playlist = stream["paths"]["/api/stream/video/{video_id}/playlist"]["get"]
    assert list(playlist["responses"]["200"]["content"]) == ["application/vnd.apple.mpegurl"]
    assert playlist["security"] == [{}, {"bearerAuth": []}]
