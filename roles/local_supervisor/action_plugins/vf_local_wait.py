"""Wait, in the controller, until the local twin's servers answer: a port, or an HTTP(S) status.

A server that already answers costs one connection here, not a module run (``wait_for`` and
``uri`` start a Python process each even when the first try succeeds); one that does not yet
is asked again every 0.2 s until the timeout.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

DOCUMENTATION = r"""
---
module: vf_local_wait
short_description: Wait in the controller until local servers accept connections or answer a URL
description:
  - Each endpoint is either a TCP port (I(host), I(port)) that must accept a connection, or an
    I(url) that must answer with I(status_code) (TLS certificates are not checked: the local
    twin's CA is its own). All must answer within I(timeout) seconds; the task never changes
    anything. Runs in the controller: only for hosts reached with the C(local) connection.
options:
  endpoints:
    description: The endpoints, each C({name, host, port}) or C({name, url, status_code}).
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds for all of them together.
    type: int
    default: 60
  msg:
    description: The failure message (the last error of each endpoint still down follows it).
    type: str
    default: The local servers did not answer in time
author: VideoForge
"""

RETURN = r"""
elapsed:
  description: Seconds until every endpoint answered.
  returned: always
  type: float
"""

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
        pending = list(args.get("endpoints") or [])
        started = time.monotonic()
        deadline = started + float(args.get("timeout", 60))
        errors: dict[str, str] = {}
        while True:
            still = []
            for endpoint in pending:
                why = answer(endpoint)
                if why is not None:
                    errors[str(endpoint.get("name") or endpoint.get("url") or endpoint.get("port"))] = why
                    still.append(endpoint)
            pending = still
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(INTERVAL)
        elapsed = round(time.monotonic() - started, 2)
        result.update(changed=False, elapsed=elapsed)
        if pending:
            down = [str(e.get("name") or e.get("url") or e.get("port")) for e in pending]
            result.update(
                failed=True,
                msg=args.get("msg", "The local servers did not answer in time"),
                down={name: errors[name] for name in down},
            )
        return result
