"""Uploads that lie: small files that declare what would hold a worker for hours or exhaust
its memory, and playlists that would make FFmpeg fetch other files or URLs.

Each is a real file FFmpeg reads (made with FFmpeg, then one header field rewritten), a few
kilobytes in size.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

from tests.support.media import ffmpeg_exe


def _lavfi(path: Path, size: str, codec: list[str], seconds: float = 1) -> bytes:
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=5:duration={seconds}", *codec, str(path)]
    subprocess.run(cmd, check=True, capture_output=True)
    return path.read_bytes()


def declared_hours(directory: Path, hours: float = 10) -> Path:
    """A one-second Matroska clip whose Segment Info says it lasts ``hours``."""
    path = directory / f"declares-{hours:g}h.mkv"
    data = bytearray(_lavfi(directory / "short.mkv", "320x240", ["-c:v", "libx264", "-preset", "ultrafast"]))
    at = data.find(b"\x44\x89\x88")  # Duration, an 8-byte float in TimestampScale units (ms)
    assert at > 0, "no Duration element"
    data[at + 3 : at + 11] = struct.pack(">d", hours * 3600 * 1000)
    path.write_bytes(data)
    return path


def declared_picture(directory: Path, width: int = 16384, height: int = 16384) -> Path:
    """PNG frames in Matroska whose every header (the track's and each frame's IHDR) says
    ``width`` x ``height``: decoding one frame would need width x height x 3 bytes."""
    path = directory / f"declares-{width}x{height}.mkv"
    data = bytearray(_lavfi(directory / "small-png.mkv", "256x256", ["-c:v", "png"]))
    for element in (b"\xb0", b"\xba"):  # PixelWidth, PixelHeight: 2-byte values, 256 now
        at = data.find(element + b"\x82\x01\x00")
        assert at > 0, "no pixel size element"
        data[at + 2 : at + 4] = struct.pack(">H", width if element == b"\xb0" else height)
    at = 0
    while (at := data.find(b"IHDR", at)) >= 0:
        data[at + 4 : at + 12] = struct.pack(">II", width, height)
        data[at + 17 : at + 21] = struct.pack(">I", zlib.crc32(bytes(data[at : at + 17])))
        at += 4
    path.write_bytes(data)
    return path


def hls_playlist(directory: Path, url: str) -> Path:
    """An HLS media playlist whose segments are a URL and a file of the worker's machine."""
    path = directory / "playlist-as-video.mp4"
    path.write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n"
        f"#EXTINF:4.0,\n{url}/segment.ts\n#EXTINF:4.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    )
    return path


def concat_playlist(directory: Path, url: str) -> Path:
    """An ffconcat script naming a URL and a file of the worker's machine."""
    path = directory / "concat-as-video.mp4"
    path.write_text(f"ffconcat version 1.0\nfile '{url}/part.mp4'\nfile '/etc/hostname'\n")
    return path
