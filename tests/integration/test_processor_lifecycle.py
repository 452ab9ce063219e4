"""A job's life when the world moves under it: the source swapped after confirm, the video
deleted mid-transcode, every worker killed mid-job, the instance asked to scale in, the
endpoint not up yet when the worker starts. Real
FFmpeg, moto and PostgreSQL; workers are `python -m processor` subprocesses.
"""

from __future__ import annotations

import os
import signal
import time

import boto3
import psutil
import pytest

from processor import source
from tests.support import media as clips
from tests.support import model
from tests.support.processor import (  # noqa: F401
    Stack,
    clip_dir_fixture,
    database_fixture,
    make_stack_fixture,
    mid_transcode,
)
from tests.support.services import aws_emulator, free_port, wait_for
from videoforge import jobs

pytestmark = pytest.mark.slow


def test_a_source_swapped_after_confirm_is_not_processed(make_stack, clip_dir):
    stack = make_stack()
    job = stack.submit(clips.clip_480p(clip_dir))  # the row holds the ETag confirm recorded
    # A still-valid upload URL replaces the object after confirm (same size would not help:
    # the ETag differs).
    stack.s3.upload_file(str(clips.clip_no_audio(clip_dir)), stack.bucket, job.s3_key)
    stack.start_worker()
    video = stack.wait_status(job.video_id, "failed", "ready")
    assert (video["status"], video["attempts"], video["error"]) == ("failed", 1, source.CHANGED)
    assert stack.assets(job.video_id) == [] and stack.keys(jobs.hls_prefix(job.video_id)) == []
    assert video["duration_seconds"] is None  # never probed: the swapped bytes were not read
    stack.wait_messages(0)
    assert stack.messages(stack.dlq_url) == 0


def ffmpeg_children(worker) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(worker.pid).children(recursive=True) if "ffmpeg" in p.name()]
    except psutil.NoSuchProcess:
        return []


def test_deleting_a_video_mid_transcode_stops_the_worker_and_leaves_nothing(make_stack, clip_dir):
    stack = make_stack()
    job = stack.submit(clips.clip_long(clip_dir))
    worker = stack.start_worker()
    mid_transcode(stack, job.video_id)
    assert ffmpeg_children(worker)
    with stack.db() as conn:  # what the gallery's delete does to the row (it removes objects too)
        conn.execute("DELETE FROM gallery_videos WHERE id = %s", (job.video_id,))
    wait_for(
        lambda: any(e["message"] == "video deleted; job stopped" for e in stack.log_entries()), 30, "stop"
    )
    prefixes = [jobs.hls_prefix(job.video_id), jobs.thumbnail_prefix(job.video_id)]
    assert [stack.keys(p) for p in prefixes] == [[], []]
    assert not ffmpeg_children(worker)  # FFmpeg stopped: nothing more is written
    stack.wait_messages(0)
    time.sleep(2)  # a few upload scans later, still nothing
    assert [stack.keys(p) for p in prefixes] == [[], []]
    assert worker.poll() is None  # the worker lives on for the next job


def test_sigkill_of_every_worker_mid_job_costs_seconds_and_the_job_completes_once(make_stack, clip_dir):
    """The queue keeps its 300 s visibility (docs/ARCHITECTURE.md, "Choices the issues left
    open"); a worker holds its message for
    the model's lease past its last heartbeat, so a lost job comes back within the lease."""
    lease = str(model.catalog()["videoforge_processor"]["message_lease_seconds"])
    stack = make_stack(visibility=300)
    job = stack.submit(clips.clip_long(clip_dir))
    first = [stack.start_worker(PROCESSOR_VISIBILITY_TIMEOUT=lease) for _ in range(2)]
    mid_transcode(stack, job.video_id)
    wait_for(lambda: stack.video(job.video_id)["progress"] >= 20, 120, "a fifth of the job done")
    killed_progress = stack.video(job.video_id)["progress"]
    killed_at = time.monotonic()
    for worker in first:  # every instance gone, FFmpeg with them
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    for _ in range(2):  # supervisord (or the group) starts them again
        stack.start_worker(PROCESSOR_VISIBILITY_TIMEOUT=lease)
    seen_retrying, resumed_at = False, None
    while resumed_at is None and time.monotonic() - killed_at < 120:
        with stack.db() as conn:
            status, attempts, progress, lease_over = conn.execute(
                "SELECT status, attempts, progress, lease_expires_at < now()"
                " FROM gallery_videos WHERE id = %s",
                (job.video_id,),
            ).fetchone()
        # What the gallery shows meanwhile: the lost worker's lease has run out, so "retrying".
        seen_retrying |= status == "processing" and attempts == 1 and bool(lease_over)
        if attempts == 2 and progress > 0:
            resumed_at = time.monotonic()
        time.sleep(0.2)
    assert resumed_at is not None, "the job never resumed"
    kill_to_resume = resumed_at - killed_at
    print(
        f"\nkill -> resumed progress: {kill_to_resume:.1f} s (lease {lease} s, killed at {killed_progress}%)"
    )
    assert kill_to_resume < 60
    assert seen_retrying
    video = stack.wait_status(job.video_id, "ready", "failed")
    assert (video["status"], video["attempts"]) == ("ready", 2), video["error"]
    assert sorted((a["kind"], a["name"]) for a in stack.assets(job.video_id)) == [
        ("master", "master"),
        ("poster", "poster"),
        ("rendition", "360p"),
        ("rendition", "480p"),
        ("rendition", "720p"),
    ]
    stack.wait_messages(0)
    assert stack.messages(stack.dlq_url) == 0
    ready = [
        e for e in stack.log_entries() if e["message"] == "video ready" and e["video_id"] == job.video_id
    ]
    assert len(ready) == 1  # completed once


