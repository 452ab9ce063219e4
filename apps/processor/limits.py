"""What a worker accepts, from the model (videoforge_processor.media_limits): hostile media
fails with a plain reason before it can hold a worker for hours or exhaust its memory.

Pure: the probe is checked here; FFmpeg is told the same limits (processor.ffmpeg) so that a
file lying about itself is still bounded while it decodes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from processor.failures import PermanentFailure, duration_text

# SQS extends a received message's visibility to at most 12 hours after its receive; keep a
# few minutes to record the outcome.
MAX_HOLD_SECONDS = 12 * 3600 - 600


class MediaRefused(PermanentFailure):
    """The video is beyond what the platform processes: the reason says which limit."""


@dataclass(frozen=True)
class MediaLimits:
    max_duration_seconds: float
    max_pixels_per_frame: int
    max_frame_rate: float
    job_budget_base_seconds: float  # wall clock a job may take: base + per media second x duration
    job_budget_per_media_second: float
    input_formats: tuple[str, ...]  # FFmpeg demuxer names (format_whitelist)

    @classmethod
    def from_json(cls, text: str) -> MediaLimits:
        data = json.loads(text)
        return cls(
            max_duration_seconds=float(data["max_duration_seconds"]),
            max_pixels_per_frame=int(data["max_pixels_per_frame"]),
            max_frame_rate=float(data["max_frame_rate"]),
            job_budget_base_seconds=float(data["job_budget_base_seconds"]),
            job_budget_per_media_second=float(data["job_budget_per_media_second"]),
            input_formats=tuple(str(f) for f in data["input_formats"]),
        )

    def budget_seconds(self, duration: float) -> float:
        """Wall-clock seconds one job may take for a video of this length; never past what SQS
        lets a worker hold a message (12 hours from its receive)."""
        budget = self.job_budget_base_seconds + self.job_budget_per_media_second * max(0.0, duration)
        return min(budget, MAX_HOLD_SECONDS)

    def check_picture(self, width: int, height: int, detail: str = "") -> None:
        if width * height > self.max_pixels_per_frame:
            raise MediaRefused(
                f"The video's picture is {width}x{height}, larger than we process "
                f"({_megapixels(self.max_pixels_per_frame)} megapixels per frame, such as 4K).",
                detail or f"{width}x{height} > {self.max_pixels_per_frame} pixels",
            )

    def check(self, duration: float, width: int, height: int, fps: float) -> None:
        """Raise MediaRefused for the first limit the probed video is beyond."""
        self.check_picture(width, height)
        if duration > self.max_duration_seconds:
            raise MediaRefused(
                f"The video is {duration_text(duration)} long; videos may be at most "
                f"{duration_text(self.max_duration_seconds)}.",
                f"declared duration {duration} s > {self.max_duration_seconds} s",
            )
        if fps > self.max_frame_rate:
            raise MediaRefused(
                f"The video has {fps:g} frames per second; we process at most {self.max_frame_rate:g}.",
                f"{fps} fps > {self.max_frame_rate}",
            )

    def check_progress(self, out_time: float, declared: float) -> None:
        """A file that decodes to far more than it declared is refused as soon as it shows."""
        if out_time > min(declared * 1.2 + 30, self.max_duration_seconds):
            raise MediaRefused(
                f"The file's video runs longer than it says it does (more than "
                f"{duration_text(out_time)} against {duration_text(declared)} declared)."
            )

    def over_budget(self, duration: float) -> MediaRefused:
        return MediaRefused(
            f"Processing this video took longer than the {math.ceil(self.budget_seconds(duration) / 60)} "
            f"minutes allowed for a video of its length."
        )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".rstrip("0").rstrip(".")
