"""The `stack` fixture: the whole platform as `make up` runs it, on free ports."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import pytest

from tests.support.stack import Stack, new_stack, remove


@dataclass
class UpStack:
    stack: Stack
    first_run: object
    sample_video: Path

    def __getattr__(self, name):
        return getattr(self.stack, name)


def make_sample_video(path: Path, seconds: int = 6) -> Path:
    """A small real MP4 with picture and sound (H.264 + AAC), like a phone upload."""
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=854x480:rate=25:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )
    return path


# Package scope: a worker takes the platform down as soon as it leaves tests/e2e (its files run
# first, longest first), not at the end of its session, when its `make down` was the run's tail.
# Its state lies in a 0700 directory, as a clone in root's home does.
@pytest.fixture(scope="package")
def stack(tmp_path_factory) -> UpStack:
    s = new_stack(private=True)
    try:
        first = s.up()
        video = make_sample_video(tmp_path_factory.mktemp("media") / "sample.mp4")
        yield UpStack(s, first, video)
    finally:
        remove(s)
