"""The processor's environment: the model's values as the roles render them, the ladder and
the limits as the model's JSON; without them a worker refuses to start."""

from __future__ import annotations

import json

import pytest

from processor.config import ProcessorConfig, Rung
from tests.support import model

ENV = (
    "PROCESSOR_CONCURRENCY",
    "PROCESSOR_SHUTDOWN_GRACE",
    "PROCESSOR_WAIT_SECONDS",
    "HLS_SEGMENT_SECONDS",
    "RENDITION_LADDER",
    "PROCESSOR_MEDIA_LIMITS",
    "PROCESSOR_VISIBILITY_TIMEOUT",
    "PROCESSOR_MAX_RECEIVES",
    "PROCESSOR_HEARTBEAT_SECONDS",
    "PROCESSOR_FFMPEG_SANDBOX",
    "PROCESSOR_AUTOSCALING_GROUP",
    "PROCESSOR_INSTANCE_ID",
    "FFMPEG_PATH",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_models_environment_is_the_models_values(clean_env):
    for name, value in model.processor_environment().items():
        clean_env.setenv(name, value)
    cfg = ProcessorConfig.from_env()
    processor = model.catalog()["videoforge_processor"]
    assert cfg.ladder == model.ladder() and cfg.limits == model.media_limits()
    assert (cfg.concurrency, cfg.segment_seconds, cfg.wait_seconds) == (
        processor["concurrency"],
        model.catalog()["videoforge_hls_segment_seconds"],
        model.catalog()["videoforge_queue"]["receive_wait_time"],
    )
    # The lease is the model's, far shorter than the queue's visibility; the rest from the queue.
    assert cfg.visibility_timeout == processor["message_lease_seconds"] < 300
    assert (cfg.max_receives, cfg.heartbeat_seconds) == (None, None)
    # No sandbox and no scale-in protection unless configured (the instances configure both).
    assert (cfg.ffmpeg_sandbox, cfg.autoscaling_group, cfg.instance_id) == ((), None, None)
    assert cfg.ffmpeg  # on PATH or the imageio-ffmpeg binary


@pytest.mark.parametrize("missing", ["RENDITION_LADDER", "PROCESSOR_MEDIA_LIMITS", "HLS_SEGMENT_SECONDS"])
def test_without_the_model_a_worker_refuses_to_start(clean_env, missing):
    for name, value in model.processor_environment().items():
        if name != missing:
            clean_env.setenv(name, value)
    with pytest.raises(RuntimeError, match=missing):
        ProcessorConfig.from_env()


def test_overrides(clean_env, tmp_path):
    ladder = [
        {
            "name": "720p",
            "height": 720,
            "video_bitrate": "2800k",
            "max_rate": "2996k",
            "audio_bitrate": "128k",
        }
    ]
    for name, value in model.processor_environment().items():
        clean_env.setenv(name, value)
    clean_env.setenv("RENDITION_LADDER", json.dumps(ladder))
    clean_env.setenv("PROCESSOR_CONCURRENCY", "3")
    clean_env.setenv("PROCESSOR_WORK_DIR", str(tmp_path))
    clean_env.setenv("PROCESSOR_VISIBILITY_TIMEOUT", "90")
    clean_env.setenv("PROCESSOR_HEARTBEAT_SECONDS", "30")
    clean_env.setenv("FFMPEG_PATH", "/opt/ffmpeg/bin/ffmpeg")
    clean_env.setenv("PROCESSOR_FFMPEG_SANDBOX", "unshare --user --map-root-user --net --")
    clean_env.setenv("PROCESSOR_AUTOSCALING_GROUP", "video-forge-dev-processor")
    clean_env.setenv("PROCESSOR_INSTANCE_ID", "i-0123456789abcdef0")
    cfg = ProcessorConfig.from_env()
    assert cfg.ladder == (Rung("720p", 720, "2800k", "2996k", "128k"),)
    assert (cfg.concurrency, cfg.work_dir, cfg.visibility_timeout, cfg.heartbeat_seconds) == (
        3,
        tmp_path,
        90,
        30.0,
    )
    assert cfg.ffmpeg == "/opt/ffmpeg/bin/ffmpeg"
    assert cfg.ffmpeg_sandbox == ("unshare", "--user", "--map-root-user", "--net", "--")
    assert (cfg.autoscaling_group, cfg.instance_id) == ("video-forge-dev-processor", "i-0123456789abcdef0")


def test_bitrate_units():
    assert [Rung.bits(v) for v in ("5000k", "1.5M", "800000", "96K")] == [
        5_000_000,
        1_500_000,
        800_000,
        96_000,
    ]
