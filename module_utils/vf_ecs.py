"""Pure comparison functions for ECS task definitions and services (no AWS calls here).

A task definition is compared the way ECS stores it: ``describe_task_definition`` fills
defaults the caller never wrote (``essential: true``, ``cpu: 0``, empty ``mountPoints``,
``volumesFrom``, ``hostPort`` equal to ``containerPort`` on awsvpc, ``protocol: tcp``...)
and keeps list order as registered. Both sides are normalized the same way before they
are compared, so a re-run registers nothing and any real change registers one revision.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Plan, tag_plan

# Container fields whose value is a list of {"name": ..., ...} where order means nothing.
_NAMED_LISTS = ("environment", "secrets", "systemControls", "ulimits", "environmentFiles")
# Task-level fields the comparison looks at (what register_task_definition takes).
TASK_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)
CONTAINER_HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}
# What Fargate runs a task definition on when its runtimePlatform leaves a field out.
FARGATE_RUNTIME_PLATFORM = {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}


def strip_empty(value: Any) -> Any:
    """Drop None, empty lists and empty dicts at every level (ECS returns ``[]`` for unset lists)."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            v = strip_empty(v)
            if v is None or v == [] or v == {}:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [strip_empty(v) for v in value]
    return value


def normalize_container(container: Mapping[str, Any], network_mode: str) -> dict[str, Any]:
    """One container definition with ECS's defaults filled in and order-free lists sorted."""
    c = strip_empty(copy.deepcopy(dict(container)))
    c.setdefault("essential", True)
    if not c.get("cpu"):
        c.pop("cpu", None)  # ECS returns cpu 0 for "not set"
    for key in ("memory", "memoryReservation", "cpu"):
        if key in c:
            c[key] = int(c[key])
    mappings = []
    for pm in c.get("portMappings", []):
        pm = dict(pm)
        pm["containerPort"] = int(pm["containerPort"])
        pm.setdefault("protocol", "tcp")
        if network_mode == "awsvpc" or "hostPort" in pm:
            pm["hostPort"] = int(pm.get("hostPort", pm["containerPort"]))
        mappings.append(pm)
    if mappings:
        c["portMappings"] = sorted(mappings, key=lambda m: (m["containerPort"], m["protocol"]))
    for key in _NAMED_LISTS:
        if key in c:
            items = [{k: str(v) if k == "value" else v for k, v in i.items()} for i in c[key]]
            c[key] = sorted(items, key=lambda i: str(i.get("name", i.get("value", ""))))
    if "healthCheck" in c:
        hc = {**CONTAINER_HEALTH_CHECK_DEFAULTS, **c["healthCheck"]}
        c["healthCheck"] = {k: int(v) if k != "command" else list(v) for k, v in hc.items()}
    log = c.get("logConfiguration")
    if log and "options" in log:
        log["options"] = {k: str(v) for k, v in log["options"].items()}
    return c


