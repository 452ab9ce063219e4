"""The one shape of every VideoForge module: read -> plan -> apply.

    def main() -> None:
        module = AnsibleModule(**module_args(OPTIONS, required_if=[...]))
        reconcile(module, read, plan, apply)

- ``read(aws, params)`` gathers what exists; every AWS call goes through ``aws(service)``,
  an ``AwsClient`` (retries, one ``AwsError``).
- ``plan(current, params, check_mode)`` is a pure function in ``module_utils/`` that returns a
  ``Plan``: the changes, the before/after views for ``--diff``, the results known before any
  change, and the steps ``apply`` will take.
- ``apply(aws, plan, params)`` makes the calls and returns what it learnt (ids of what it
  created). It is never called in check mode, nor when nothing differs.

``reconcile`` owns what every module repeats: the boto3 check, the clients, check mode,
diff and result emission, and the error exits (``AwsError`` -> the AWS code and message;
``ReconcileError`` -> its message). ``reconcile_family`` runs the same three steps for a
dict of like resources in one module run, with a result and a diff per item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.vf_aws import (
    AwsClient,
    AwsError,
    aws_argument_spec,
    connect,
    dict_to_tags,
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


class Aws:
    """The AWS clients of one module run, each made on first use (a client costs about 0.1 s).

    ``check_mode`` is there for a read that waits on AWS (a certificate being issued): waiting
    is pointless when nothing was asked of AWS. ``hide`` keeps a secret out of every output."""

    def __init__(self, params: Mapping[str, Any], check_mode: bool = False, hidden: set | None = None):
        self.params = params
        self.check_mode = check_mode
        self._hidden = hidden if hidden is not None else set()
        self._clients: dict[str, AwsClient] = {}
        self._account_id: str | None = None

    def account_id(self) -> str:
        """The caller's account, asked of STS once per run (a family's items share it)."""
        if self._account_id is None:
            self._account_id = self("sts").call("get_caller_identity")["Account"]
        return self._account_id

    def hide(self, secret: str) -> None:
        """Mask ``secret`` wherever it would appear in the module's output."""
        self._hidden.add(secret)

    def __call__(self, service: str) -> AwsClient:
        if service not in self._clients:
            p = self.params
            self._clients[service] = connect(service, p.get("region"), p.get("endpoint_url"), p["retries"])
        return self._clients[service]


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
        call = todo.steps.get("call")
        if todo.changes and not check_mode and call:
            aws(call.service).call(call.operation, retry_codes=call.retry_codes, **call.params)
        elif todo.changes and not check_mode:
            report.update(apply(aws, todo, params) or {})
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


@dataclass(frozen=True)
class TagApi:
    """How one service sets and removes a resource's tags."""

    set_call: str
    remove_call: str
    resource_key: str  # the argument that names the resource
    tags_shape: str  # "Key" (a [{Key, Value}] list), "key" ([{key, value}]) or "dict"
    tags_key: str = "Tags"
    keys_key: str = "TagKeys"
    resource_list: bool = False  # the resource goes in a list (elbv2, ec2)
    keys_as_tags: bool = False  # removal names keys as [{Key}] (ec2)
    extra: tuple = ()  # fixed arguments, as (name, value) pairs

    def args(self, resource: str) -> dict[str, Any]:
        return {self.resource_key: [resource] if self.resource_list else resource, **dict(self.extra)}

    def tags(self, tags: Mapping[str, str]) -> Any:
        if self.tags_shape == "dict":
            return dict(tags)
        return dict_to_tags(tags, self.tags_shape, "Value" if self.tags_shape == "Key" else "value")


TAG_APIS = {
    "elbv2": TagApi("add_tags", "remove_tags", "ResourceArns", "Key", resource_list=True),
    "ecs": TagApi("tag_resource", "untag_resource", "resourceArn", "key", "tags", "tagKeys"),
    "ecr": TagApi("tag_resource", "untag_resource", "resourceArn", "Key", "tags", "tagKeys"),
    "logs": TagApi("tag_resource", "untag_resource", "resourceArn", "dict", "tags", "tagKeys"),
    "sqs": TagApi("tag_queue", "untag_queue", "QueueUrl", "dict"),
    "ssm": TagApi(
        "add_tags_to_resource",
        "remove_tags_from_resource",
        "ResourceId",
        "Key",
        extra=(("ResourceType", "Parameter"),),
    ),
    "ec2": TagApi(
        "create_tags",
        "delete_tags",
        "Resources",
        "Key",
        keys_key="Tags",
        resource_list=True,
        keys_as_tags=True,
    ),
    "iam": TagApi("tag_role", "untag_role", "RoleName", "Key"),
    "cognito-idp": TagApi("tag_resource", "untag_resource", "ResourceArn", "dict"),
}


def apply_tags(
    client: AwsClient, service: str, resource: str, to_set: Mapping[str, str], to_remove: list[str]
) -> None:
    """Remove, then set, tags on ``resource`` (an ARN, or what the service names it by)."""
    api = TAG_APIS[service]
    if to_remove:
        keys = [{"Key": k} for k in to_remove] if api.keys_as_tags else list(to_remove)
        client.call(api.remove_call, **api.args(resource), **{api.keys_key: keys})
    if to_set:
        client.call(api.set_call, **api.args(resource), **{api.tags_key: api.tags(to_set)})


def tag_plan(current: Mapping[str, str], desired: Mapping[str, Any], purge: bool) -> dict[str, Any]:
    """``{"set", "remove", "after"}`` to go from ``current`` tags to the declared ones."""
    to_set, to_remove = tag_changes(current, desired, purge)
    return {"set": to_set, "remove": to_remove, "after": tags_after(current, desired, purge)}
