"""Run plays with ansible-playbook against the current AWS_* environment (the ``aws`` fixture) and
read back what every task reported.

    result = run_playbook(tmp_path, [{"hosts": "localhost", "gather_facts": False,
                                      "tasks": [{"vf_sqs_queue": {"name": "q"}}]}], check=True, diff=True)
    assert result.ok and result.changed_tasks() == [...]

Plays are plain dicts (written as YAML); roles from roles/ and modules from library/ resolve through
ansible.cfg. Results come from the ``vf_results`` callback (one JSON line per task).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"


@dataclass
class TaskResult:
    task: str
    action: str
    status: str  # ok | changed | failed | ignored | skipped | unreachable
    result: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.status == "changed"

    def items(self) -> list[dict[str, Any]]:
        """Per-item results of a loop (or the result itself)."""
        return self.result.get("results") or [self.result]


@dataclass
class PlaybookResult:
    rc: int
    output: str
    tasks: list[TaskResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def changed_tasks(self) -> list[str]:
        return [t.task for t in self.tasks if t.changed]

    def failed_tasks(self) -> list[TaskResult]:
        return [t for t in self.tasks if t.status == "failed"]

    def task(self, name: str) -> TaskResult:
        """The last result of the task named ``name`` (role prefix ignored)."""
        matches = [t for t in self.tasks if t.task == name or t.task.endswith(f" : {name}")]
        if not matches:
            raise KeyError(f"no task named {name!r}; ran: {[t.task for t in self.tasks]}")
        return matches[-1]

    def changed_items(self) -> list[tuple[str, dict[str, Any]]]:
        """(task, item result) for every changed item of every task."""
        found = []
        for t in self.tasks:
            if not t.changed:
                continue
            for item in t.items():
                if item.get("changed"):
                    found.append((t.task, item))
        return found


def run_playbook(
    tmp_path: Path,
    plays: list[dict[str, Any]],
    check: bool = False,
    diff: bool = False,
    extra_vars: dict[str, Any] | None = None,
    inventory: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> PlaybookResult:
    """Write ``plays`` to a playbook in ``tmp_path`` and run it; every task's result is returned."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    n = len(list(tmp_path.glob("playbook-*.yml")))
    playbook = tmp_path / f"playbook-{n}.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    results_file = tmp_path / f"results-{n}.jsonl"
    cmd = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        inventory or "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    run_env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_HOME": str(ROOT / ".ansible"),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "vf_results",
        "ANSIBLE_NOCOLOR": "1",
        # Local connection: pipelining skips the temporary module files (about twice as fast).
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "VF_RESULTS_FILE": str(results_file),
        **(env or {}),
    }
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    tasks = []
    if results_file.exists():
        for line in results_file.read_text().splitlines():
            entry = json.loads(line)
            tasks.append(TaskResult(entry["task"], entry["action"], entry["status"], entry["result"]))
    return PlaybookResult(proc.returncode, proc.stdout, tasks)
