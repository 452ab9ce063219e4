"""One timed ``ansible-playbook`` run and what it reported, for bench/bench_reconcile.py.

Module runs come from the ``vf_bench_timing`` callback (bench/callback_plugins/): every task
result, loop items one by one, skipped ones not. CPU seconds are those of ansible-playbook and
every process it waited for (its workers and their modules), not the endpoint's.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TIMEOUT = 1800
# Actions Ansible runs in the controller without shipping a module (reported apart).
CONTROLLER_ACTIONS = {
    "ansible.builtin.assert",
    "ansible.builtin.set_fact",
    "ansible.builtin.validate_argument_spec",
    "ansible.builtin.debug",
    "ansible.builtin.fail",
    "ansible.builtin.include_tasks",
    "ansible.builtin.include_role",
    "ansible.builtin.meta",
}


def load() -> dict:
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "load_15m": round(fifteen, 2)}


def summarise(events_file: Path, ended: float) -> dict:
    """Module runs, changed, failures and the slowest tasks from the callback's lines."""
    lines = events_file.read_text().splitlines() if events_file.exists() else []
    events = [json.loads(line) for line in lines]
    runs = [
        e for e in events if e["event"] == "result" and not e["loop_summary"] and e["status"] != "skipped"
    ]
    stats = next((e for e in reversed(events) if e["event"] == "stats"), {})
    starts = [e for e in events if e["event"] == "task"]
    spans: Counter = Counter()  # a task's time: from its start to the next task's
    for this, following in zip(starts, [*starts[1:], {"t": stats.get("t", ended)}], strict=True):
        spans[this["task"]] += following["t"] - this["t"]
    by_action = Counter(e["action"] for e in runs)
    return {
        "changed": stats.get("changed"),
        "ok": stats.get("ok"),
        "failed": stats.get("failures"),
        "module_runs": len(runs),
        "module_runs_controller_only": sum(n for a, n in by_action.items() if a in CONTROLLER_ACTIONS),
        "module_runs_by_action": dict(by_action.most_common()),
        "changed_results": [e["task"] for e in runs if e["status"] == "changed"],
        "failures": [{"task": e["task"], "msg": e.get("msg", "")} for e in runs if e["status"] == "failed"],
        "slowest_tasks": [{"task": t, "seconds": round(s, 2)} for t, s in spans.most_common(12)],
    }


def _lines(request_log: Path | None) -> list[str]:
    return request_log.read_text().splitlines() if request_log and request_log.exists() else []


def requests(request_log: Path | None, start: int) -> dict:
    """What the endpoint answered from line ``start`` of its request log: all, and the writes."""
    if request_log is None:
        return {"aws_requests": None, "aws_writes": None}
    lines = [json.loads(line) for line in _lines(request_log)[start:]]
    writes = Counter(f"{e['service']}:{e['action']}" for e in lines if e["write"] and e["status"] < 400)
    return {"aws_requests": len(lines), "aws_writes": sum(writes.values()), "aws_write_actions": dict(writes)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def playbook(name: str, args: list[str], env: dict, work: Path, cwd: Path, request_log: Path | None) -> dict:
    """Run ``ansible-playbook ARGS`` with the timing callback; wall and CPU time, what it reported."""
    events, log = work / f"{name}.events.jsonl", work / f"{name}.log"
    env = {
        **env,
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "vf_bench_timing",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "VF_BENCH_EVENTS": str(events),
    }
    before, logged, cpu = load(), len(_lines(request_log)), _children_cpu()
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "ansible-playbook"), *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: ansible-playbook and its workers only
            rc = proc.wait()
        except BaseException:  # interrupted: stop the run, then let the endpoints and stacks go
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise
    wall, cpu = time.monotonic() - started, _children_cpu() - cpu
    result = {"returncode": rc, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}
    result |= summarise(events, time.time()) | requests(request_log, logged)
    result |= {"load_before": before, "load_after": load(), "log": str(log)}
    if rc:
        result["output_tail"] = log.read_text()[-3000:]
    print(
        f"   {name}: rc={rc} {wall:.1f}s wall {cpu:.1f}s cpu changed={result['changed']}"
        f" module runs={result['module_runs']} aws calls={result['aws_requests']} load={before['load_1m']}",
        flush=True,
    )
    return result
