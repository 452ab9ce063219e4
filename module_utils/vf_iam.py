"""Pure comparison functions for IAM roles, their inline policies and instance profiles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import canonical_json, tag_changes


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


def policy_resources(document: Mapping[str, Any]) -> list[str]:
    """Every Resource named by a policy document's Allow statements (for least-privilege checks)."""
    out: list[str] = []
    statements = document.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        res = st.get("Resource") or []
        out.extend([res] if isinstance(res, str) else res)
    return out
