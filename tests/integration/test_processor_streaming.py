"""Upload through the gallery, transcode with the processor, watch through the streaming
service: while the transcode runs (EVENT playlist, real segments) and to the end.

The gallery and streaming services are the real ones (tests/support/apps.py); the processor
runs as `python -m processor` on the same queue, bucket and database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.support import media as clips
from tests.support import model
from tests.support.apps import stack_fixture  # noqa: F401
from tests.support.services import ROOT, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def worker(stack, tmp_path):
    stack.drain()  # jobs other tests left behind are not ours to transcode
    env = {
        **stack.env,
        **model.processor_environment(),
        "PROCESSOR_WORK_DIR": str(tmp_path / "work"),
        "PROCESSOR_WAIT_SECONDS": "1",
        "PROCESSOR_POLL_INTERVAL": "0.2",
        "PROCESSOR_X264_PRESET": "ultrafast",
        "HLS_SEGMENT_SECONDS": "1",
    }
    log = open(tmp_path / "processor.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "processor"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()


def video(stack, name: str, video_id: str) -> dict:
    r = httpx.get(f"{stack.gallery}/api/gallery/videos/{video_id}", headers=stack.headers(name))
    assert r.status_code == 200, r.text
    return r.json()


def test_upload_watch_while_transcoding_then_play_to_the_end(stack, worker, tmp_path):
    source = clips.clip_long(tmp_path)
    video_id = stack.upload_video("viewer", source.read_bytes(), name="holiday.mp4")
    master_url = stack.playback_url("viewer", video_id)  # a playback token, not the access token

    # Watch while it works: the master answers as soon as a rendition has a segment.
    wait_for(lambda: httpx.get(master_url).status_code == 200, 120, "a playable master playlist")
    assert video(stack, "viewer", video_id)["status"] == "processing"
    master = httpx.get(master_url).text
    variant = next(line for line in master.splitlines() if line and not line.startswith("#"))
    media = httpx.get(
        variant if variant.startswith("http") else f"{stack.streaming}/api/stream/video/{video_id}/{variant}"
    )
    assert media.status_code == 200, media.text
    assert "#EXT-X-ENDLIST" not in media.text  # still growing
    first_segment = next(line for line in media.text.splitlines() if line and not line.startswith("#"))
    segment = httpx.get(first_segment)
    assert segment.status_code == 200 and segment.content[:1] == b"\x47"  # an MPEG-TS packet

    # Ready: the whole ladder plays to the end through the streaming service.
    wait_for(lambda: video(stack, "viewer", video_id)["status"] in ("ready", "failed"), 300, "video ready")
    done = video(stack, "viewer", video_id)
    assert done["status"] == "ready", done["error"]
    assert (done["progress"], done["width"], done["height"]) == (100, 1280, 720)
    assert done["durationSeconds"] == pytest.approx(30, abs=0.5)
    master = httpx.get(master_url).text
    assert master.count("#EXT-X-STREAM-INF") == 3  # 720p, 480p, 360p from a 720p source
    played = subprocess.run(
        [
            clips.ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-i",
            master_url,
            "-map",
            "0:v:0",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert played.returncode == 0, played.stderr[-2000:]
    last_time = played.stderr.rsplit("time=", 1)[1].split()[0]
    h, m, s = last_time.split(":")
    assert int(h) * 3600 + int(m) * 60 + float(s) == pytest.approx(30, abs=1)
    poster = httpx.get(master_url.replace("/playlist?", "/poster?"))
    assert poster.status_code == 302
    assert httpx.get(poster.headers["location"]).content[:3] == b"\xff\xd8\xff"


def test_processor_exits_cleanly_on_sigterm_when_idle(worker, tmp_path):
    log = tmp_path / "processor.log"
    wait_for(lambda: "processor started" in log.read_text(), 60, "worker started")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
