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
one of ours, or an interpreter other than the controller's own. So does every module when the
fork is switched off (``[videoforge] warm_fork = false`` in ansible.cfg, or ``VF_WARM_FORK=0``),
when ansible-core is not a version it was tested with (``TESTED_CORE``), or when a private name
it relies on is gone (docs/ARCHITECTURE.md "Modules" lists them): then it warns once per run.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import NoReturn

import ansible.module_utils
from ansible import constants as C
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.plugins.loader import connection_loader, filter_loader, lookup_loader, shell_loader, test_loader
from ansible.release import __version__ as CORE_VERSION
from ansible.utils.display import Display

PROFILE = "legacy"  # the serialization profile of every module that declares none (ours)
LOCAL = frozenset({"local", "ansible.builtin.local", "ansible.legacy.local"})
# The ansible-core versions the fork was tested with, as (major, minor): from the first, up to
# and not including the second. Its private names may change in any minor release.
TESTED_CORE = ((2, 19), (2, 20))
# A child whose private names failed exits with this code, nothing on stdout and MARKER first on
# stderr: it stopped before the module's code ran, so the module may run again the ordinary way.
UNAVAILABLE_RC = 86
MARKER = "VideoForge warm fork unavailable: "
# The switch, declared as Ansible's own plugins declare their settings (the environment wins).
SETTINGS = {
    "warm_fork": {
        "description": "Run VideoForge's modules in a warm fork of the controller.",
        "type": "bool",
        "default": True,
        "env": [{"name": "VF_WARM_FORK"}],
        "ini": [{"section": "videoforge", "key": "warm_fork"}],
    }
}
display = Display()


def switched_on(config_file: str | None = None) -> bool:
    """The switch, from the environment, else ansible.cfg (``config_file``: the run's own)."""
    C.config.initialize_plugin_configuration_definitions("action", "vf_warm_fork", SETTINGS)
    return C.config.get_config_value(
        "warm_fork", cfile=config_file, plugin_type="action", plugin_name="vf_warm_fork"
    )


def untested_core(version: str) -> str | None:
    """Why ansible-core ``version`` is not one the fork was tested with, or None when it is."""
    found = re.match(r"(\d+)\.(\d+)", version)
    (first, past) = TESTED_CORE
    if found and first <= (int(found[1]), int(found[2])) < past:
        return None
    tested = f">= {'.'.join(map(str, first))}, < {'.'.join(map(str, past))}"
    return f"ansible-core {version} is not a version it was tested with ({tested})"


def _controller_machinery() -> SimpleNamespace:
    """The controller's half of the fork: the names it uses beyond an action plugin's public
    surface, resolved now so that a missing one is found once, before any module runs. Also
    loads what the forks inherit."""
    from ansible.module_utils.common.json import Direction, get_module_encoder
    from ansible.vars.clean import remove_internal_keys

    for name in ("_parse_returned_data", "_update_module_args", "_compute_environment_string"):
        getattr(NormalAction, name)
    # Our modules import ``ansible.module_utils.vf_*``: make that name resolve here as it does in
    # an AnsiballZ payload, then load boto3 and the service models the forks will inherit.
    for path in C.DEFAULT_MODULE_UTILS_PATH:
        if path not in ansible.module_utils.__path__:
            ansible.module_utils.__path__.append(path)
    from ansible.module_utils import vf_aws

    vf_aws.warm()
    _warm_templating()
    return SimpleNamespace(
        encoder=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE),
        remove_internal_keys=remove_internal_keys,
    )


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


