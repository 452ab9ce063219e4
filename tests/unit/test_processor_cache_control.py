"""What the processor tells a CDN (and browsers) about each object it stores
(docs/ARCHITECTURE.md, "The CDN twin"): a segment never changes, a playlist still growing is
kept at most half a segment, a finished one a day."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from processor import media
from processor.hls_output import HlsOutput


class RecordingS3:
    """Records what would be stored and with which metadata."""

    def __init__(self) -> None:
        self.stored: dict[str, dict] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **metadata) -> None:
        self.stored[Key] = metadata

    def upload_file(self, filename: str, bucket: str, key: str, ExtraArgs: dict, Config=None) -> None:
        self.stored[key] = ExtraArgs


def playlist(segments: int, ended: bool) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:EVENT"]
    for n in range(segments):
        lines += ["#EXTINF:4.000000,", f"seg_{n:05d}.ts"]
    return "\n".join(lines + (["#EXT-X-ENDLIST"] if ended else [])) + "\n"


def test_segments_are_immutable_and_playlists_short_while_growing_then_a_day(tmp_path):
    s3 = RecordingS3()
    rendition = media.Rendition("720p", 1280, 720, 2_800_000, 2_996_000, 128_000, "3.1")
    with ThreadPoolExecutor(1) as pool:
        output = HlsOutput(s3, "bucket", "v1", tmp_path, pool, lambda asset: None, segment_seconds=4)
        output.prepare([rendition])
        folder = tmp_path / "720p"
        for n in range(2):
            (folder / f"seg_{n:05d}.ts").write_bytes(b"\x47" * 188)
        (folder / "index.m3u8").write_text(playlist(1, ended=False))
        output.sync(final=False)
        assert s3.stored["hls/v1/720p/seg_00000.ts"]["CacheControl"] == "public, max-age=31536000, immutable"
        assert s3.stored["hls/v1/720p/index.m3u8"]["CacheControl"] == "public, max-age=2"
        (folder / "index.m3u8").write_text(playlist(2, ended=True))
        output.sync(final=True)
        assert s3.stored["hls/v1/720p/index.m3u8"]["CacheControl"] == "max-age=86400"
