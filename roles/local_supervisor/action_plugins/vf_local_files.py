"""Directories and small files of the local twin, reconciled in the controller in one task.

The local twin's hosts are the controller itself (``ansible_connection: local``), so there is
nothing to ship: comparing a rendered configuration with the file on disk is a read here. One
``template`` task costs two module runs (``stat``, then ``file`` for the mode) even when
nothing differs; this action costs none, for every file of a role at once.
"""

from __future__ import annotations

import os
import stat
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

DOCUMENTATION = r"""
---
module: vf_local_files
short_description: Reconcile the local twin's directories and files in the controller, in one task
description:
  - Creates the I(directories) and writes the I(files) whose content or mode differs, each
    atomically (a temporary file renamed over the old one). Nothing is written when nothing
    differs, and nothing at all in check mode; the diff shows each changed file before and after.
  - Runs in the controller: only for hosts reached with the C(local) connection (the local twin).
options:
  directories:
    description: Directories, created with their parents if missing, given their mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The directory., type: path, required: true}
      mode: {description: Its mode (octal string)., type: str, required: true}
  files:
    description: Files with their whole content.
    type: list
    elements: dict
    default: []
    suboptions:
      dest: {description: The file., type: path, required: true}
      content:
        description: What it must hold (render templates with the template lookup).
        type: str
        required: true
      mode: {description: Its mode (octal string)., type: str, required: true}
      secret: {description: Keep the content out of the diff., type: bool, default: false}
author: VideoForge
"""

RETURN = r"""
changed_paths:
  description: The directories and files that were (in check mode, would be) created or changed.
  returned: always
  type: list
"""


def _mode(value) -> int:
    return int(str(value), 8)


def _file_diff(dest: str, before: str | None, now: int | None, content: str, mode: int, secret: bool) -> dict:
    if secret:
        before_text = "(secret)\n" if before is not None else ""
        after_text = "(secret)\n"
    else:
        before_text, after_text = before or "", content
    if now is not None and now != mode:
        before_text += f"(mode {now:04o})\n"
        after_text += f"(mode {mode:04o})\n"
    return {
        "before_header": dest if before is not None else f"{dest} (absent)",
        "after_header": dest,
        "before": before_text,
        "after": after_text,
    }


def _write(dest: str, content: str, mode: int) -> None:
    """Replace ``dest`` atomically: a reader sees the old file or the new one, never half."""
    fd, tmp_path = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=f".{os.path.basename(dest)}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        os.replace(tmp_path, dest)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def reconcile(directories: list, files: list, check: bool) -> tuple[list[str], list[dict]]:
    """Make the directories and files as declared (nothing in check mode): (changed, diffs)."""
    changed, diffs = [], []
    for d in directories:
        path, mode = os.path.expanduser(d["path"]), _mode(d["mode"])
        try:
            now = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            now = None
        if now == mode:
            continue
        changed.append(path)
        diffs.append(
            {
                "before_header": path,
                "after_header": path,
                "before": "absent\n" if now is None else f"directory, mode {now:04o}\n",
                "after": f"directory, mode {mode:04o}\n",
            }
        )
        if not check:
            os.makedirs(path, exist_ok=True)
            os.chmod(path, mode)
    for f in files:
        dest, mode, content = os.path.expanduser(f["dest"]), _mode(f["mode"]), str(f["content"])
        try:
            now = stat.S_IMODE(os.stat(dest).st_mode)
            with open(dest, encoding="utf-8", newline="") as fh:
                before = fh.read()
        except FileNotFoundError:
            before, now = None, None
        except UnicodeDecodeError:
            before = ""
        if before == content and now == mode:
            continue
        changed.append(dest)
        diffs.append(_file_diff(dest, before, now, content, mode, bool(f.get("secret", False))))
        if check:
            continue
        if before == content:  # only the mode differs
            os.chmod(dest, mode)
        else:
            _write(dest, content, mode)
    return changed, diffs


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_diff = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != "local":
            raise AnsibleActionFail(
                "vf_local_files runs in the controller: the host must use the local connection"
            )
        args = self._task.args
        changed, diffs = reconcile(
            args.get("directories") or [], args.get("files") or [], self._task.check_mode
        )
        result.update(changed=bool(changed), changed_paths=changed)
        if self._task.diff and diffs:
            result["diff"] = diffs
        return result
