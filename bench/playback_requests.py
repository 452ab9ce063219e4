"""What reaches the streaming service while a player watches, without the CDN and with it.

A player as the client's Player is (apps/client/src/components/Player.jsx) watches one rendition
of a video for WATCH_MINUTES of media, on a clock of its own (nothing waits): a playback grant,
the master, the media playlist, every segment in turn; a playlist without #EXT-X-ENDLIST (a
video still processing) is reloaded every target duration, as RFC 8216 asks of clients; with
the CDN the grant is renewed a minute before it ends (apps/client/src/lib/api.js,
renewalDelay). Every URL it is given is followed where it points: requests to the streaming
service are made for real and counted in the service's own log (its "request" lines), the
rest (presigned S3 URLs, the CDN) are counted by destination without being sent. The gallery
and streaming services are the real ones (tests/support/apps.py), once without CDN settings
and once with them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from tests.support import cdn
from tests.support.apps import REGION, build_stack, stop_all
from tests.support.services import postgres

WATCH_MINUTES = 30
TARGET_SECONDS = 4


def store(stack, owner: str, ended: bool) -> str:
    """A one-rendition video of WATCH_MINUTES + 1 minutes: its playlist in S3 and its rows."""
    video_id = str(uuid.uuid4())
    count = (WATCH_MINUTES + 1) * 60 // TARGET_SECONDS
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{TARGET_SECONDS}",
             f"#EXT-X-PLAYLIST-TYPE:{'VOD' if ended else 'EVENT'}"]  # fmt: skip
    for n in range(count):
        lines += [f"#EXTINF:{TARGET_SECONDS}.000000,", f"seg_{n:05d}.ts"]
    key = f"hls/{video_id}/720p/index.m3u8"
    stack.s3.put_object(
        Bucket=stack.bucket, Key=key, Body="\n".join(lines + (["#EXT-X-ENDLIST"] if ended else []))
    )
    with stack.db() as conn:
        conn.execute(
            "INSERT INTO gallery_videos (id, owner_id, title, visibility, status, progress, s3_key,"
            " file_name, content_type, size_bytes)"
            " VALUES (%s, %s, 'bench', 'public', %s, 100, 'k', 'f.mp4', 'video/mp4', 1)",
            (video_id, owner, "ready" if ended else "processing"),
        )
        conn.execute(
            "INSERT INTO media_assets (video_id, kind, name, s3_key, width, height, bandwidth, codecs,"
            " segment_count, complete)"
            " VALUES (%s, 'rendition', '720p', %s, 1280, 720, 2800000, 'avc1.64001f', %s, %s)",
            (video_id, key, count, ended),
        )
    return video_id


def watch(stack, user: str, video_id: str) -> dict[str, int]:
    """Requests by destination for WATCH_MINUTES of media. The player is on the site: a path
    under /api/stream/ is the streaming service's (requested for real), /hls/ the CDN's (read
    from S3, as the CDN would); an absolute URL elsewhere is a presigned S3 URL."""
    counts = {"streaming": 0, "cdn": 0, "s3": 0}
    site = "https://site.invalid"

    def where(url: str) -> str:
        parts = urlsplit(url)
        if parts.netloc != urlsplit(site).netloc:
            return "s3"
        return "streaming" if parts.path.startswith("/api/stream/") else "cdn"

    def get(client: httpx.Client, url: str) -> str:
        counts[where(url)] += 1
        if where(url) == "streaming":
            answer = client.get(stack.streaming + url.removeprefix(site))
            assert answer.status_code == 200, answer.text
            return answer.text
        if where(url) == "cdn":
            key = urlsplit(url).path.lstrip("/")
            return stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read().decode()
        return ""

    with httpx.Client(timeout=30) as client:

        def grant() -> tuple[dict, str]:
            counts["streaming"] += 1
            answer = client.post(
                f"{stack.streaming}/api/stream/video/{video_id}/playback-token", headers=stack.headers(user)
            )
            assert answer.status_code == 201, answer.text
            master_url = site + answer.json()["playlistUrl"]
            return answer.json(), urljoin(master_url, next(
                line for line in get(client, master_url).splitlines() if line and not line.startswith("#")
            ))  # fmt: skip

        first, media_url = grant()
        playlist = get(client, media_url)
        segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        clock, renew_at = 0.0, first["expiresIn"] - 60
        for segment in segments[: WATCH_MINUTES * 60 // TARGET_SECONDS]:
            counts[where(urljoin(media_url, segment))] += 1
            clock += TARGET_SECONDS
            if "#EXT-X-ENDLIST" not in playlist:
                get(client, media_url)  # reloaded every target duration while it grows
            if where(media_url) == "cdn" and clock >= renew_at:
                renew_at = clock + grant()[0]["expiresIn"] - 60
    return counts


def playback_requests(aws_url: str, tmp: Path) -> dict:
    result: dict = {
        "watch_minutes": WATCH_MINUTES,
        "segment_seconds": TARGET_SECONDS,
        "renditions_watched": 1,
    }
    with postgres() as pg:
        for label, on_cdn in (("without_cdn", False), ("with_cdn", True)):
            settings = {}
            if on_cdn:
                key = cdn.signing_key(aws_url, REGION)
                settings = {"CDN_SITE_URL": "https://127.0.0.1:8443", "CDN_KEY_PAIR_ID": key.key_pair_id,
                            "CDN_SIGNING_KEY_PARAMETER": key.parameter}  # fmt: skip
            (tmp / label).mkdir(parents=True, exist_ok=True)
            stack, running = build_stack(_Aws(aws_url), pg, tmp / label, **settings)
            try:
                owner = stack.user("viewer")["sub"]
                result[label] = {}
                for name, ended in (("finished_video", True), ("processing_video", False)):
                    counts = watch(stack, "viewer", store(stack, owner, ended))
                    counts["streaming_per_minute"] = round(counts["streaming"] / WATCH_MINUTES, 2)
                    result[label][name] = counts
            finally:
                stop_all(*running)
            # The service's own log (complete once it stopped) agrees with what the player counted.
            watched = sum(v["streaming"] for v in result[label].values())
            assert logged_requests(stack) == watched, (logged_requests(stack), watched)
    return result


def logged_requests(stack) -> int:
    """The streaming service's own count of the requests it answered (its "request" log lines),
    health checks left out."""
    count = 0
    for path in stack.tmp.glob("streaming-*.log"):
        for line in path.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                count += entry.get("message") == "request" and not entry.get("path", "").endswith("/health")
    return count


class _Aws:
    """What build_stack needs of the emulator fixture: its URL."""

    def __init__(self, url: str) -> None:
        self.url = url
