"""Tiny test clips generated with FFmpeg (lavfi sources), cached per session directory.

Kept small so the suite stays fast: a few seconds, low frame rates for the big sizes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def ffmpeg_exe() -> str:
    configured = os.environ.get("FFMPEG_PATH") or shutil.which("ffmpeg")
    if configured:
        return configured
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def make_clip(
    path: Path,
    width: int,
    height: int,
    seconds: float,
    fps: int = 10,
    audio: bool = True,
    rotation: int | None = None,
    video_bitrate: str | None = None,
) -> Path:
    """An H.264 (+ AAC) MP4 of a moving test pattern (and a tone), optionally with a
    display-matrix rotation like a phone's portrait recording."""
    if path.exists():
        return path
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    cmd += ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps)]
    if video_bitrate:
        cmd += ["-b:v", video_bitrate, "-maxrate", video_bitrate, "-bufsize", video_bitrate]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "64k", "-shortest"]
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run([*cmd, str(tmp)], check=True, capture_output=True)
    if rotation is not None:
        rotated = path.with_suffix(".rot.mp4")
        subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
             "-display_rotation", str(rotation), "-i", str(tmp), "-c", "copy", str(rotated)],
            check=True, capture_output=True,
        )  # fmt: skip
        tmp.unlink()
        tmp = rotated
    tmp.rename(path)
    return path


def clip_1080p(directory: Path, seconds: float = 3) -> Path:
    """1920x1080 with audio, at 5 fps so the full ladder encodes in seconds."""
    return make_clip(directory / f"1080p-{seconds}s.mp4", 1920, 1080, seconds, fps=5)


def clip_480p(directory: Path, seconds: float = 3) -> Path:
    return make_clip(directory / f"480p-{seconds}s.mp4", 854, 480, seconds, fps=10)


def clip_portrait(directory: Path, seconds: float = 3) -> Path:
    """A phone-style portrait clip: 1280x720 coded, rotated 90 degrees for display."""
    return make_clip(directory / f"portrait-{seconds}s.mp4", 1280, 720, seconds, fps=10, rotation=90)


def clip_no_audio(directory: Path, seconds: float = 3) -> Path:
    return make_clip(directory / f"noaudio-{seconds}s.mp4", 640, 360, seconds, fps=10, audio=False)


def clip_long(directory: Path, seconds: float = 30) -> Path:
    """720p, long enough (many 1 s segments, three renditions) that the first segments land
    in S3 while FFmpeg still runs."""
    return make_clip(directory / f"long-{seconds}s.mp4", 1280, 720, seconds, fps=25, video_bitrate="1M")


def corrupt_file(directory: Path) -> Path:
    """Bytes that look like an upload but are no video: an MP4 box header, then noise."""
    path = directory / "corrupt.mp4"
    if not path.exists():
        noise = bytes((i * 7919 + 13) % 251 for i in range(64 * 1024))
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + noise)
    return path
