"""Run a VideoForge module in a fork of the controller, warm, instead of a fresh interpreter.

Every ``library/vf_*.py`` module has an action plugin of its name here, a link to this file.
Over the local connection (where all of our AWS modules run) the module is run in a fork of the
task's worker process: the module's code, arguments, check and diff mode, no_log and environment
are exactly those of an ordinary run, and its result is parsed by Ansible's own code, but the
fork starts with Ansible's module_utils, boto3 and the AWS service models already loaded (the
strategy imports this plugin in the controller before it forks a task's worker, and the import
loads them, once per run). An ordinary module run starts Python, unpacks the AnsiballZ payload,
imports boto3 (about 0.25 s) and parses each client's service model (about 0.1 s a client); the
fork does none of that.

Anything else runs the ordinary way: another connection, become, async, a module that is not
one of ours, or an interpreter other than the controller's own.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import ansible.module_utils
from ansible import constants as C
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.plugins.loader import connection_loader, filter_loader, lookup_loader, shell_loader, test_loader
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys

PROFILE = "legacy"  # the serialization profile of every module that declares none (ours)
LOCAL = frozenset({"local", "ansible.builtin.local", "ansible.legacy.local"})
display = Display()

# Our modules import ``ansible.module_utils.vf_*``: make that name resolve here as it does in an
# AnsiballZ payload, then load boto3 and the service models the forks will inherit.
for _path in C.DEFAULT_MODULE_UTILS_PATH:
    if _path not in ansible.module_utils.__path__:
        ansible.module_utils.__path__.append(_path)
try:
    from ansible.module_utils import vf_aws

    vf_aws.warm()
except ImportError:  # boto3 missing: the module itself reports it, the ordinary way
    pass


def _warm_templating() -> None:
    """Load the plugins every task's worker uses (lookups, filters, tests, the local connection
    and its shell) here in the controller: one first used in a worker is loaded there (its
    source and its documented options parsed) and forgotten with the worker, so every task paid
    for it again (about a fifth of a no-op run's CPU, measured side by side)."""
    for name in ("env", "file", "template"):
        lookup_loader.get(f"ansible.builtin.{name}", class_only=True)
    connection_loader.get("ansible.builtin.local", class_only=True)
    shell_loader.get("ansible.builtin.sh", class_only=True)
    for loader in (filter_loader, test_loader):
        for _plugin in loader.all():
            pass


_warm_templating()


class ActionModule(NormalAction):
    def _execute_module(self, module_name=None, module_args=None, task_vars=None, wrap_async=False, **kwargs):
        name = module_name or self._task.action
        path = self._warm_path(name, task_vars or {})
        if path is None or wrap_async or kwargs:
            return super()._execute_module(
                module_name=module_name,
                module_args=module_args,
                task_vars=task_vars,
                wrap_async=wrap_async,
                **kwargs,
            )
        args = dict(self._task.args if module_args is None else module_args)
        self._update_module_args(name, args, task_vars or {})
        environment: dict = {}
        self._compute_environment_string(environment)
        display.vvv(f"Running {path} in a warm fork of the controller")
        params = json.dumps(
            {"ANSIBLE_MODULE_ARGS": args}, cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        )
        data = self._parse_returned_data(run_forked(path, params, environment), PROFILE)
        # What ActionBase._execute_module does with a parsed result.
        data.pop("_ansible_suppress_tmpdir_delete", None)
        if "results" in data and (
            not isinstance(data["results"], Sequence) or isinstance(data["results"], str)
        ):
            data["ansible_module_results"] = data.pop("results")
        remove_internal_keys(data)
        for stream in ("stdout", "stderr"):
            if stream in data and f"{stream}_lines" not in data:
                data[f"{stream}_lines"] = (data[stream] or "").splitlines()
        return data

    def _warm_path(self, name: str, task_vars: dict) -> str | None:
        """The module's file when it may run in a warm fork, else None."""
        if self._connection.transport not in LOCAL or self._task.async_val or self._play_context.become:
            return None
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(
            name, collection_list=self._task.collections
        )
        if not found.resolved or not found.plugin_resolved_path:
            return None
        path = Path(found.plugin_resolved_path).resolve()
        ours = {Path(p).resolve() for p in C.DEFAULT_MODULE_PATH}
        if path.parent not in ours or not path.name.startswith("vf_"):
            return None
        interpreter = task_vars.get("ansible_python_interpreter")
        if (
            interpreter is None
            or Path(str(self._templar.template(interpreter))).resolve() != Path(sys.executable).resolve()
        ):
            return None
        return str(path)


def run_forked(path: str, params: str, environment: dict) -> dict:
    """Run the module file ``path`` as ``__main__`` in a child process with ``params`` as its
    arguments: {rc, stdout, stderr}, as a module run over a connection returns them."""
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as stderr:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(path, params, environment, write_end, stderr.fileno())
        os.close(write_end)
        with os.fdopen(read_end, "rb") as out:
            stdout = out.read()
        _, status = os.waitpid(pid, 0)
        stderr.seek(0)
        return {
            "rc": os.waitstatus_to_exitcode(status),
            "stdout": stdout.decode("utf-8", "replace"),
            "stderr": stderr.read().decode("utf-8", "replace"),
        }


def _child(path: str, params: str, environment: dict, stdout_fd: int, stderr_fd: int) -> None:
    code = 1
    try:
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        sys.stdout = os.fdopen(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = os.fdopen(2, "w", encoding="utf-8", closefd=False)
        sys.stdin = open(os.devnull, encoding="utf-8")
        os.environ.update({str(k): str(v) for k, v in environment.items()})
        sys.argv = [path]
        from ansible.module_utils import basic
        from ansible.module_utils._internal._ansiballz import _loader

        basic._ANSIBLE_ARGS = params.encode("utf-8")
        basic._ANSIBLE_PROFILE = PROFILE
        try:
            runpy.run_path(path, run_name="__main__")
            raise RuntimeError("The module did not report a result.")
        except SystemExit:
            raise
        except Exception as exc:  # what the AnsiballZ wrapper does with an exception: a failed result
            _loader._handle_exception(exc, PROFILE)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
