"""Pure functions for CloudWatch Logs log groups: what differs and the plan of a vf_log_groups item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Call, Plan, deletion, tag_plan

# A log group's options (one item of vf_log_groups).
LOG_GROUP_OPTIONS = {
    "name": {"type": "str", "required": True},
    "retention_days": {"type": "int", "default": 30},
}


def log_group_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """``current`` is describe_log_groups' entry plus ``tags`` (a dict)."""
    if current is None:
        return ["create"]
    changes = []
    # AWS omits retentionInDays when events never expire.
    if int(current.get("retentionInDays") or 0) != int(desired["retention_days"] or 0):
        changes.append("retention")
    tags = tag_plan(current.get("tags", {}), desired["tags"], desired["purge_tags"])
    if tags["set"] or tags["remove"]:
        changes.append("tags")
    return changes


def log_group_plan(group: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one log group (``group``: describe_log_groups' entry with ``tags``)."""
    before = {"retention_days": group.get("retentionInDays", 0), "tags": group["tags"]} if group else {}
    result = {"name": p["name"], "arn": (group or {}).get("arn")}
    if p["state"] == "absent":
        return deletion(
            result, before if group else None, Call("logs", "delete_log_group", {"logGroupName": p["name"]})
        )
    changes = log_group_changes(group, p)
    after = {"retention_days": p["retention_days"], "tags": dict(p["tags"])}
    tags = tag_plan((group or {}).get("tags", {}), p["tags"], p["purge_tags"])
    return Plan(changes, before, after, result, {"tags": tags})
