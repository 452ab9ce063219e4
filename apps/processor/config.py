"""The processor's own settings, on top of the shared videoforge.settings.Settings.

Every value comes from an environment variable (names below). What the model declares
(inventories/*/group_vars/all/catalog.yml: videoforge_rendition_ladder,
videoforge_processor.media_limits, ...) is not restated here: the roles render it into the
environment (videoforge_processor_environment), and a worker without it refuses to start.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from processor.limits import MediaLimits
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


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: the roles render it from the model (catalog.yml)")
    return value


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _opt_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _opt_float(name: str) -> float | None:
    value = os.environ.get(name)
    return float(value) if value else None


@dataclass(frozen=True)
class ProcessorConfig:
    settings: Settings
    concurrency: int
    work_dir: Path
    shutdown_grace: float
    ffmpeg: str
    # Words put before every FFmpeg command (PROCESSOR_FFMPEG_SANDBOX), e.g. a private network
    # namespace on the instances: `unshare --user --map-root-user --net --`.
    ffmpeg_sandbox: tuple[str, ...]
    segment_seconds: int
    ladder: tuple[Rung, ...]
    limits: MediaLimits
    x264_preset: str
    wait_seconds: int
    # How long a worker holds a message past its last heartbeat (None: the queue's visibility).
    visibility_timeout: int | None
    max_receives: int | None  # None: the redrive policy's maxReceiveCount
    heartbeat_seconds: float | None  # None: a third of the visibility
    retry_delay: int
    poll_interval: float
    transfer_concurrency: int
    stall_seconds: float
    # Scale-in protection while a job runs: both set on the ASG's instances, unset elsewhere.
    autoscaling_group: str | None
    instance_id: str | None

    @classmethod
    def from_env(cls, settings: Settings | None = None) -> ProcessorConfig:
        return cls(
            settings=settings or Settings.from_env(),
            concurrency=max(1, _int("PROCESSOR_CONCURRENCY", 1)),
            work_dir=Path(os.environ.get("PROCESSOR_WORK_DIR") or Path(tempfile.gettempdir()) / "videoforge"),
            shutdown_grace=_float("PROCESSOR_SHUTDOWN_GRACE", 60),
            ffmpeg=find_ffmpeg(os.environ.get("FFMPEG_PATH")),
            ffmpeg_sandbox=tuple(shlex.split(os.environ.get("PROCESSOR_FFMPEG_SANDBOX") or "")),
            segment_seconds=int(_required("HLS_SEGMENT_SECONDS")),
            ladder=parse_ladder(_required("RENDITION_LADDER")),
            limits=MediaLimits.from_json(_required("PROCESSOR_MEDIA_LIMITS")),
            x264_preset=os.environ.get("PROCESSOR_X264_PRESET") or "veryfast",
            wait_seconds=_int("PROCESSOR_WAIT_SECONDS", 20),
            visibility_timeout=_opt_int("PROCESSOR_VISIBILITY_TIMEOUT"),
            max_receives=_opt_int("PROCESSOR_MAX_RECEIVES"),
            heartbeat_seconds=_opt_float("PROCESSOR_HEARTBEAT_SECONDS"),
            retry_delay=_int("PROCESSOR_RETRY_DELAY", 30),
            poll_interval=_float("PROCESSOR_POLL_INTERVAL", 0.5),
            transfer_concurrency=_int("PROCESSOR_TRANSFER_CONCURRENCY", 8),
            stall_seconds=_float("PROCESSOR_STALL_SECONDS", 600),
            autoscaling_group=os.environ.get("PROCESSOR_AUTOSCALING_GROUP") or None,
            instance_id=os.environ.get("PROCESSOR_INSTANCE_ID") or None,
        )
