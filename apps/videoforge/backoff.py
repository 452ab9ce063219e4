"""Waiting between tries: capped exponential back-off with jitter, the one way the apps retry.

Each failure doubles the ceiling from ``first`` up to ``cap``; the delay is drawn from the
upper half of the ceiling ("equal jitter"), so workers that failed together do not retry
together, and no delay is ever shorter than half its ceiling (a refused endpoint is not
hammered). A success resets it. ``wait`` sleeps on an event, so a stop request ends the wait
at once.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float
    cap: float
    # A number in [0, 1]: the share of the upper half taken (tests pass a fixed one).
    jitter: Callable[[], float] = field(default=random.random, repr=False)
    failures: int = 0

    def ceiling(self) -> float:
        """The longest the next delay may be."""
        return min(self.cap, self.first * 2 ** min(self.failures, 62))

    def next_delay(self) -> float:
        """Count one more failure and say how long to wait before the next try."""
        ceiling = self.ceiling()
        self.failures += 1
        return ceiling / 2 + ceiling / 2 * self.jitter()

    def reset(self) -> None:
        """The call succeeded: the next failure waits ``first`` again."""
        self.failures = 0

    def wait(self, stop: threading.Event, delay: float | None = None) -> bool:
        """Wait out ``delay`` (the next delay when not given); True when ``stop`` was set first."""
        return stop.wait(self.next_delay() if delay is None else delay)