def start() -> SimpleNamespace | None:
    """The controller's half of the fork, or None when modules run the ordinary way. Every link
    in plugins/action imports this file, so each says why it is off: Ansible shows a warning
    once however often it is given."""
    if not switched_on():
        display.vvv("VideoForge's warm fork is switched off: modules run the ordinary way")
        return None
    reason = untested_core(CORE_VERSION)
    if reason is None:
        try:
            return _controller_machinery()
        except (ImportError, AttributeError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
    display.warning(f"VideoForge's warm fork is off, {reason}; modules run the ordinary way.")
    return None


WARM = start()


class ActionModule(NormalAction):
    def _execute_module(self, module_name=None, module_args=None, task_vars=None, wrap_async=False, **kwargs):
        name = module_name or self._task.action
        path = self._warm_path(name, task_vars or {})
        if path is not None and not wrap_async and not kwargs:
            data = self._execute_warm(path, name, module_args, task_vars or {})
            if data is not None:
                return data
        return super()._execute_module(
            module_name=module_name,
            module_args=module_args,
            task_vars=task_vars,
            wrap_async=wrap_async,
            **kwargs,
        )

    def _execute_warm(self, path: str, name: str, module_args, task_vars: dict) -> dict | None:
        """The module's result from a warm fork, or None when the fork could not start it."""
        args = dict(self._task.args if module_args is None else module_args)
        self._update_module_args(name, args, task_vars)
        environment: dict = {}
        self._compute_environment_string(environment)
        params = json.dumps({"ANSIBLE_MODULE_ARGS": args}, cls=WARM.encoder)
        res = run_forked(path, params, environment)
        if res["rc"] == UNAVAILABLE_RC and not res["stdout"] and res["stderr"].startswith(MARKER):
            reason = res["stderr"][len(MARKER) :].strip()
            display.warning(f"VideoForge's warm fork is off, {reason}; modules run the ordinary way.")
            return None
        display.vvv(f"Ran {path} in a warm fork of the controller")
        data = self._parse_returned_data(res, PROFILE)
        # What ActionBase._execute_module does with a parsed result.
        data.pop("_ansible_suppress_tmpdir_delete", None)
        if "results" in data and (
            not isinstance(data["results"], Sequence) or isinstance(data["results"], str)
        ):
            data["ansible_module_results"] = data.pop("results")
        WARM.remove_internal_keys(data)
        for stream in ("stdout", "stderr"):
            if stream in data and f"{stream}_lines" not in data:
                data[f"{stream}_lines"] = (data[stream] or "").splitlines()
        return data

    def _warm_path(self, name: str, task_vars: dict) -> str | None:
        """The module's file when it may run in a warm fork, else None."""
        if WARM is None:
            return None
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


def _child(path: str, params: str, environment: dict, stdout_fd: int, stderr_fd: int) -> NoReturn:
    code = 1
    try:
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        sys.stdout = os.fdopen(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = os.fdopen(2, "w", encoding="utf-8", closefd=False)
        try:
            handle_exception = _enter_module(path, params, environment)
        except Exception as exc:  # before the module's code: nothing of it ran
            sys.stderr.write(f"{MARKER}{type(exc).__name__}: {exc}\n")
            code = UNAVAILABLE_RC
        else:
            _run_module(path, handle_exception)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _enter_module(path: str, params: str, environment: dict):
    """Set up what the AnsiballZ wrapper sets up before a module runs and return its exception
    handler. Raises when a private name it relies on is gone."""
    from ansible.module_utils import basic
    from ansible.module_utils._internal._ansiballz._loader import _handle_exception

    for name in ("_ANSIBLE_ARGS", "_ANSIBLE_PROFILE"):  # assigning a name no longer read is silent
        getattr(basic, name)
    sys.stdin = open(os.devnull, encoding="utf-8")
    os.environ.update({str(k): str(v) for k, v in environment.items()})
    sys.argv = [path]
    basic._ANSIBLE_ARGS = params.encode("utf-8")
    basic._ANSIBLE_PROFILE = PROFILE
    return _handle_exception


def _run_module(path: str, handle_exception) -> NoReturn:
    """Run the module; its exception becomes a failed result as the AnsiballZ wrapper makes it."""
    try:
        runpy.run_path(path, run_name="__main__")
        raise RuntimeError("The module did not report a result.")
    except SystemExit:
        raise
    except Exception as exc:
        try:
            handle_exception(exc, PROFILE)
        except SystemExit:
            raise
        except Exception as broken:  # the handler's own failure: still say what the module raised
            print(json.dumps({"failed": True, "msg": f"{type(exc).__name__}: {exc} ({broken!r})"}))
            raise SystemExit(1) from broken
