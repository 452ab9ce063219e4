"""Pure functions for SSM parameters: what differs, what the diff shows (secrets masked), and the
plans of vf_ssm_parameter (one parameter, possibly a secret) and vf_ssm_parameters (a path of
published outputs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import tag_changes
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion, tag_plan

MASK = "********"


def parameter_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """The fields that differ between an existing parameter and the declared one.

    ``current`` is get_parameter's ``Parameter`` merged with describe_parameters' entry
    (for the description) and the tag dict; ``desired`` has value, type, description, tags.
    A desired value of None means "keep what is there" (a generated secret).
    """
    if current is None:
        return ["create"]
    changes = []
    if desired["value"] is not None and current.get("Value") != desired["value"]:
        changes.append("value")
    if current.get("Type") != desired["type"]:
        changes.append("type")
    if (current.get("Description") or "") != desired["description"]:
        changes.append("description")
    to_set, to_remove = tag_changes(current.get("Tags", {}), desired["tags"], desired["purge_tags"])
    if to_set or to_remove:
        changes.append("tags")
    return changes


def shown(param: Mapping[str, Any] | None, reveal: bool = False) -> dict[str, Any]:
    """A parameter as the diff shows it: SecureString values masked unless asked for."""
    if param is None:
        return {}
    value = param.get("Value")
    if param.get("Type") == "SecureString" and not reveal:
        value = MASK
    return {
        "value": value,
        "type": param.get("Type"),
        "description": param.get("Description", ""),
        "tags": param.get("Tags", {}),
    }


def facts(param: Mapping[str, Any], reveal: bool) -> dict[str, Any]:
    """What the module returns about a parameter: a secret's value only when asked for."""
    out = {"exists": True, "version": param.get("Version")}
    if reveal or param.get("Type") == "String":
        out["value"] = param.get("Value")
    return out


def parameter_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one parameter. ``current``: ``parameter`` (the merged read, or None) and
    ``generated`` (a fresh value for ``generate=true``, used only when the parameter is missing)."""
    name, param, reveal = p["name"], current["parameter"], p["return_value"]
    result: dict[str, Any] = {"name": name}
    if p["state"] == "read":
        if param is None:
            raise ReconcileError(f"SSM parameter {name} does not exist", **result)
        return Plan(result={**result, **facts(param, reveal)})
    if p["state"] == "absent":
        delete = Call("ssm", "delete_parameter", {"Name": name})
        return deletion({**result, "exists": False}, shown(param) if param is not None else None, delete)
    if p["value"] is None and not p["generate"]:
        raise ReconcileError(f"{name}: value is required with state=present unless generate=true")
    value = p["value"] if p["value"] is not None else (None if param is not None else current["generated"])
    desired = {"value": value, "type": p["type"], "description": p["description"]}
    changes = parameter_changes(param, {**desired, "tags": p["tags"], "purge_tags": p["purge_tags"]})
    if not changes:
        return Plan(result={**result, **facts(param, reveal)})
    tags = tag_plan((param or {}).get("Tags", {}), p["tags"], p["purge_tags"])
    after = {
        "Value": value if value is not None else param.get("Value"),
        "Type": p["type"],
        "Description": p["description"],
        "Tags": tags["after"],
        "Version": (param or {}).get("Version", 0) + 1,
    }
    put = None
    if {"create", "value", "type", "description"} & set(changes):
        put = {"Name": name, "Value": after["Value"], "Type": p["type"], "Overwrite": param is not None}
        put["Description"] = p["description"]
    steps = {"put": put, "tags": tags, "after": after}
    return Plan(changes, shown(param), shown(after), {**result, **facts(after, reveal)}, steps)


def parameters_changes(
    current: Mapping[str, Mapping[str, Any]],
    desired: Mapping[str, str],
    description: str,
    tags,
    purge_tags: bool,
) -> dict[str, list[str]]:
    """Full name -> the fields that differ (``create`` for a missing one)."""
    changes: dict[str, list[str]] = {}
    for name, value in desired.items():
        have = current.get(name)
        if have is None:
            changes[name] = ["create"]
            continue
        fields = parameter_changes(
            have,
            {
                "value": value,
                "type": "String",
                "description": description,
                "tags": tags,
                "purge_tags": purge_tags,
            },
        )
        if fields:
            changes[name] = fields
    return changes


def published(p: Mapping[str, Any]) -> dict[str, str]:
    """The declared outputs as full parameter names -> values."""
    path = p["path"].rstrip("/")
    return {f"{path}/{key}": "" if value is None else str(value) for key, value in p["parameters"].items()}


def parameters_plan(current: Mapping[str, Mapping[str, Any]], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to publish the outputs under a path. ``current``: full name -> {Value, Type,
    Description, Tags} of the declared names that exist. An empty value is an output an earlier
    task would make (check mode); outside check mode SSM cannot store it."""
    desired, path = published(p), p["path"].rstrip("/")
    tags = {k: str(v) for k, v in p["tags"].items()}
    result = {"parameters": desired}
    empty = sorted(name for name, value in desired.items() if not value)
    if empty and not check_mode:
        raise ReconcileError(f"empty value for {', '.join(empty)}: SSM parameters cannot be empty", **result)
    changes = parameters_changes(current, desired, p["description"], tags, p["purge_tags"])

    def view(param: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "value": param["Value"],
            "description": param.get("Description", ""),
            "tags": param.get("Tags", {}),
        }

    before = {name: view(current[name]) for name in changes if name in current}
    after = {}
    steps = {}
    for name, fields in changes.items():
        tag_steps = tag_plan(current.get(name, {}).get("Tags", {}), tags, p["purge_tags"])
        after[name] = {"value": desired[name], "description": p["description"], "tags": tag_steps["after"]}
        steps[name] = {
            "put": bool({"create", "value", "type", "description"} & set(fields)),
            "tags": tag_steps,
        }
        steps[name]["create"] = "create" in fields
    listed = [f"{name.removeprefix(path + '/')} {f}" for name, fields in changes.items() for f in fields]
    return Plan(listed, before, after, result, steps)


def outputs_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """The published outputs a role reads, and the account (vf_outputs_info; never a change).
    ``current``: ``account_id`` and ``parameters`` (full name -> value of the names found).
    A missing output fails, except in check mode, where an earlier role would publish it: it
    is then an empty string, and listed in ``missing``."""
    path = p["path"].rstrip("/")
    found = {name.removeprefix(path + "/"): value for name, value in current["parameters"].items()}
    missing = [key for key in p["names"] if key not in found]
    if missing and not check_mode:
        raise ReconcileError(
            f"not published under {path}: {', '.join(missing)} (run the roles that publish them first)",
            missing=missing,
        )
    outputs = {key: found.get(key, "") for key in p["names"]}
    return Plan(result={"account_id": current["account_id"], "outputs": outputs, "missing": missing})
