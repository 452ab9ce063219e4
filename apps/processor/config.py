"""The processor's own settings, on top of the shared videoforge.settings.Settings.

Every value comes from an environment variable (names below); the defaults are the model's
(inventories/*/group_vars/all/catalog.yml: videoforge_rendition_ladder,
videoforge_hls_segment_seconds, videoforge_queue, videoforge_processor.concurrency).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from videoforge.settings import Settings


@dataclass(frozen=True)
class Rung:
    """One rendition of the ladder, as the model declares it."""

    name: str
    height: int
    video_bitrate: str  # "5000k"
    max_rate: str
    audio_bitrate: str

    @staticmethod
    def bits(value: str) -> int:
        """'5000k' -> 5_000_000; '1.5M' -> 1_500_000; '800000' -> 800_000."""
        value = value.strip()
        scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(value[-1:], 1)
        number = value[:-1] if scale != 1 else value
        return int(float(number) * scale)


DEFAULT_LADDER = (
    Rung("1080p", 1080, "5000k", "5350k", "128k"),
    Rung("720p", 720, "2800k", "2996k", "128k"),
    Rung("480p", 480, "1400k", "1498k", "96k"),
    Rung("360p", 360, "800k", "856k", "96k"),
)


def parse_ladder(text: str) -> tuple[Rung, ...]:
    """RENDITION_LADDER: the model's list as JSON, highest first."""
    rungs = tuple(
        Rung(
            name=str(item["name"]),
            height=int(item["height"]),
            video_bitrate=str(item["video_bitrate"]),
            max_rate=str(item["max_rate"]),
            audio_bitrate=str(item["audio_bitrate"]),
        )
        for item in json.loads(text)
    )
    if not rungs:
        raise ValueError("RENDITION_LADDER is empty")
    return tuple(sorted(rungs, key=lambda r: r.height, reverse=True))


def find_ffmpeg(configured: str | None) -> str:
    """FFMPEG_PATH, else `ffmpeg` on PATH, else the imageio-ffmpeg wheel's binary."""
    if configured:
        return configured
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _opt_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


@dataclass(frozen=True)
class ProcessorConfig:
    settings: Settings
    concurrency: int
    work_dir: Path
    shutdown_grace: float
    ffmpeg: str
    segment_seconds: int
    ladder: tuple[Rung, ...]
    x264_preset: str
    wait_seconds: int
    # None: read from the queue (VisibilityTimeout, the redrive policy's maxReceiveCount).
    visibility_timeout: int | None
    max_receives: int | None
    heartbeat_seconds: float | None
    retry_delay: int
    poll_interval: float
    transfer_concurrency: int
    stall_seconds: float

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> ProcessorConfig:
        ladder_json = os.environ.get("RENDITION_LADDER")
        return cls(
            settings=settings or Settings.from_env(),
            concurrency=max(1, int(os.environ.get("PROCESSOR_CONCURRENCY") or 1)),
            work_dir=Path(os.environ.get("PROCESSOR_WORK_DIR") or Path(tempfile.gettempdir()) / "videoforge"),
            shutdown_grace=_float("PROCESSOR_SHUTDOWN_GRACE", 60),
            ffmpeg=find_ffmpeg(os.environ.get("FFMPEG_PATH")),
            segment_seconds=int(os.environ.get("HLS_SEGMENT_SECONDS") or 4),
            ladder=parse_ladder(ladder_json) if ladder_json else DEFAULT_LADDER,
            x264_preset=os.environ.get("PROCESSOR_X264_PRESET") or "veryfast",
            wait_seconds=int(os.environ.get("PROCESSOR_WAIT_SECONDS") or 20),
            visibility_timeout=_opt_int("PROCESSOR_VISIBILITY_TIMEOUT"),
            max_receives=_opt_int("PROCESSOR_MAX_RECEIVES"),
            heartbeat_seconds=float(os.environ["PROCESSOR_HEARTBEAT_SECONDS"])
            if os.environ.get("PROCESSOR_HEARTBEAT_SECONDS")
            else None,
            retry_delay=int(os.environ.get("PROCESSOR_RETRY_DELAY") or 30),
            poll_interval=_float("PROCESSOR_POLL_INTERVAL", 0.5),
            transfer_concurrency=int(os.environ.get("PROCESSOR_TRANSFER_CONCURRENCY") or 8),
            stall_seconds=_float("PROCESSOR_STALL_SECONDS", 600),
        )
