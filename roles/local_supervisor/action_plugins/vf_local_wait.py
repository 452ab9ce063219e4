"""Wait, in the controller, until the local twin's servers answer: a port, or an HTTP(S) status.

A server that already answers costs one connection here, not a module run (``wait_for`` and
``uri`` start a Python process each even when the first try succeeds); one that does not yet
is asked again every 0.2 s until the timeout. An endpoint served by a supervised program is
given up on as soon as supervisord has (the program is FATAL: it kept exiting), and a failure
shows the end of the program's log, so a port in use or a bad configuration reads in the error
itself, at once, not after the timeout in a file to look up.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections import deque

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

DOCUMENTATION = r"""
---
module: vf_local_wait
short_description: Wait in the controller until local servers accept connections or answer a URL
description:
  - Each endpoint is either a TCP port (I(host), I(port)) that must accept a connection, or an
    I(url) that must answer with I(status_code) (TLS certificates are not checked: the local
    twin's CA is its own). All must answer within I(timeout) seconds; the task changes nothing
    but a program supervisord had given up on (see I(supervisor_socket)). Runs in the
    controller: only for hosts reached with the C(local) connection.
options:
  endpoints:
    description:
      - The endpoints, each C({name, host, port}) or C({name, url, status_code}).
      - Either may name the supervisor I(program) that serves it and its I(log) file.
    type: list
    elements: dict
    required: true
  supervisor_socket:
    description:
      - supervisord's control socket, asked for the state of the endpoints' programs.
      - A program it had given up on (FATAL) when the task starts is started once more (the task
        then reports changed); one it gives up on while waiting fails the task at once.
    type: path
  timeout:
    description: Seconds for all of them together.
    type: int
    default: 60
  msg:
    description:
      - The failure message. The seconds waited, the last error of each endpoint still down and
        the end of its log follow it.
    type: str
    default: The local servers did not answer
author: VideoForge
"""

RETURN = r"""
elapsed:
  description: Seconds until every endpoint answered.
  returned: always
  type: float
restarted:
  description: The programs supervisord had given up on before this task, started again (changed).
  returned: always
  type: list
  elements: str
down:
  description: Each endpoint still down, and why (its last error, or its program's state).
  returned: failed
  type: dict
log_tail:
  description: The last lines of the log of each endpoint still down that names one.
  returned: failed
  type: dict
"""

LOG_LINES = 15

INTERVAL = 0.2
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(urllib.request.HTTPSHandler(context=INSECURE), _NoRedirect)
# Loopback servers only: a proxy from the environment must not stand in for them.
OPENER.add_handler(urllib.request.ProxyHandler({}))


def answer(endpoint: dict) -> str | None:
    """None when the endpoint answers as it must, else why not."""
    try:
        if "url" in endpoint:
            want = int(endpoint.get("status_code", 200))
            try:
                with OPENER.open(endpoint["url"], timeout=5) as resp:
                    status = resp.status
            except urllib.error.HTTPError as err:
                status = err.code
            return None if status == want else f"status {status}, not {want}"
        with socket.create_connection((endpoint["host"], int(endpoint["port"])), timeout=2):
            return None
    except (OSError, ValueError) as err:
        return f"{type(err).__name__}: {err}"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def make_connection(self, host):
        return _UnixConnection(self._path, 2)


def _supervisor(supervisor_socket: str):
    return xmlrpc.client.ServerProxy(
        "http://localhost/RPC2", transport=_UnixTransport(supervisor_socket)
    ).supervisor


def program_failed(supervisor_socket: str | None, program: str | None) -> str | None:
    """Why supervisord gave up on the program (it is FATAL), else None (also when unknown)."""
    if not supervisor_socket or not program:
        return None
    try:
        info = _supervisor(str(supervisor_socket)).getProcessInfo(str(program))
    except (OSError, xmlrpc.client.Error):
        return None
    if info.get("statename") != "FATAL":
        return None
    return f"supervisord gave up on {program} (FATAL: {info.get('spawnerr') or 'it kept exiting'})"


def start_again(supervisor_socket: str | None, program: str | None) -> bool:
    """Start a program supervisord had given up on (a run before this one met the port taken,
    say): an unchanged configuration is not applied again, so nothing else would. True if it
    was FATAL and is started."""
    if program_failed(supervisor_socket, program) is None:
        return False
    try:
        _supervisor(str(supervisor_socket)).startProcess(str(program), False)
    except (OSError, xmlrpc.client.Error):
        return False
    return True


def log_tail(path: str, lines: int = LOG_LINES) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines)).rstrip()
    except OSError as err:
        return f"({type(err).__name__}: {err})"


def _name(endpoint: dict) -> str:
    return str(endpoint.get("name") or endpoint.get("url") or endpoint.get("port"))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != "local":
            raise AnsibleActionFail(
                "vf_local_wait runs in the controller: the host must use the local connection"
            )
        args = self._task.args
        supervisor_socket = args.get("supervisor_socket")
        pending = list(args.get("endpoints") or [])
        started = time.monotonic()
        deadline = started + float(args.get("timeout", 60))
        errors: dict[str, str] = {}
        given_up = False
        restarted = [e["program"] for e in pending if start_again(supervisor_socket, e.get("program"))]
        while True:
            still = []
            for endpoint in pending:
                why = answer(endpoint)
                if why is not None:
                    fatal = program_failed(supervisor_socket, endpoint.get("program"))
                    given_up = given_up or fatal is not None
                    errors[_name(endpoint)] = fatal or why
                    still.append(endpoint)
            pending = still
            if not pending or given_up or time.monotonic() >= deadline:
                break
            time.sleep(INTERVAL)
        elapsed = round(time.monotonic() - started, 2)
        result.update(changed=bool(restarted), elapsed=elapsed, restarted=restarted)
        if pending:
            tails = {_name(e): log_tail(e["log"]) for e in pending if e.get("log")}
            down = {_name(e): errors[_name(e)] for e in pending}
            msg = args.get("msg", "The local servers did not answer")
            msg += f" (after {elapsed} s): " + "; ".join(f"{k}: {v}" for k, v in down.items())
            for name, tail in tails.items():
                msg += f"\n--- the end of {name}'s log:\n{tail}"
            result.update(
                failed=True,
                msg=msg,
                down=down,
                log_tail=tails,
            )
        return result
