"""The processor against a real moto server, a real PostgreSQL and real FFmpeg, run as the
real entry point (`python -m processor`) in subprocesses.

Each test makes its own queue (+ DLQ with the redrive policy, maxReceiveCount 3) and bucket.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from tests.support import media as clips
from tests.support.processor import (  # noqa: F401
    Stack,
    clip_dir_fixture,
    database_fixture,
    make_stack_fixture,
    mid_transcode,
)
from tests.support.services import ROOT, wait_for
from videoforge import jobs

pytestmark = pytest.mark.slow


def master_variants(text: str) -> list[tuple[dict[str, str], str]]:
    lines = text.splitlines()
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = {}
            for part in _split_attrs(line.split(":", 1)[1]):
                key, _, value = part.partition("=")
                attrs[key] = value.strip('"')
            variants.append((attrs, lines[i + 1]))
    return variants


def _split_attrs(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def playable_seconds(ffmpeg: str, playlist: Path) -> float:
    """Decode the whole HLS set the way a player would (FFmpeg as the HLS client)."""
    result = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-i", str(playlist), "-map", "0:v:0", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-1000:]
    times = [p.split()[0] for p in result.stderr.split("time=")[1:]]
    h, m, s = times[-1].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


# ---------------------------------------------------------------- the happy paths


def test_ladder_sets_and_failures_with_one_worker(make_stack, clip_dir, tmp_path):
    """One worker (two job threads) works through a 1080p clip with audio, a 480p clip, a
    portrait phone clip, a clip without audio and a corrupt upload."""
    stack = make_stack()
    full = stack.submit(clips.clip_1080p(clip_dir))
    small = stack.submit(clips.clip_480p(clip_dir))
    portrait = stack.submit(clips.clip_portrait(clip_dir))
    silent = stack.submit(clips.clip_no_audio(clip_dir))
    corrupt = stack.submit(clips.corrupt_file(clip_dir))
    stack.start_worker(PROCESSOR_CONCURRENCY="2")

    # 1080p with audio: four renditions, master, poster; the database says ready.
    video = stack.wait_status(full.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    assert video["progress"] == 100 and video["ready_at"] is not None and video["error"] is None
    assert (video["width"], video["height"], video["has_audio"]) == (1920, 1080, True)
    assert video["duration_seconds"] == pytest.approx(3, abs=0.2) and video["frame_rate"] == pytest.approx(5)
    assert video["attempts"] == 1
    assets = stack.assets(full.video_id)
    renditions = [a for a in assets if a["kind"] == "rendition"]
    assert [(a["name"], a["width"], a["height"]) for a in renditions] == [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("480p", 854, 480),
        ("360p", 640, 360),
    ]
    for a in renditions:
        assert a["complete"] and a["segment_count"] >= 1 and a["bandwidth"] > 0
        assert a["codecs"].startswith("avc1.64") and a["codecs"].endswith(",mp4a.40.2")
        assert a["s3_key"] == f"hls/{full.video_id}/{a['name']}/index.m3u8"
    assert {(a["kind"], a["s3_key"]) for a in assets if a["kind"] != "rendition"} == {
        ("master", f"hls/{full.video_id}/master.m3u8"),
        ("poster", f"thumbnails/{full.video_id}/poster.jpg"),
    }
    master = stack.text(jobs.master_playlist_key(full.video_id))
    variants = master_variants(master)
    assert [uri for _, uri in variants] == [
        "1080p/index.m3u8",
        "720p/index.m3u8",
        "480p/index.m3u8",
        "360p/index.m3u8",
    ]
    for attrs, uri in variants:
        row = next(a for a in renditions if uri.startswith(a["name"] + "/"))
        assert int(attrs["BANDWIDTH"]) == row["bandwidth"]
        assert attrs["RESOLUTION"] == f"{row['width']}x{row['height']}"
        assert attrs["CODECS"] == row["codecs"]
    timelines = set()
    for a in renditions:
        playlist = stack.text(a["s3_key"])
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and playlist.rstrip().endswith("#EXT-X-ENDLIST")
        assert "seg_00000.ts" in playlist and "://" not in playlist  # relative URIs
        timelines.add(tuple(line for line in playlist.splitlines() if line.startswith("#EXTINF")))
    # Keyframe-aligned: every rendition cuts its segments at the same times, so players can switch;
    # 3 s at 5 fps in 1 s segments, the first a short one: 0.6 s, 1 s, 1 s, 0.4 s.
    assert len(timelines) == 1 and len(next(iter(timelines))) == 4
    poster = stack.s3.get_object(Bucket=stack.bucket, Key=f"thumbnails/{full.video_id}/poster.jpg")
    assert poster["ContentType"] == "image/jpeg" and poster["Body"].read(3) == b"\xff\xd8\xff"
    ffmpeg = clips.ffmpeg_exe()
    assert playable_seconds(ffmpeg, stack.download_hls(full.video_id, tmp_path / "full")) == pytest.approx(
        3, abs=0.5
    )

    # A 480p source: 480p and 360p only, never upscaled.
    assert stack.wait_status(small.video_id, "ready", "failed")["status"] == "ready"
    assert [(a["name"], a["height"]) for a in stack.assets(small.video_id) if a["kind"] == "rendition"] == [
        ("480p", 480),
        ("360p", 360),
    ]
    assert not [k for k in stack.keys(jobs.hls_prefix(small.video_id)) if "/1080p/" in k or "/720p/" in k]

    # Portrait (720x1280 as displayed): the short side picks the rungs, the picture stays upright.
    video = stack.wait_status(portrait.video_id, "ready", "failed")
    assert (video["status"], video["width"], video["height"]) == ("ready", 720, 1280)
    assert [
        (a["name"], a["width"], a["height"])
        for a in stack.assets(portrait.video_id)
        if a["kind"] == "rendition"
    ] == [
        ("720p", 720, 1280),
        ("480p", 480, 854),
        ("360p", 360, 640),
    ]

    # No audio track: video-only variants that still play.
    video = stack.wait_status(silent.video_id, "ready", "failed")
    assert (video["status"], video["has_audio"]) == ("ready", False)
    rows = [a for a in stack.assets(silent.video_id) if a["kind"] == "rendition"]
    assert [(a["name"], a["codecs"]) for a in rows] == [("360p", "avc1.64001e")]
    assert playable_seconds(ffmpeg, stack.download_hls(silent.video_id, tmp_path / "silent")) > 2

    # Corrupt upload: failed at once with a readable reason; its message is deleted, not retried.
    video = stack.wait_status(corrupt.video_id, "failed", "ready")
    assert video["status"] == "failed" and "not a readable video" in video["error"]
    assert video["attempts"] == 1
    assert stack.assets(corrupt.video_id) == []

    # Everything is settled: no message left, nothing still 'processing'.
    wait_for(lambda: stack.messages() == 0, 30, "queue drained")
    assert stack.messages(stack.dlq_url) == 0
    with stack.db() as conn:
        ids = [full.video_id, small.video_id, portrait.video_id, silent.video_id, corrupt.video_id]
        left = conn.execute(
            "SELECT count(*) FROM gallery_videos WHERE status = 'processing' AND id = ANY(%s)", (ids,)
        )
        assert left.fetchone()[0] == 0

    assert not any((stack.tmp / "work").iterdir())  # no temporary files left, success or failure

    # Redelivery of a finished job: the message is deleted without encoding again.
    before = stack.video(full.video_id)
    stack.send(full)
    wait_for(lambda: stack.messages() == 0, 30, "redelivered job deleted")
    after = stack.video(full.video_id)
    assert (after["status"], after["attempts"], after["started_at"]) == ("ready", 1, before["started_at"])


# ---------------------------------------------------------------- watch while it works


def test_first_segments_are_in_s3_while_ffmpeg_runs(make_stack, clip_dir):
    # Two workers and a visibility timeout far shorter than the job: only the heartbeats
    # keep the second worker from taking the job too.
    stack = make_stack(visibility=4)
    job = stack.submit(clips.clip_long(clip_dir))
    stack.start_worker()
    stack.start_worker()
    key = f"hls/{job.video_id}/360p/index.m3u8"

    def playlist_in_s3() -> bool:
        return key in stack.keys(f"hls/{job.video_id}/360p/")

    wait_for(playlist_in_s3, 120, "first media playlist in S3")
    first = stack.text(key)
    video = stack.video(job.video_id)
    # The first playlist S3 ever showed was written mid-transcode: an EVENT playlist, no end yet,
    # and every segment it lists is already in S3.
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in first and "#EXT-X-ENDLIST" not in first
    listed = [line for line in first.splitlines() if line and not line.startswith("#")]
    assert listed and listed[0] == "seg_00000.ts"
    present = set(stack.keys(f"hls/{job.video_id}/360p/"))
    assert {f"hls/{job.video_id}/360p/{uri}" for uri in listed} <= present
    assert video["status"] == "processing"
    # The rendition's row exists (incomplete) so the streaming service can serve it already.
    wait_for(lambda: any(a["kind"] == "rendition" for a in stack.assets(job.video_id)), 60, "rendition row")
    progress_seen = set()

    def ready() -> bool:
        row = stack.video(job.video_id)
        progress_seen.add(row["progress"])
        return row["status"] in ("ready", "failed")

    wait_for(ready, 180, "video ready")
    video = stack.video(job.video_id)
    assert video["status"] == "ready", video["error"]
    assert any(0 < p < 100 for p in progress_seen)  # a progress bar moved before the end
    assert video["attempts"] == 1  # one worker, one receive: never processed twice at once
    final = stack.text(key)
    assert final.rstrip().endswith("#EXT-X-ENDLIST") and "#EXT-X-PLAYLIST-TYPE:VOD" in final
    row = next(a for a in stack.assets(job.video_id) if a["name"] == "360p")
    assert row["complete"] and row["segment_count"] == len(
        [line for line in final.splitlines() if line.endswith(".ts")]
    )


def first_versions(stack, prefix: str) -> dict[str, tuple[str, int]]:
    """Key -> (the body S3 served first, how many versions it had) in a versioned bucket."""
    versions: dict[str, list[tuple]] = {}
    pages = stack.s3.get_paginator("list_object_versions").paginate(Bucket=stack.bucket, Prefix=prefix)
    for page in pages:
        for i, v in enumerate(page.get("Versions", [])):  # newest first within a key
            versions.setdefault(v["Key"], []).append((v["LastModified"], -i, v["VersionId"]))
    first = {}
    for key, found in versions.items():
        version = min(found)[2]
        body = stack.s3.get_object(Bucket=stack.bucket, Key=key, VersionId=version)["Body"].read()
        first[key] = (body.decode(errors="replace"), len(found))
    return first


def test_a_player_starts_on_the_first_published_playlists_before_the_job_ends(make_stack, clip_dir, tmp_path):
    """The first master and media playlists S3 ever served (a versioned bucket keeps each
    version) are a set a player starts on: every rendition, a short first segment that is
    already in S3 and decodes, the target duration the playlist keeps to its end."""
    stack = make_stack()
    stack.s3.put_bucket_versioning(Bucket=stack.bucket, VersioningConfiguration={"Status": "Enabled"})
    job = stack.submit(clips.clip_long(clip_dir))
    stack.start_worker()
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    first = first_versions(stack, jobs.hls_prefix(job.video_id))
    master, _ = first[jobs.master_playlist_key(job.video_id)]
    uris = [uri for _, uri in master_variants(master)]
    assert uris == ["720p/index.m3u8", "480p/index.m3u8", "360p/index.m3u8"]
    ffmpeg, first_durations = clips.ffmpeg_exe(), []
    for uri in uris:
        key = f"{jobs.hls_prefix(job.video_id)}{uri}"
        playlist, versions = first[key]
        final = stack.text(key)
        # Published while FFmpeg still ran: a growing EVENT playlist that later versions extended.
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist and "#EXT-X-ENDLIST" not in playlist
        assert versions > 1 and final.rstrip().endswith("#EXT-X-ENDLIST")
        # The target duration is the steady segment length from the first version on.
        assert "#EXT-X-TARGETDURATION:1\n" in playlist and "#EXT-X-TARGETDURATION:1\n" in final
        lines = playlist.splitlines()
        durations = [
            float(line[len("#EXTINF:") :].split(",")[0]) for line in lines if line.startswith("#EXTINF:")
        ]
        segments = [line for line in lines if line and not line.startswith("#")]
        assert segments[0] == "seg_00000.ts" and durations[0] < 1  # shorter than a steady segment
        # Its first segment is in S3 and decodes, as long as the playlist says.
        path = tmp_path / uri.replace("/index.m3u8", ".ts")
        stack.s3.download_file(
            stack.bucket, f"{jobs.hls_prefix(job.video_id)}{uri.split('/')[0]}/seg_00000.ts", str(path)
        )
        assert playable_seconds(ffmpeg, path) == pytest.approx(durations[0], abs=0.1)
        first_durations.append(durations[0])
    # The same short first segment in every rendition: players switch at the same boundaries.
    assert len(set(first_durations)) == 1


# ---------------------------------------------------------------- reliability


def test_killed_worker_job_is_finished_by_another_with_one_asset_set(make_stack, clip_dir):
    stack = make_stack(visibility=6)  # heartbeats every 2 s keep it from a second worker while alive
    job = stack.submit(clips.clip_long(clip_dir))
    first = stack.start_worker()
    mid_transcode(stack, job.video_id)
    os.killpg(first.pid, signal.SIGKILL)  # the instance is gone, FFmpeg with it
    first.wait()
    stack.start_worker()
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    assert video["attempts"] == 2
    assets = stack.assets(job.video_id)
    assert sorted((a["kind"], a["name"]) for a in assets) == [
        ("master", "master"),
        ("poster", "poster"),
        ("rendition", "360p"),
        ("rendition", "480p"),
        ("rendition", "720p"),
    ]
    assert all(a["complete"] for a in assets)
    # S3 holds exactly the set the final playlists list: nothing from the killed attempt dangles.
    expected = {f"hls/{job.video_id}/master.m3u8"}
    for name in ("720p", "480p", "360p"):
        prefix = f"hls/{job.video_id}/{name}/"
        playlist = stack.text(prefix + "index.m3u8")
        expected |= {prefix + line for line in playlist.splitlines() if line.endswith(".ts")}
        expected.add(prefix + "index.m3u8")
    assert set(stack.keys(f"hls/{job.video_id}/")) == expected
    wait_for(lambda: stack.messages() == 0, 30, "message deleted")
    assert stack.messages(stack.dlq_url) == 0


def test_sigterm_mid_job_exits_cleanly_and_hands_the_job_back(make_stack, clip_dir):
    stack = make_stack(visibility=60)
    job = stack.submit(clips.clip_long(clip_dir))
    first = stack.start_worker(PROCESSOR_SHUTDOWN_GRACE="0")
    mid_transcode(stack, job.video_id)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    video = stack.video(job.video_id)
    assert (video["status"], video["progress"]) == ("queued", 0)
    # Released (visibility 0), not hidden for the rest of the 60 s visibility timeout.
    assert stack.visible() == 1
    work = stack.tmp / "work"
    assert not any(work.iterdir())  # the temporary files went with it
    stack.start_worker()
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    assert video["attempts"] == 2


def test_sigterm_lets_a_job_within_the_grace_period_finish(make_stack, clip_dir):
    stack = make_stack()
    job = stack.submit(clips.clip_long(clip_dir))
    worker = stack.start_worker(PROCESSOR_SHUTDOWN_GRACE="300")
    mid_transcode(stack, job.video_id)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=300) == 0
    video = stack.video(job.video_id)
    assert video["status"] == "ready", video["error"]
    assert stack.messages() == 0


def test_failing_job_fails_after_three_receives_lands_in_the_dlq_and_redrives(make_stack, clip_dir):
    """A fault that is not the input's (here the database refuses to mark this video ready):
    SQS redelivers, the third receive marks the video failed with the last error and the
    message goes to the DLQ; after the fix, redrive puts it back and the video gets ready."""
    stack = make_stack(visibility=30)
    title = f"doomed-{uuid.uuid4().hex[:6]}"
    constraint = f"test_block_{uuid.uuid4().hex[:6]}"
    with stack.db() as conn:
        conn.execute(
            f"ALTER TABLE gallery_videos ADD CONSTRAINT {constraint} "
            f"CHECK (status <> 'ready' OR title <> '{title}')"
        )
    try:
        job = stack.submit(clips.clip_480p(clip_dir), title=title)
        stack.start_worker(PROCESSOR_RETRY_DELAY="1")
        video = stack.wait_status(job.video_id, "failed", "ready")
        assert video["status"] == "failed"
        assert video["error"].startswith("Processing failed after 3 attempts")
        # The uploader reads a plain reason; psycopg's words are in the log, under its reference.
        assert constraint not in video["error"] and "psycopg" not in video["error"]
        reference = re.search(r"reference ([0-9a-f]{8}-3)", video["error"])[1]
        assert any(
            e.get("reference") == reference and constraint in e.get("error", "") for e in stack.log_entries()
        )
        assert video["attempts"] == 3
        wait_for(
            lambda: stack.messages(stack.dlq_url) == 1 and stack.messages() == 0, 60, "message in the DLQ"
        )
    finally:
        with stack.db() as conn:
            conn.execute(f"ALTER TABLE gallery_videos DROP CONSTRAINT {constraint}")

    def redrive(*args: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "processor.redrive", *args],
            env=stack.env(),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return json.loads(result.stdout)

    assert redrive("--check") == {"changed": True, "messages": 1}
    # The playbook's role, as playbooks/redrive.yml runs it: --check reports, changes nothing.
    assert run_redrive_role(stack, check=True) == 1
    assert stack.messages(stack.dlq_url) == 1 and stack.video(job.video_id)["status"] == "failed"
    assert run_redrive_role(stack) == 1
    assert stack.messages(stack.dlq_url) == 0
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert video["status"] == "ready", video["error"]
    assert video["attempts"] == 4
    assert run_redrive_role(stack) == 0  # nothing left: a second run changes nothing
    assert redrive() == {"changed": False, "moved": 0, "dropped": 0, "kept": 0, "video_ids": []}


def run_redrive_role(stack: Stack, check: bool = False) -> int:
    """Run roles/redrive with a test model; returns the play's changed count."""
    prefix = f"/vf-test/{stack.bucket}"
    ssm = boto3.client("ssm", endpoint_url=stack.s3.meta.endpoint_url)
    ssm.put_parameter(Name=f"{prefix}/queue-url", Value=stack.queue_url, Type="String", Overwrite=True)
    ssm.put_parameter(Name=f"{prefix}/db-password", Value="unused", Type="SecureString", Overwrite=True)
    playbook = stack.tmp / "redrive.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "name": "Redrive",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": {
                        "redrive_queue_url_parameter": f"{prefix}/queue-url",
                        "redrive_database_password_parameter": f"{prefix}/db-password",
                        "redrive_region": os.environ["AWS_DEFAULT_REGION"],
                        "redrive_database_host": stack.pg.host,
                        "redrive_database_port": stack.pg.port,
                        "redrive_database_name": stack.database,
                        "redrive_database_user": stack.pg.user,
                        "redrive_repo_dir": str(ROOT),
                    },
                    "roles": [{"role": "redrive"}],
                }
            ]
        )
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
    }
    env["ANSIBLE_HOME"] = str(ROOT / ".ansible")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local"]
    cmd += ["-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    result = subprocess.run(
        [*cmd, *(["--check"] if check else [])], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    recap = result.stdout[result.stdout.rindex("PLAY RECAP") :]
    return int(recap.split("changed=", 1)[1].split()[0])
