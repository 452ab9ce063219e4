"""Whether supervisord runs for a state directory, read in the controller (no module run).

The same test as ``python -m twin.stack running``: the pidfile names a live process whose
command line is supervisord (a stale pidfile may name an unrelated process after a reboot).
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

DOCUMENTATION = r"""
---
module: vf_local_supervisord
short_description: Tell whether supervisord runs for a local twin's state directory
description:
  - Reads C(<state_dir>/run/supervisord.pid) and the process it names. Never changes anything.
    Runs in the controller: only for hosts reached with the C(local) connection.
options:
  state_dir:
    description: The local twin's state directory.
    type: path
    required: true
author: VideoForge
"""

RETURN = r"""
running:
  description: Whether supervisord runs for this state directory.
  returned: always
  type: bool
pid:
  description: Its process id, when it runs.
  returned: when running
  type: int
"""


def supervisord_pid(state_dir: str) -> int | None:
    try:
        with open(os.path.join(state_dir, "run", "supervisord.pid"), encoding="ascii") as fh:
            pid = int(fh.read().strip())
        os.kill(pid, 0)
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except (OSError, ValueError):
        return None
    return pid if b"supervisord" in cmdline else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != "local":
            raise AnsibleActionFail(
                "vf_local_supervisord runs in the controller: the host must use the local connection"
            )
        pid = supervisord_pid(os.path.expanduser(str(self._task.args["state_dir"])))
        result.update(changed=False, running=pid is not None)
        if pid is not None:
            result["pid"] = pid
        return result
