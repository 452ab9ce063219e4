"""A generic SQS queue worker, in the shape of arq's worker loop and procrastinate's shutdown:
nothing here knows what a job does.

- Receive: long poll, one message per worker thread, held for ``visibility`` seconds (set at
  receive, whatever the queue's default), and extended by a heartbeat every ``heartbeat``
  seconds while the handler runs. A worker that dies stops beating, so its message is
  received again within ``visibility`` seconds, not the queue's default.
- The handler gets a Delivery: it deletes the message once the work is durably done,
  releases it, or sets when it comes back; ``check()`` raises when the work must stop.
- SIGTERM (``stop``): no new receives (a message received meanwhile is released at once),
  running handlers get ``shutdown_grace`` seconds, then ``check()`` raises Aborted in them.
- ``on_busy(True/False)`` is called when the process goes from idle to busy and back (the
  processor protects its instance from scale-in with it).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from videoforge.backoff import Backoff

log = logging.getLogger("processor.queue")

MAX_VISIBILITY = 43_200  # SQS's limit: 12 hours
# Between receives while receiving fails: from about a second, at most 30 s.
RECEIVE_BACKOFF = (1.0, 30.0)


class Aborted(Exception):
    """Shutdown deadline passed: the handler hands its message back."""


class MessageLost(Aborted):
    """The heartbeat could no longer extend the message: another worker may own it now."""


def queue_limits(sqs, queue_url: str) -> tuple[int, int]:
    """(VisibilityTimeout, maxReceiveCount) as the queue is configured."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    visibility = int(attrs.get("VisibilityTimeout", 30))
    policy = json.loads(attrs.get("RedrivePolicy") or "{}")
    return visibility, int(policy.get("maxReceiveCount") or 3)


def _stale_receipt(exc: ClientError) -> bool:
    """SQS answers a stale receipt handle (the message went visible and someone else
    received it) with one of these."""
    error = exc.response.get("Error", {})
    code, message = error.get("Code"), error.get("Message", "")
    lost = ("ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight")
    return code in lost or (code == "InvalidParameterValue" and "ReceiptHandle" in message)


@dataclass
class Delivery:
    """One received message, as its handler sees it."""

    sqs: object = field(repr=False)
    queue_url: str
    message: dict
    abort: threading.Event = field(repr=False)
    lost: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def body(self) -> str:
        return self.message["Body"]

    @property
    def receipt(self) -> str:
        return self.message["ReceiptHandle"]

    @property
    def receive_count(self) -> int:
        return int(self.message.get("Attributes", {}).get("ApproximateReceiveCount", 1))

    def check(self) -> None:
        """Raise when the work must stop: the message is lost, or shutdown's grace ran out."""
        if self.lost.is_set():
            raise MessageLost("the message's visibility could not be extended")
        if self.abort.is_set():
            raise Aborted("shutdown deadline reached")

    def delete(self) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=self.receipt)

    def retry_in(self, seconds: float) -> None:
        """The message becomes visible again after ``seconds`` (0: at once)."""
        try:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=self.receipt,
                VisibilityTimeout=int(min(max(seconds, 0), MAX_VISIBILITY)),
            )
        except ClientError as exc:
            log.warning("could not change visibility", extra={"error": str(exc)})

    def release(self) -> None:
        self.retry_in(0)


class Heartbeat(threading.Thread):
    """Extends the delivery's visibility every ``interval`` seconds until stopped."""

    def __init__(self, delivery: Delivery, visibility: int, interval: float):
        super().__init__(name=f"heartbeat-{delivery.message.get('MessageId', '')[:8]}", daemon=True)
        self.delivery, self.visibility, self.interval = delivery, visibility, interval
        self.done = threading.Event()

    def run(self) -> None:
        d = self.delivery
        while not self.done.wait(self.interval):
            try:
                d.sqs.change_message_visibility(
                    QueueUrl=d.queue_url, ReceiptHandle=d.receipt, VisibilityTimeout=self.visibility
                )
            except ClientError as exc:
                log.warning("heartbeat failed", extra={"error": str(exc)})
                if _stale_receipt(exc):
                    d.lost.set()
                    return
            except Exception as exc:  # a network blip: the next beat may work, the lease has slack
                log.warning("heartbeat failed", extra={"error": str(exc)})

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=30)


Handler = Callable[[Delivery], None]


@dataclass
class QueueSettings:
    queue_url: str
    concurrency: int
    wait_seconds: int
    visibility: int  # held this long past the last heartbeat
    heartbeat_seconds: float
    shutdown_grace: float


class QueueWorker:
    def __init__(self, sqs, settings: QueueSettings, handler: Handler, stop: threading.Event,
                 on_busy: Callable[[bool], None] = lambda busy: None):  # fmt: skip
        self.sqs, self.settings, self.handler, self.stop = sqs, settings, handler, stop
        self.on_busy = on_busy
        self.abort = threading.Event()  # running handlers hand back their messages
        self.running = 0
        self._lock = threading.Lock()

    def receive(self) -> list[dict]:
        return self.sqs.receive_message(
            QueueUrl=self.settings.queue_url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=self.settings.wait_seconds,
            VisibilityTimeout=self.settings.visibility,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])

    def loop(self) -> None:
        backoff = Backoff(*RECEIVE_BACKOFF)
        while not self.stop.is_set():
            try:
                messages = self.receive()
                backoff.reset()
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("receive failed", extra={"error": str(exc), "retry_in": round(delay, 1)})
                backoff.wait(self.stop, delay)
                continue
            for message in messages:
                delivery = Delivery(self.sqs, self.settings.queue_url, message, self.abort)
                if self.stop.is_set():
                    delivery.release()  # received during shutdown: straight back to the queue
                else:
                    self.dispatch(delivery)

    def _busy(self, delta: int) -> None:
        with self._lock:
            before, self.running = self.running, self.running + delta
            change = (before == 0) != (self.running == 0)
            if change:
                try:
                    self.on_busy(self.running > 0)
                except Exception as exc:  # protection is a nicety; the job still runs
                    log.warning("busy hook failed", extra={"error": str(exc)})

    def dispatch(self, delivery: Delivery) -> None:
        heartbeat = Heartbeat(delivery, self.settings.visibility, self.settings.heartbeat_seconds)
        heartbeat.start()
        self._busy(+1)
        try:
            self.handler(delivery)
        except Exception:
            # The handler could not even record its outcome: SQS redelivers after the lease.
            log.exception("handler failed", extra={"message_id": delivery.message.get("MessageId")})
        finally:
            heartbeat.stop()
            self._busy(-1)

    def run(self) -> int:
        threads = [
            threading.Thread(target=self.loop, name=f"worker-{i}", daemon=True)
            for i in range(self.settings.concurrency)
        ]
        for t in threads:
            t.start()
        while not self.stop.wait(1.0):
            if not any(t.is_alive() for t in threads):
                break
        self.drain(threads)
        return 0

    def drain(self, threads: list[threading.Thread]) -> None:
        """Idle threads leave after their long poll returns; busy ones after their job,
        unless the grace period runs out first: then they hand their jobs back."""
        log.info(
            "shutting down", extra={"running": self.running, "grace_seconds": self.settings.shutdown_grace}
        )
        deadline = time.monotonic() + self.settings.shutdown_grace
        while any(t.is_alive() for t in threads):
            if self.running and time.monotonic() >= deadline and not self.abort.is_set():
                log.warning("grace period over; releasing running jobs", extra={"running": self.running})
                self.abort.set()
            time.sleep(0.2)
