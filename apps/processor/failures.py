"""How a job can end other than ready, and the words the uploader sees for it.

The text of a PermanentFailure is shown to the person who uploaded the video: a plain
explanation, never a stack, a host name or raw FFmpeg/psycopg output. What an operator needs
(FFmpeg's stderr, the exception) travels in ``detail`` and goes to the log only.
"""

from __future__ import annotations


class PermanentFailure(Exception):
    """The job can never succeed: its message is the reason shown to the uploader."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class VideoGone(Exception):
    """The video was deleted while its job ran: stop, and remove what this job wrote."""


def retrying(attempt: int, max_attempts: int) -> str:
    """A transient failure, another attempt to come."""
    return (
        f"Processing was interrupted by a temporary problem on our side (attempt {attempt} of "
        f"{max_attempts}); it is being retried."
    )


def gave_up(attempts: int, reference: str) -> str:
    """The last attempt failed too. The reference finds the cause in the processor's log."""
    return (
        f"Processing failed after {attempts} attempts because of a problem on our side, not with "
        f"your file. Please try again later (reference {reference})."
    )


def duration_text(seconds: float) -> str:
    """3723 -> '1 h 2 min'; 90 -> '1 min 30 s'."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"
