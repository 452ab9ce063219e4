"""Hostile media cannot take a worker down (apps/processor/README.md).

Uploads that declare 10 hours, a 16384x16384 picture, or are HLS / concat playlists fail on
their first attempt, before the ladder starts, with a plain reason; FFmpeg is run with the
`file` protocol only and without the worker's secrets, and under the instances' sandbox it
reaches no network at all. Real FFmpeg, moto and PostgreSQL; the worker is `python -m processor`.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import yaml

from tests.support import hostile_media as hostile
from tests.support import media as clips
from tests.support import model
from tests.support.processor import clip_dir_fixture, database_fixture, make_stack_fixture  # noqa: F401
from tests.support.services import ROOT
from videoforge import jobs

pytestmark = pytest.mark.slow


class Listener(socketserver.ThreadingTCPServer):
    """A loopback TCP port that counts who connects (nothing should)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.connections = 0
        super().__init__(("127.0.0.1", 0), socketserver.BaseRequestHandler)

    def process_request(self, request, client_address):
        self.connections += 1
        request.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def listener():
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def assert_plain(error: str) -> None:
    """What the uploader reads: an explanation, not a stack, a host or a tool's output."""
    lowered = error.lower()
    leaks = ("traceback", "ffmpeg", "psycopg", "error opening", "127.0.0.1", socket.gethostname().lower())
    for leak in leaks:
        assert leak not in lowered, (leak, error)
    assert error.endswith(".") and len(error) < 300


def ladder_started(stack, video_id: str) -> bool:
    entries = stack.log_entries()
    return any(e.get("video_id") == video_id and e["message"] == "ffmpeg started" for e in entries)


def test_hostile_uploads_fail_on_the_first_attempt_with_a_plain_reason(make_stack, tmp_path, listener):
    stack = make_stack()
    not_a_video = r"^The uploaded file is not a readable video"
    uploads = {
        hostile.declared_hours(tmp_path, 10): r"^The video is 10 h long; videos may be at most 4 h\.$",
        hostile.declared_picture(tmp_path): r"^The video's picture is 16384x16384, larger than",
        hostile.hls_playlist(tmp_path, listener.url): not_a_video,
        hostile.concat_playlist(tmp_path, listener.url): not_a_video,
    }
    expected = {stack.submit(path).video_id: reason for path, reason in uploads.items()}
    stack.start_worker(PROCESSOR_CONCURRENCY="2")
    for video_id, reason in expected.items():
        video = stack.wait_status(video_id, "failed", "ready", timeout=120)
        assert video["status"] == "failed", video_id
        assert video["attempts"] == 1  # permanent: not retried, not dead-lettered
        assert re.search(reason, video["error"]), video["error"]
        assert_plain(video["error"])
        assert not ladder_started(stack, video_id)  # refused at the probe, before any encoding
        assert stack.assets(video_id) == [] and stack.keys(jobs.hls_prefix(video_id)) == []
    stack.wait_messages(0)
    assert stack.messages(stack.dlq_url) == 0
    assert listener.connections == 0  # neither playlist made FFmpeg fetch anything
    # The operator's log says what FFmpeg saw, under the video's id.
    refused = [e for e in stack.log_entries() if e["message"] == "job failed permanently"]
    assert {e["video_id"] for e in refused} == set(expected)
    assert any("Picture size 16384x16384" in e["detail"] for e in refused)


def spy_ffmpeg(tmp: Path, probe_port: int) -> tuple[Path, Path]:
    """An FFMPEG_PATH that records each run's arguments, environment and whether it can open a
    TCP connection, then execs the real FFmpeg: the jobs still run for real."""
    log, spy = tmp / "ffmpeg-runs.jsonl", tmp / "ffmpeg-spy"
    spy.write_text(
        f"#!{sys.executable}\n"
        "import json, os, socket, sys\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {probe_port}), timeout=2).close(); network = True\n"
        "except OSError:\n"
        "    network = False\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    run = {'argv': sys.argv[1:], 'env': dict(os.environ), 'network': network}\n"
        "    f.write(json.dumps(run) + '\\n')\n"
        f"os.execv({clips.ffmpeg_exe()!r}, [{clips.ffmpeg_exe()!r}, *sys.argv[1:]])\n"
    )
    spy.chmod(0o755)
    return spy, log


def runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def assert_inputs_file_only(argv: list[str]) -> None:
    limits = model.media_limits()
    inputs = [i for i, arg in enumerate(argv) if arg == "-i"]
    assert inputs
    for i in inputs:
        options = argv[:i]
        assert options[options.index("-protocol_whitelist") + 1] == "file"
        assert options[options.index("-format_whitelist") + 1] == ",".join(limits.input_formats)
        assert options[options.index("-max_pixels") + 1] == str(limits.max_pixels_per_frame)


def test_ffmpeg_sees_neither_the_database_password_nor_any_protocol_but_file(
    make_stack, clip_dir, tmp_path, listener
):
    stack = make_stack()
    secret = f"db-secret-{uuid.uuid4().hex}"
    spy, log = spy_ffmpeg(tmp_path, listener.server_address[1])
    job = stack.submit(clips.clip_480p(clip_dir))
    stack.start_worker(FFMPEG_PATH=str(spy), DB_PASSWORD=secret)
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    recorded = runs(log)
    assert len(recorded) >= 3  # the probe, the poster, the ladder
    for run in recorded:
        assert secret not in json.dumps(run["env"])
        assert not [k for k in run["env"] if k.startswith(("DB_", "AWS_", "SQS_", "S3_", "COGNITO_"))]
        assert_inputs_file_only(run["argv"])


def instance_sandbox() -> str:
    """The sandbox the instances run FFmpeg in (the role's default), if this kernel allows it."""
    sandbox = yaml.safe_load((ROOT / "roles/processor_fleet/defaults/main.yml").read_text())[
        "processor_fleet_ffmpeg_sandbox"
    ]
    probe = subprocess.run([*sandbox.split(), "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"this kernel refuses the instances' sandbox: {probe.stderr.decode()[-200:]}")
    return sandbox


def test_under_the_instances_sandbox_ffmpeg_reaches_no_network_and_the_job_still_runs(
    make_stack, clip_dir, tmp_path, listener
):
    sandbox = instance_sandbox()
    stack = make_stack()
    spy, log = spy_ffmpeg(tmp_path, listener.server_address[1])
    job = stack.submit(clips.clip_480p(clip_dir))
    stack.start_worker(FFMPEG_PATH=str(spy), PROCESSOR_FFMPEG_SANDBOX=sandbox)
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    recorded = runs(log)
    assert recorded and not any(run["network"] for run in recorded)
    assert listener.connections == 0
    # Outside the sandbox the same port answers: the refusal above is the sandbox's doing.
    socket.create_connection(("127.0.0.1", listener.server_address[1]), timeout=2).close()
