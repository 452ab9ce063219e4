"""The processor's environment: defaults from the model, the ladder as the model's JSON."""

from __future__ import annotations

import json

from processor.config import DEFAULT_LADDER, ProcessorConfig, Rung

ENV = (
    "PROCESSOR_CONCURRENCY",
    "PROCESSOR_SHUTDOWN_GRACE",
    "PROCESSOR_WAIT_SECONDS",
    "HLS_SEGMENT_SECONDS",
    "RENDITION_LADDER",
    "PROCESSOR_VISIBILITY_TIMEOUT",
    "PROCESSOR_MAX_RECEIVES",
    "PROCESSOR_HEARTBEAT_SECONDS",
    "FFMPEG_PATH",
)


def test_defaults_are_the_models(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    cfg = ProcessorConfig.from_env()
    assert (cfg.concurrency, cfg.segment_seconds, cfg.wait_seconds, cfg.shutdown_grace) == (1, 4, 20, 60)
    assert cfg.ladder == DEFAULT_LADDER
    # Read from the queue itself unless set.
    assert (cfg.visibility_timeout, cfg.max_receives, cfg.heartbeat_seconds) == (None, None, None)
    assert cfg.ffmpeg  # on PATH or the imageio-ffmpeg binary


def test_overrides(monkeypatch, tmp_path):
    ladder = [
        {
            "name": "720p",
            "height": 720,
            "video_bitrate": "2800k",
            "max_rate": "2996k",
            "audio_bitrate": "128k",
        }
    ]
    monkeypatch.setenv("RENDITION_LADDER", json.dumps(ladder))
    monkeypatch.setenv("PROCESSOR_CONCURRENCY", "3")
    monkeypatch.setenv("PROCESSOR_WORK_DIR", str(tmp_path))
    monkeypatch.setenv("PROCESSOR_VISIBILITY_TIMEOUT", "90")
    monkeypatch.setenv("PROCESSOR_HEARTBEAT_SECONDS", "30")
    monkeypatch.setenv("FFMPEG_PATH", "/opt/ffmpeg/bin/ffmpeg")
    cfg = ProcessorConfig.from_env()
    assert cfg.ladder == (Rung("720p", 720, "2800k", "2996k", "128k"),)
    assert (cfg.concurrency, cfg.work_dir, cfg.visibility_timeout, cfg.heartbeat_seconds) == (
        3,
        tmp_path,
        90,
        30.0,
    )
    assert cfg.ffmpeg == "/opt/ffmpeg/bin/ffmpeg"


def test_bitrate_units():
    assert [Rung.bits(v) for v in ("5000k", "1.5M", "800000", "96K")] == [
        5_000_000,
        1_500_000,
        800_000,
        96_000,
    ]
