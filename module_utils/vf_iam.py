"""Pure comparison functions for IAM roles, their inline policies and instance profiles."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import canonical_json, tag_changes
from ansible.module_utils.vf_module import Plan, deletion, tag_plan

# The options of one role (each item of vf_iam_roles takes them but ``state``).
ROLE_OPTIONS = {
    "name": {"type": "str", "required": True},
    "path": {"type": "str", "default": "/"},
    "assume_role_policy": {"type": "dict"},
    "inline_policies": {"type": "dict", "default": {}},
    "managed_policy_arns": {"type": "list", "elements": "str", "default": []},
    "purge_policies": {"type": "bool", "default": True},
    "instance_profile": {"type": "bool", "default": False},
    "description": {"type": "str", "default": ""},
    "max_session_duration": {"type": "int", "default": 3600},
    "state": {"type": "str", "choices": ["present", "absent", "read"], "default": "present"},
    "tags": {"type": "dict", "default": {}},
}


def role_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs between a role as read back and the declared one.

    ``current``: get_role's ``Role`` plus ``InlinePolicies`` ({name: document}),
    ``AttachedPolicyArns`` (list), ``TagDict`` and ``InstanceProfile`` (bool).
    Policy documents are compared with ``canonical_json`` (key order, whitespace, single-item
    lists and string/number spelling do not count); IAM returns them URL-decoded as dicts.
    """
    if current is None:
        return ["create"]
    changes: list[str] = []
    if canonical_json(current.get("AssumeRolePolicyDocument") or {}) != canonical_json(
        desired["assume_role_policy"]
    ):
        changes.append("assume_role_policy")
    if (current.get("Description") or "") != (desired.get("description") or ""):
        changes.append("description")
    if int(current.get("MaxSessionDuration") or 3600) != int(desired.get("max_session_duration") or 3600):
        changes.append("max_session_duration")
    inline_now = current.get("InlinePolicies") or {}
    inline_want = desired.get("inline_policies") or {}
    for name in sorted(set(inline_now) | set(inline_want)):
        if name not in inline_want:
            if desired.get("purge_policies", True):
                changes.append(f"inline_policies.{name}")
        elif name not in inline_now or canonical_json(inline_now[name]) != canonical_json(inline_want[name]):
            changes.append(f"inline_policies.{name}")
    attached_now = set(current.get("AttachedPolicyArns") or [])
    attached_want = set(desired.get("managed_policy_arns") or [])
    if attached_want - attached_now or (desired.get("purge_policies", True) and attached_now - attached_want):
        changes.append("managed_policy_arns")
    if bool(current.get("InstanceProfile")) != bool(desired.get("instance_profile")):
        changes.append("instance_profile")
    to_set, to_remove = tag_changes(current.get("TagDict") or {}, desired.get("tags") or {}, True)
    if to_set or to_remove:
        changes.append("tags")
    return changes


# --- the plan of a vf_iam_roles item ----------------------------------------------------------


def document(value: Any) -> Any:
    """A policy document as a dict (IAM takes and returns JSON text or parsed documents)."""
    return json.loads(value) if isinstance(value, str) else value


def role_summary(role: Mapping[str, Any] | None) -> dict[str, Any]:
    """A role as read back, as ``--diff`` shows it (documents canonical)."""
    if not role:
        return {}
    return {
        "assume_role_policy": json.loads(canonical_json(role.get("AssumeRolePolicyDocument") or {})),
        "inline_policies": {
            k: json.loads(canonical_json(v)) for k, v in (role.get("InlinePolicies") or {}).items()
        },
        "managed_policy_arns": sorted(role.get("AttachedPolicyArns") or []),
        "instance_profile": bool(role.get("InstanceProfile")),
        "description": role.get("Description") or "",
        "tags": role.get("TagDict") or {},
    }


def role_facts(role: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the module returns about an existing role."""
    if not role:
        return {}
    facts = {"arn": role["Arn"], "inline_policies": role.get("InlinePolicies") or {}}
    if role.get("InstanceProfile"):
        facts["instance_profile_arn"] = role["InstanceProfile"]["Arn"]
    return facts


def role_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one role. ``current``: ``role`` (get_role plus InlinePolicies,
    AttachedPolicyArns, TagDict, InstanceProfile; or None) and ``account_id``."""
    role = current["role"]
    result = {
        "name": p["name"],
        "account_id": current["account_id"],
        "exists": role is not None,
        **role_facts(role),
    }
    if p["state"] == "read":
        return Plan(result=result)
    if p["state"] == "absent":
        return deletion({**result, "exists": False}, role_summary(role) if role else None, role=role)
    declared = {**p, "inline_policies": {k: document(v) for k, v in p["inline_policies"].items()}}
    changes = role_changes(role, declared)
    after = {
        "assume_role_policy": json.loads(canonical_json(p["assume_role_policy"])),
        "inline_policies": {k: json.loads(canonical_json(v)) for k, v in declared["inline_policies"].items()},
        "managed_policy_arns": sorted(p["managed_policy_arns"]),
        "instance_profile": p["instance_profile"],
        "description": p["description"],
        "tags": dict(p["tags"]),
    }
    attached = set((role or {}).get("AttachedPolicyArns") or [])
    inline_now = (role or {}).get("InlinePolicies") or {}
    steps = {
        "put_policies": {
            n: d
            for n, d in declared["inline_policies"].items()
            if role is None or f"inline_policies.{n}" in changes
        },
        "delete_policies": [n for n in inline_now if n not in declared["inline_policies"]]
        if p["purge_policies"]
        else [],
        "attach": sorted(set(p["managed_policy_arns"]) - attached),
        "detach": sorted(attached - set(p["managed_policy_arns"])) if p["purge_policies"] else [],
        "tags": tag_plan((role or {}).get("TagDict") or {}, p["tags"], True),
    }
    return Plan(changes, role_summary(role), after, result, steps)
