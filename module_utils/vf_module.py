"""The one shape of every VideoForge module: read -> plan -> apply.

    def main() -> None:
        module = AnsibleModule(**module_args(OPTIONS, required_if=[...]))
        reconcile(module, read, plan, apply)

- ``read(aws, params)`` gathers what exists; every AWS call goes through ``aws(service)``,
  an ``AwsClient`` (retries, one ``AwsError``). Read and apply live in
  ``module_utils/vf_<service>_aws.py``; this file, like every plan, calls no AWS itself.
- ``plan(current, params, check_mode)`` is a pure function in ``module_utils/`` that returns a
  ``Plan``: the changes, the before/after views for ``--diff``, the results known before any
  change, and the steps ``apply`` will take.
- ``apply(aws, plan, params)`` makes the calls and returns what it learnt (ids of what it
  created). It is never called in check mode, nor when nothing differs.

``reconcile`` owns what every module repeats: the boto3 check, the clients (``vf_aws.Aws``),
check mode, diff and result emission, and the error exits (``AwsError`` -> the AWS code and
message; ``ReconcileError`` -> its message). ``reconcile_family`` runs the same three steps for a
dict of like resources in one module run, with a result and a diff per item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.vf_aws import (
    Aws,
    AwsError,
    apply_call,
    aws_argument_spec,
    error_report,
    require_boto3,
    tag_changes,
)

STATE_OPTION = {"state": {"type": "str", "choices": ["present", "absent"], "default": "present"}}
TAG_OPTIONS = {"tags": {"type": "dict", "default": {}}, "purge_tags": {"type": "bool", "default": True}}


class ReconcileError(Exception):
    """The declared state cannot be reached (a missing reference, a field that cannot change):
    the task fails with this message and ``result`` beside it."""

    def __init__(self, message: str, **result: Any):
        super().__init__(message)
        self.result = result


@dataclass
class Plan:
    """What a run changes: the pure outcome of comparing what exists with what is declared."""

    changes: list[str] = field(default_factory=list)
    before: Any = field(default_factory=dict)
    after: Any = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        """The module result before ``apply``: ``changed``, ``changes``, the diff when changed."""
        report = {**self.result, "changed": bool(self.changes), "changes": list(self.changes)}
        if self.changes:
            report["diff"] = {"before": self.before, "after": self.after}
        return report


@dataclass(frozen=True)
class Call:
    """One AWS call a plan can name, for ``reconcile`` to make (a deletion that is one call)."""

    service: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    retry_codes: frozenset[str] = frozenset()


def deletion(result: dict[str, Any], before: Any | None, call: Call | None = None, **steps: Any) -> Plan:
    """The plan of ``state: absent``: delete what exists (``before`` is its diff view; None
    when there is nothing to delete). A deletion that is one ``call`` is made by ``reconcile``;
    otherwise ``steps`` tell ``apply`` what to delete."""
    if before is None:
        return Plan(result=result)
    return Plan(["delete"], before, {}, result, {"delete": True, "call": call, **steps})


def module_args(options: Mapping[str, Any], *, state: bool = True, tags: bool = True, **kwargs: Any) -> dict:
    """``AnsibleModule`` keyword arguments: the module's own options plus the shared ones
    (``vf_aws``; ``state`` as ``vf_aws.state``; ``tags``/``purge_tags`` as ``vf_aws.tags``)."""
    spec = {**aws_argument_spec(), **options}
    if state:
        spec.update(STATE_OPTION)
    if tags:
        spec.update(TAG_OPTIONS)
    return {"argument_spec": spec, "supports_check_mode": True, **kwargs}


Read = Callable[[Aws, Mapping[str, Any]], Any]
PlanFn = Callable[[Any, Mapping[str, Any], bool], Plan]
Apply = Callable[[Aws, Plan, Mapping[str, Any]], "dict[str, Any] | None"]
# Options that name the resource: a failure result carries them even when nothing was read.
IDENTITY_OPTIONS = ("name", "family", "path", "namespace", "resource_id", "listener_arn")


class Failed(Exception):
    """A run that failed: the message and the result to fail with."""

    def __init__(self, message: str, result: dict[str, Any]):
        super().__init__(message)
        self.result = result


def run_once(
    aws: Aws, params: Mapping[str, Any], check_mode: bool, read: Read, plan: PlanFn, apply: Apply | None
) -> tuple[dict[str, Any], Plan]:
    """Read, plan and (unless in check mode or nothing differs) apply: (result, plan).

    Raises ``Failed`` with what was known when a call or the declared state failed."""
    report = {k: params[k] for k in IDENTITY_OPTIONS if params.get(k) is not None}
    try:
        todo = plan(read(aws, params), params, check_mode)
        report = {**report, **todo.report()}
        if todo.changes and not check_mode:
            step = apply_call if todo.steps.get("call") else apply
            report.update(step(aws, todo, params) or {})
    except ReconcileError as err:
        raise Failed(str(err), {**report, **err.result}) from err
    except AwsError as err:
        failure = error_report(err)
        raise Failed(failure.pop("msg"), {**report, **failure}) from err
    return report, todo


def reconcile(module: Any, read: Read, plan: PlanFn, apply: Apply | None = None) -> None:
    """Run a module's three steps and exit with its result (or fail with the reason). A module
    that only reads (its plan never changes anything) has no ``apply``."""
    require_boto3(module.fail_json)
    try:
        aws = Aws(module.params, module.check_mode, module.no_log_values)  # hide() masks the output
        report, todo = run_once(aws, module.params, module.check_mode, read, plan, apply)
    except Failed as failed:
        module.fail_json(msg=str(failed), **failed.result)
    for warning in todo.warnings:
        module.warn(warning)
    module.exit_json(**report)


def family_items(
    module: Any, key: str, name: str, what: str, required: tuple[str, ...] = (), needs: str = ""
) -> dict[str, dict[str, Any]]:
    """``module.params[key]``, a list of item options, as label -> item: an item's ``label`` when
    it has one, else its ``name`` option. Fails when two items share a label, and, with
    state=present, when an item lacks one of the ``required`` options (``needs`` says what every
    ``what`` needs, by default those options' names; the labels of the items lacking it follow)."""
    listed = module.params[key]
    items = {item.get("label") or item[name]: item for item in listed}
    if len(items) < len(listed):
        ident = "label" if "label" in listed[0] else name
        module.fail_json(msg=f"every {what} in {key} needs a {ident} of its own")
    lacking = [label for label, item in items.items() if any(item[k] is None for k in required)]
    if module.params.get("state") == "present" and lacking:
        module.fail_json(
            msg=f"with state=present every {what} needs {needs or ' and '.join(required)}: {lacking}"
        )
    return items


def reconcile_family(
    module: Any,
    key: str,
    shared: tuple[str, ...],
    read: Read,
    plan: PlanFn,
    apply: Apply,
    items: Mapping[str, Mapping[str, Any]],
) -> None:
    """One run for ``items``, a dict of label -> item options (``family_items``), each reconciled
    as the singular module would (the options named in ``shared`` are given once for all items).

    The result has ``results`` (per item: its label as ``item``, ``changed``, ``changes``,
    ``diff`` and its own results), ``<key>`` (label -> that item's result) and a diff per item.
    """
    require_boto3(module.fail_json)
    aws = Aws(module.params, module.check_mode, module.no_log_values)
    results: list[dict[str, Any]] = []
    for label, item in items.items():
        params = {**{k: module.params[k] for k in shared}, **item}
        try:
            report, todo = run_once(aws, params, module.check_mode, read, plan, apply)
        except Failed as failed:
            module.fail_json(msg=f"{label}: {failed}", item=label, results=results, **failed.result)
        for warning in todo.warnings:
            module.warn(f"{label}: {warning}")
        results.append({"item": label, **report})
    module.exit_json(
        changed=any(r["changed"] for r in results),
        results=results,
        diff=[
            {"before_header": r["item"], "after_header": r["item"], **r["diff"]}
            for r in results
            if "diff" in r
        ],
        **{key: {r["item"]: {k: v for k, v in r.items() if k != "diff"} for r in results}},
    )


# --- tags ---------------------------------------------------------------------------------


def tags_after(current: Mapping[str, str], desired: Mapping[str, Any], purge: bool) -> dict[str, str]:
    """The tags a resource has once reconciled (what ``--diff`` shows as after)."""
    wanted = {k: str(v) for k, v in desired.items()}
    return wanted if purge else {**current, **wanted}


def tag_plan(current: Mapping[str, str], desired: Mapping[str, Any], purge: bool) -> dict[str, Any]:
    """``{"set", "remove", "after"}`` to go from ``current`` tags to the declared ones."""
    to_set, to_remove = tag_changes(current, desired, purge)
    return {"set": to_set, "remove": to_remove, "after": tags_after(current, desired, purge)}
