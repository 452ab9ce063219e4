"""One JSON line per task start and per result (loop items included) in ``$VF_BENCH_EVENTS``.

bench/bench_reconcile.py counts module runs and finds the slowest tasks from these lines.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: vf_bench_timing
type: aggregate
short_description: Write task starts and results, with times, as JSON lines to $VF_BENCH_EVENTS
description:
  - Used by bench/bench_reconcile.py to count module runs (loop items included) and time tasks.
requirements:
  - the environment variable VF_BENCH_EVENTS
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "vf_bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("VF_BENCH_EVENTS")

    def _write(self, entry: dict) -> None:
        if self._path:
            with open(self._path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({**entry, "t": time.time()}, default=str) + "\n")

    def _task_start(self, task) -> None:
        self._write({"event": "task", "task": task.get_name(), "action": task.action})

    def _result(self, status: str, result, item: bool = False) -> None:
        data = result._result
        if status == "ok" and data.get("changed"):
            status = "changed"
        entry = {
            "event": "result",
            "task": result._task.get_name(),
            "action": result._task.action,
            "status": status,
            "item": item,
            # A loop's closing result repeats its items: it is not a module run of its own.
            "loop_summary": not item and "results" in data and bool(result._task.loop),
        }
        if status in ("failed", "unreachable"):
            entry["msg"] = str(data.get("msg") or data.get("stderr") or data.get("exception") or "")[:2000]
        self._write(entry)

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task) -> None:
        self._task_start(task)

    def v2_runner_on_ok(self, result) -> None:
        self._result("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._result("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result) -> None:
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result) -> None:
        self._result("unreachable", result)

    def v2_runner_item_on_ok(self, result) -> None:
        self._result("ok", result, item=True)

    def v2_runner_item_on_failed(self, result) -> None:
        self._result("failed", result, item=True)

    def v2_runner_item_on_skipped(self, result) -> None:
        self._result("skipped", result, item=True)

    def v2_playbook_on_stats(self, stats) -> None:
        totals: dict[str, int] = {}
        for host in stats.processed:
            for key, value in stats.summarize(host).items():
                totals[key] = totals.get(key, 0) + value
        self._write({"event": "stats", **totals})