def auto_scaling_instance(stack) -> tuple[str, str]:
    """A group with one instance in the emulator: (group name, instance id)."""
    asg = boto3.client("autoscaling", endpoint_url=stack.s3.meta.endpoint_url)
    name = f"{stack.bucket}-processor"
    asg.create_launch_configuration(
        LaunchConfigurationName=name, ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name, LaunchConfigurationName=name, MinSize=1, MaxSize=1, DesiredCapacity=1,
        AvailabilityZones=[f"{os.environ['AWS_DEFAULT_REGION']}a"],
    )  # fmt: skip
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return name, group["Instances"][0]["InstanceId"]


def test_an_instance_is_protected_from_scale_in_while_it_runs_a_job(make_stack, clip_dir):
    stack = make_stack()
    group, instance_id = auto_scaling_instance(stack)
    asg = boto3.client("autoscaling", endpoint_url=stack.s3.meta.endpoint_url)

    def protected() -> bool:
        return asg.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"][0][
            "ProtectedFromScaleIn"
        ]

    assert not protected()
    job = stack.submit(clips.clip_long(clip_dir))
    stack.start_worker(PROCESSOR_AUTOSCALING_GROUP=group, PROCESSOR_INSTANCE_ID=instance_id)
    mid_transcode(stack, job.video_id)
    assert protected()
    assert stack.wait_status(job.video_id, "ready", "failed")["status"] == "ready"
    wait_for(lambda: not protected(), 30, "protection lifted once idle")


def waits(stack: Stack) -> int:
    return sum(e["message"] == "queue not readable yet" for e in stack.log_entries())


def test_a_worker_started_before_its_endpoint_waits_for_it_then_does_the_job(
    aws, pg, database, clip_dir, tmp_path
):
    """`make up` starts every program at once and the endpoint opens after its restore; an
    instance boots before its network or credentials. The worker waits, it does not crash."""
    port, state = free_port(), tmp_path / "aws-state"
    with aws_emulator(tmp_path, state=state, port=port) as emulator:  # a queue, a job, then down
        stack = Stack(emulator, pg, database, 60, tmp_path)
        job = stack.submit(clips.clip_480p(clip_dir))
    worker = stack.start_worker(AWS_ENDPOINT_URL=emulator.url)
    try:
        wait_for(lambda: waits(stack) >= 2, 90, "two tries at a queue that does not answer")
        assert worker.poll() is None
        with aws_emulator(tmp_path, state=state, port=port):
            video = stack.wait_status(job.video_id, "ready", "failed")
            assert (video["status"], video["attempts"]) == ("ready", 1)
            stack.wait_messages(0)
        tried = [e for e in stack.log_entries() if e["message"] == "queue not readable yet"]
        # The services' format (videoforge.logging): the same level names, a delay that backs off.
        assert all(e["level"] == "WARNING" and e["queue_url"] == stack.queue_url for e in tried)
        assert all(0 < e["retry_in"] <= 10 for e in tried)
        assert "Could not connect to the endpoint URL" in tried[0]["error"]
    finally:
        stack.stop_workers()
    assert "Traceback" not in (tmp_path / "worker-0.log").read_text()


def test_a_worker_waiting_for_its_queue_stops_cleanly_on_sigterm(make_stack):
    stack = make_stack()
    dead = f"http://127.0.0.1:{free_port()}"  # reserved for this test; nothing listens there
    worker = stack.start_worker(AWS_ENDPOINT_URL=dead)
    wait_for(lambda: waits(stack) >= 1, 60, "a first try")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=45) == 0  # within the supervisor's stop timeout (grace + 10 s)
    messages = [e["message"] for e in stack.log_entries()]
    assert messages[-1] == "processor stopped" and "processor started" not in messages
