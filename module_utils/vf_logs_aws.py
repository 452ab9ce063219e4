"""The CloudWatch Logs read and apply steps of vf_log_groups (what it compares is pure, in
vf_logs)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.vf_aws import Aws, apply_tags
from ansible.module_utils.vf_module import Plan


def describe_log_group(logs, name: str) -> dict[str, Any] | None:
    """describe_log_groups' entry for exactly ``name`` (the call matches a prefix), with its tags."""
    for group in logs.paginate("describe_log_groups", "logGroups", logGroupNamePrefix=name):
        if group["logGroupName"] == name:
            arn = group["arn"].removesuffix(":*")
            return {
                **group,
                "arn": arn,
                "tags": logs.call("list_tags_for_resource", resourceArn=arn).get("tags", {}),
            }
    return None


def read_log_group(aws: Aws, p: dict) -> dict[str, Any] | None:
    """The log group, or None."""
    return describe_log_group(aws("logs"), p["name"])


def apply_log_group(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Create the group, set or drop its retention, reconcile its tags."""
    logs, name, changes = aws("logs"), p["name"], plan.changes
    if "create" in changes:
        tags = {"tags": {k: str(v) for k, v in p["tags"].items()}} if p["tags"] else {}
        logs.call("create_log_group", logGroupName=name, **tags)
    if p["retention_days"] and ("create" in changes or "retention" in changes):
        logs.call("put_retention_policy", logGroupName=name, retentionInDays=p["retention_days"])
    elif "retention" in changes:
        logs.call("delete_retention_policy", logGroupName=name)
    arn = plan.result["arn"] or describe_log_group(logs, name)["arn"]
    if "tags" in changes:
        apply_tags(logs, "logs", arn, plan.steps["tags"]["set"], plan.steps["tags"]["remove"])
    return {"arn": arn}