def normalize_task_definition(td: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable part of a task definition (declared or as describe returned it)."""
    network_mode = td.get("networkMode") or "bridge"
    out: dict[str, Any] = {
        k: copy.deepcopy(td[k]) for k in TASK_FIELDS if td.get(k) not in (None, "", [], {})
    }
    out["networkMode"] = network_mode
    for key in ("cpu", "memory"):
        if key in out:
            out[key] = str(out[key])
    if "requiresCompatibilities" in out:
        out["requiresCompatibilities"] = sorted(out["requiresCompatibilities"])
    platform = runtime_platform(td)
    if platform:
        out["runtimePlatform"] = platform
    out["containerDefinitions"] = sorted(
        (normalize_container(c, network_mode) for c in td.get("containerDefinitions", [])),
        key=lambda c: c["name"],
    )
    return strip_empty(out)


def runtime_platform(td: Mapping[str, Any]) -> dict[str, str] | None:
    """The platform the tasks run on, as ECS names it: a Fargate task definition without one (or
    without a field of it) runs on Fargate's default, so saying so is no change; values upper case."""
    declared = {k: v for k, v in (td.get("runtimePlatform") or {}).items() if v}
    if not declared and "FARGATE" not in (td.get("requiresCompatibilities") or []):
        return None  # an EC2 task definition without one places on any instance
    return {k: str(v).upper() for k, v in {**FARGATE_RUNTIME_PLATFORM, **declared}.items()}


def task_definition_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """Dotted paths of what differs; ``["create"]`` when there is no active revision."""
    if current is None:
        return ["create"]
    before = normalize_task_definition(current)
    after = normalize_task_definition(desired)
    changes: list[str] = []
    for key in sorted(set(before) | set(after)):
        if key == "containerDefinitions":
            continue
        if before.get(key) != after.get(key):
            changes.append(key)
    b_containers = {c["name"]: c for c in before["containerDefinitions"]}
    a_containers = {c["name"]: c for c in after["containerDefinitions"]}
    for name in sorted(set(b_containers) | set(a_containers)):
        b, a = b_containers.get(name), a_containers.get(name)
        if b is None or a is None:
            changes.append(f"containerDefinitions.{name}")
            continue
        for field in sorted(set(b) | set(a)):
            if b.get(field) != a.get(field):
                changes.append(f"containerDefinitions.{name}.{field}")
    return changes


def family_revisions_to_deregister(arns: list[str], family: str, keep: int) -> list[str]:
    """ARNs of ``family``'s revisions beyond the ``keep`` newest (``familyPrefix`` also matches
    longer family names, so the family is checked exactly)."""
    mine = []
    for arn in arns:
        fam, _, rev = arn.rsplit("/", 1)[-1].rpartition(":")
        if fam == family and rev.isdigit():
            mine.append((int(rev), arn))
    mine.sort(reverse=True)
    return [arn for _, arn in mine[max(keep, 0) :]]


# --- the plan of a vf_ecs_task_definitions item ----------------------------------------------

# A family's options (one item of vf_ecs_task_definitions).
TASK_DEFINITION_OPTIONS = {
    "family": {"type": "str", "required": True},
    "container_definitions": {"type": "list", "elements": "dict"},
    "cpu": {"type": "str"},
    "memory": {"type": "str"},
    "network_mode": {"type": "str", "default": "awsvpc", "choices": ["awsvpc", "bridge", "host", "none"]},
    "requires_compatibilities": {"type": "list", "elements": "str", "default": ["FARGATE"]},
    "execution_role_arn": {"type": "str"},
    "task_role_arn": {"type": "str"},
    "runtime_platform": {"type": "dict"},
    "keep_revisions": {"type": "int", "default": 5},
}


def declared_task_definition(p: Mapping[str, Any]) -> dict[str, Any]:
    """The module's options as a register_task_definition request (unset fields left out)."""
    desired = {
        "family": p["family"],
        "containerDefinitions": p["container_definitions"],
        "networkMode": p["network_mode"],
        "requiresCompatibilities": p["requires_compatibilities"],
        "cpu": p["cpu"],
        "memory": p["memory"],
        "executionRoleArn": p["execution_role_arn"],
        "taskRoleArn": p["task_role_arn"],
        "runtimePlatform": p["runtime_platform"],
    }
    return {k: v for k, v in desired.items() if v not in (None, [], {})}


def task_definition_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to a family. ``current``: ``latest`` (the ACTIVE revision describe returns, or
    None), its ``tags`` and ``active`` (the family's ACTIVE revision ARNs). A re-run registers
    nothing; any real change registers exactly one revision; revisions beyond
    I(keep_revisions) are deregistered."""
    family, latest = p["family"], current["latest"]
    result = {"family": family, "registered": False, "deregistered": []}
    if p["state"] == "absent":
        doomed = family_revisions_to_deregister(current["active"], family, 0)
        if not doomed:
            return Plan(result=result)
        before, after = {"active_revisions": doomed}, {"active_revisions": []}
        return Plan(["delete"], before, after, {**result, "deregistered": doomed}, {"deregister": doomed})
    desired = declared_task_definition(p)
    register = task_definition_changes(latest, desired)
    # Computed before registering: a new revision counts as one of the kept ones.
    keep = max(p["keep_revisions"], 1) - (1 if register else 0)
    stale = family_revisions_to_deregister(current["active"], family, keep)
    tags = tag_plan(current["tags"], p["tags"], p["purge_tags"])
    changes = register + (["tags"] if latest is not None and (tags["set"] or tags["remove"]) else [])
    changes += [f"deregister {arn.rsplit('/', 1)[-1]}" for arn in stale]
    result.update(
        registered=bool(register),
        deregistered=stale,
        arn=(latest or {}).get("taskDefinitionArn"),
        revision=(latest or {}).get("revision", 0),
    )
    if register:
        result["revision"] = result["revision"] + 1 if latest else None
        before, after = (
            (normalize_task_definition(latest) if latest else {}),
            normalize_task_definition(desired),
        )
    else:
        before = {"tags": current["tags"], "active_revisions": sorted(current["active"])}
        after = {"tags": tags["after"], "active_revisions": sorted(set(current["active"]) - set(stale))}
    steps = {"register": normalize_task_definition(desired) if register else None, "tags": tags}
    steps.update(deregister=stale, arn=result["arn"])
    return Plan(changes, before, after, result, steps)
