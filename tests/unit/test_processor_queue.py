"""The generic queue worker's own rules, with no job in them."""

from __future__ import annotations

import threading

import pytest

from processor.queue import Aborted, Delivery, MessageLost, QueueSettings, QueueWorker


def test_busy_hook_fires_on_idle_to_busy_and_back_only():
    seen: list[bool] = []
    settings = QueueSettings(
        "q", concurrency=2, wait_seconds=1, visibility=30, heartbeat_seconds=10, shutdown_grace=1
    )
    worker = QueueWorker(None, settings, lambda d: None, threading.Event(), on_busy=seen.append)
    for delta in (+1, +1, -1, -1, +1, -1):  # two jobs overlap, then one alone
        worker._busy(delta)
    assert seen == [True, False, True, False]


def test_a_failing_hook_does_not_stop_the_job():
    def refuse(busy: bool) -> None:
        raise RuntimeError("no permission")

    settings = QueueSettings(
        "q", concurrency=1, wait_seconds=1, visibility=30, heartbeat_seconds=10, shutdown_grace=1
    )
    worker = QueueWorker(None, settings, lambda d: None, threading.Event(), on_busy=refuse)
    worker._busy(+1)
    assert worker.running == 1


def test_delivery_check_says_why_the_work_must_stop():
    abort = threading.Event()
    delivery = Delivery(
        None, "q", {"ReceiptHandle": "r", "Attributes": {"ApproximateReceiveCount": "2"}}, abort
    )
    delivery.check()
    assert delivery.receive_count == 2
    abort.set()
    with pytest.raises(Aborted, match="shutdown") as raised:
        delivery.check()
    assert not isinstance(raised.value, MessageLost)
    delivery.lost.set()
    with pytest.raises(MessageLost):
        delivery.check()
