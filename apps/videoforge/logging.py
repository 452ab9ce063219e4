"""Structured logs, the one format of every app: one JSON object per line with ``time`` (UTC,
milliseconds), ``level`` (Python's names: INFO, WARNING, ...), ``logger``, ``message``, the
record's extras and, after a failure, ``exception``. CloudWatch Logs gets them through the
awslogs driver or the instances' agent, supervisord locally."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TextIO

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """JSON lines on ``stream`` (stdout unless given), unless logging was configured already (by
    a test runner or an embedding process): like basicConfig, never take over someone else's
    handlers."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
