"""The processor's process: ``python -m processor`` (settings from the environment, see
processor.config). Signals first, then the work directory, the AWS clients, the queue once it
answers, and the queue worker (processor.queue) running the job handler (processor.handler)
with the instance's scale-in protection as its busy hook.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading

from botocore.exceptions import BotoCoreError, ClientError

from processor.config import ProcessorConfig
from processor.handler import JobHandler
from processor.queue import QueueSettings, QueueWorker, queue_limits
from videoforge import aws
from videoforge import logging as vf_logging
from videoforge.backoff import Backoff

log = logging.getLogger("processor")


class ScaleInProtection:
    """An instance of the Auto Scaling Group is protected from scale-in while it runs a job
    (a scale-in would kill the job and spend one of its receives). Configuration decides:
    without a group and instance id (no ASG, as locally) there is nothing to protect."""

    def __init__(self, cfg: ProcessorConfig):
        self.group, self.instance_id = cfg.autoscaling_group, cfg.instance_id
        wanted = self.group and self.instance_id
        self.client = aws.clients(cfg.settings, aws.WORKER, "autoscaling")[0] if wanted else None

    def __call__(self, busy: bool) -> None:
        if self.client is None:
            return
        self.client.set_instance_protection(
            InstanceIds=[self.instance_id], AutoScalingGroupName=self.group, ProtectedFromScaleIn=busy
        )
        log.info("scale-in protection", extra={"protected": busy, "instance_id": self.instance_id})


def remove_abandoned_work(work_dir) -> None:
    """Job directories of worker processes that no longer run (killed, crashed)."""
    for path in work_dir.iterdir():
        pid = path.name.split("-", 1)[0]
        if path.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            log.info("removed abandoned work", extra={"path": str(path)})


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Between tries while the queue cannot be read at start: from about a second, at most 10 s.
START_BACKOFF = (1.0, 10.0)


def wait_for_queue(sqs, queue_url: str, stop: threading.Event) -> tuple[int, int] | None:
    """The queue's limits (`queue_limits`), once it answers; None if asked to stop first.

    A worker starts before its queue answers: locally every program starts at once and the
    endpoint opens after its restore; on an instance at boot the network or the instance
    profile's credentials may not be there yet, and a role's new permissions take a while to
    propagate (AccessDenied). Each is waited out with a line saying what failed, not a crash
    with a traceback that the supervisor restarts until it gives up."""
    backoff = Backoff(*START_BACKOFF)
    while True:
        try:
            return queue_limits(sqs, queue_url)
        except (BotoCoreError, ClientError) as exc:
            delay = backoff.next_delay()
            log.warning(
                "queue not readable yet",
                extra={"queue_url": queue_url, "error": str(exc), "retry_in": round(delay, 1)},
            )
        if backoff.wait(stop, delay):
            return None


def build(cfg: ProcessorConfig, stop: threading.Event) -> QueueWorker | None:
    """The worker, ready to receive; None if asked to stop while waiting for the queue."""
    s3, sqs = aws.clients(cfg.settings, aws.WORKER, "s3", "sqs")
    limits = wait_for_queue(sqs, cfg.settings.sqs_queue_url, stop)
    if limits is None:
        return None
    queue_visibility, queue_max_receives = limits
    lease = cfg.visibility_timeout or queue_visibility
    settings = QueueSettings(
        queue_url=cfg.settings.sqs_queue_url,
        concurrency=cfg.concurrency,
        wait_seconds=cfg.wait_seconds,
        visibility=lease,
        heartbeat_seconds=cfg.heartbeat_seconds or max(1.0, lease / 3),
        shutdown_grace=cfg.shutdown_grace,
    )
    handler = JobHandler(cfg, s3, lease, cfg.max_receives or queue_max_receives)
    log.info(
        "processor started",
        extra={**vars(settings), "max_receives": handler.max_receives, "ffmpeg": cfg.ffmpeg},
    )
    return QueueWorker(sqs, settings, handler, stop, on_busy=ScaleInProtection(cfg))


def main() -> int:
    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        log.info("signal received", extra={"signal": signal.Signals(signum).name})
        stop.set()

    # First thing: a SIGTERM while starting up is a clean stop too.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cfg = ProcessorConfig.from_env()
    # stderr: stdout is a command's answer (python -m processor.redrive prints its JSON there).
    vf_logging.configure(cfg.settings.log_level, sys.stderr)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    remove_abandoned_work(cfg.work_dir)
    worker = build(cfg, stop)
    code = worker.run() if worker else 0
    log.info("processor stopped")
    return code
