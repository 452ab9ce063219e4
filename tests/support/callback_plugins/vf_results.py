"""Record every task result as one JSON line in ``$VF_RESULTS_FILE`` (for tests/support/ansible_runner.py)."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: vf_results
type: aggregate
short_description: Write each task's result as a JSON line to $VF_RESULTS_FILE
description:
  - Used by the tests to read what every task reported (changed, diff, module results).
requirements:
  - the environment variable VF_RESULTS_FILE
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "vf_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status: str, result) -> None:
        path = os.environ.get("VF_RESULTS_FILE")
        if not path:
            return
        task = result._task
        entry = {
            "task": task.get_name(),
            "action": task.action,
            "status": status,
            "host": result._host.get_name(),
            "result": self._clean(result._result),
        }
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str) + "\n")

    def _clean(self, data):
        try:
            return json.loads(json.dumps(data, default=str))
        except (TypeError, ValueError):
            return {"unserialisable": str(data)}

    def v2_runner_on_ok(self, result) -> None:
        self._write("changed" if result._result.get("changed") else "ok", result)

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._write("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result) -> None:
        self._write("skipped", result)

    def v2_runner_on_unreachable(self, result) -> None:
        self._write("unreachable", result)
