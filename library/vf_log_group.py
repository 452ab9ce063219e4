#!/usr/bin/python
"""Reconcile a CloudWatch Logs log group (retention, tags)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_log_group
short_description: Create, update or delete a CloudWatch Logs log group
description:
  - Reconciles one log group's retention and tags. With I(state=absent) it is deleted.
options:
  name:
    description: The log group name.
    type: str
    required: true
  retention_days:
    description: Days to keep events (C(0) means never expire).
    type: int
    default: 30
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the log group.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Keep the gallery logs for 30 days
  vf_log_group:
    name: /ecs/video-forge-dev/gallery
    retention_days: 30
"""

RETURN = r"""
arn:
  description: The log group ARN (without the trailing C(:*)).
  returned: when it exists
  type: str
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
    tag_changes,
)


def log_group_changes(current: dict | None, desired: dict) -> list[str]:
    """``current`` is describe_log_groups' entry plus ``tags`` (a dict)."""
    if current is None:
        return ["create"]
    changes = []
    # AWS omits retentionInDays when events never expire.
    if int(current.get("retentionInDays") or 0) != int(desired["retention_days"] or 0):
        changes.append("retention")
    to_set, to_remove = tag_changes(current.get("tags", {}), desired["tags"], desired["purge_tags"])
    if to_set or to_remove:
        changes.append("tags")
    return changes


def describe(logs, name: str) -> dict | None:
    for group in logs.paginate("describe_log_groups", "logGroups", logGroupNamePrefix=name):
        if group["logGroupName"] == name:
            arn = group["arn"].removesuffix(":*")
            group["tags"] = logs.call("list_tags_for_resource", resourceArn=arn).get("tags", {})
            group["arn"] = arn
            return group
    return None


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        retention_days={"type": "int", "default": 30},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    logs = connect_from_params("logs", p)
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        current = describe(logs, name)
        before = (
            {"retention_days": current.get("retentionInDays", 0), "tags": current["tags"]} if current else {}
        )
        if p["state"] == "absent":
            if current:
                result.update(changed=True, changes=["delete"], diff={"before": before, "after": {}})
                if not module.check_mode:
                    logs.call("delete_log_group", logGroupName=name)
            module.exit_json(**result)
        changes = log_group_changes(current, p)
        result["changes"] = changes
        if changes:
            after = {"retention_days": p["retention_days"], "tags": dict(p["tags"])}
            result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode or not changes:
            module.exit_json(**result, arn=(current or {}).get("arn"))
        if "create" in changes:
            req = {"logGroupName": name}
            if p["tags"]:
                req["tags"] = {k: str(v) for k, v in p["tags"].items()}
            logs.call("create_log_group", **req)
        if p["retention_days"] and ("create" in changes or "retention" in changes):
            logs.call("put_retention_policy", logGroupName=name, retentionInDays=p["retention_days"])
        elif "retention" in changes:
            logs.call("delete_retention_policy", logGroupName=name)
        fresh = describe(logs, name)
        if "tags" in changes:
            to_set, to_remove = tag_changes(current["tags"], p["tags"], p["purge_tags"])
            if to_remove:
                logs.call("untag_resource", resourceArn=fresh["arn"], tagKeys=to_remove)
            if to_set:
                logs.call("tag_resource", resourceArn=fresh["arn"], tags=to_set)
        module.exit_json(**result, arn=fresh["arn"])
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
