"""vf_local_wait against a real supervisord: a program that cannot bind its port fails the task
as soon as supervisord gives up on it, with the program's own error in the message; once the
port is free, the next run starts it again (changed) and the run after that changes nothing.

This is what `make up` shows when a port the local twin needs is taken by something else."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.services import ROOT, free_port, wait_for

PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - vf_local_wait:
        endpoints:
          - {{name: web, host: 127.0.0.1, port: {port}, program: web, log: "{logs}/web.log"}}
        supervisor_socket: "{sock}"
        timeout: 60
        msg: The web program did not open its port
      register: waited
      ignore_errors: true
    - ansible.builtin.copy:
        content: "{{{{ waited | to_json }}}}"
        dest: "{result}"
      changed_when: false
    - ansible.builtin.assert:
        that: waited is not failed
"""


@pytest.fixture
def supervised(tmp_path):
    """supervisord running one program that binds `port` and keeps it."""
    port = free_port()
    (tmp_path / "logs").mkdir()
    program = (
        f"import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {port})); "
        "s.listen(); time.sleep(600)"
    )
    conf = tmp_path / "supervisord.conf"
    conf.write_text(
        f"""[unix_http_server]
file={tmp_path}/supervisor.sock
[supervisord]
pidfile={tmp_path}/supervisord.pid
logfile={tmp_path}/logs/supervisord.log
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{tmp_path}/supervisor.sock
[program:web]
command={sys.executable} -c "{program}"
startsecs=1
startretries=1
autostart=false
stdout_logfile={tmp_path}/logs/web.log
redirect_stderr=true
"""
    )
    subprocess.run([str(Path(sys.executable).parent / "supervisord"), "-c", str(conf)], check=True)
    pidfile = tmp_path / "supervisord.pid"
    wait_for(lambda: pidfile.exists() and (tmp_path / "supervisor.sock").exists(), 20, "supervisord")
    ctl = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(conf)]
    try:
        yield port, tmp_path, ctl
    finally:
        os.kill(int(pidfile.read_text()), signal.SIGTERM)


def run_wait(port: int, state: Path) -> tuple[int, dict, float]:
    playbook = state / "wait.yml"
    result = state / "result.json"
    playbook.write_text(
        PLAYBOOK.format(port=port, logs=state / "logs", sock=state / "supervisor.sock", result=result)
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_HOME": str(ROOT / ".ansible"),
        "ANSIBLE_ACTION_PLUGINS": str(ROOT / "roles/local_supervisor/action_plugins"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    started = time.monotonic()
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert result.exists(), run.stdout + run.stderr
    return run.returncode, json.loads(result.read_text()), elapsed


def test_a_program_that_cannot_bind_fails_at_once_then_is_started_again(supervised):
    port, state, ctl = supervised
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))  # bound, not listening: the port is in use, and refuses
        started = subprocess.run([*ctl, "start", "web"], capture_output=True, text=True)
        assert "ERROR (spawn error)" in started.stdout, started.stdout + started.stderr  # now FATAL
        rc, result, elapsed = run_wait(port, state)
        assert rc == 2
        assert result["failed"] is True
        assert "supervisord gave up on web (FATAL" in result["down"]["web"]
        assert "Address already in use" in result["log_tail"]["web"]
        assert "Address already in use" in result["msg"], result["msg"]
        assert elapsed < 30, "failed at once, not after the 60 s timeout"

    rc, result, _ = run_wait(port, state)
    assert rc == 0, result
    assert result["changed"] is True
    assert result["restarted"] == ["web"]

    rc, result, _ = run_wait(port, state)
    assert rc == 0, result
    assert result["changed"] is False
    assert result["restarted"] == []
