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
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}


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
        hc = {**HEALTH_CHECK_DEFAULTS, **c["healthCheck"]}
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
    out["containerDefinitions"] = sorted(
        (normalize_container(c, network_mode) for c in td.get("containerDefinitions", [])),
        key=lambda c: c["name"],
    )
    return strip_empty(out)


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


# --- services ---------------------------------------------------------------------------


def _lb_key(lb: Mapping[str, Any]) -> tuple:
    return (
        lb.get("targetGroupArn") or "",
        lb.get("loadBalancerName") or "",
        lb.get("containerName") or "",
        int(lb.get("containerPort") or 0),
    )


def _registry_key(reg: Mapping[str, Any]) -> tuple:
    return (
        reg.get("registryArn") or "",
        reg.get("containerName") or "",
        int(reg.get("containerPort") or 0),
        int(reg.get("port") or 0),
    )


def _network(cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    vpc = (cfg or {}).get("awsvpcConfiguration") or {}
    return {
        "subnets": sorted(vpc.get("subnets") or []),
        "securityGroups": sorted(vpc.get("securityGroups") or []),
        "assignPublicIp": vpc.get("assignPublicIp") or "DISABLED",
    }


DEPLOYMENT_DEFAULTS = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}


def service_changes(
    current: Mapping[str, Any] | None, desired: Mapping[str, Any], manage_desired_count: bool
) -> list[str]:
    """What differs between describe_services' entry and the declared service.

    ``desired`` uses the CreateService/UpdateService request shape (camelCase) with
    ``taskDefinition`` as a full ARN. Fields AWS always returns for a Fargate service
    (``deploymentConfiguration``, ``healthCheckGracePeriodSeconds``, ``enableExecuteCommand``)
    are compared only when the response carries them: when one is missing (moto 5 drops
    them) its value is unknown, not "different", so a re-run does not report a change
    forever. Fields AWS may legitimately omit are compared against their documented default.
    """
    if current is None or current.get("status") in ("INACTIVE", "DRAINING"):
        return ["create"]
    changes: list[str] = []
    if current.get("taskDefinition") != desired["taskDefinition"]:
        changes.append("taskDefinition")
    if manage_desired_count and int(current.get("desiredCount", 0)) != int(desired.get("desiredCount", 0)):
        changes.append("desiredCount")
    if "networkConfiguration" in desired and _network(current.get("networkConfiguration")) != _network(
        desired["networkConfiguration"]
    ):
        changes.append("networkConfiguration")
    if sorted(map(_lb_key, current.get("loadBalancers") or [])) != sorted(
        map(_lb_key, desired.get("loadBalancers") or [])
    ):
        changes.append("loadBalancers")
    if sorted(map(_registry_key, current.get("serviceRegistries") or [])) != sorted(
        map(_registry_key, desired.get("serviceRegistries") or [])
    ):
        changes.append("serviceRegistries")
    if "deploymentConfiguration" in current and "deploymentConfiguration" in desired:
        cur = _deployment(current["deploymentConfiguration"])
        want = _deployment(desired["deploymentConfiguration"])
        if cur != want:
            changes.append("deploymentConfiguration")
    for key, default in (("healthCheckGracePeriodSeconds", 0), ("enableExecuteCommand", False)):
        if key in current and key in desired and (current[key] or default) != (desired[key] or default):
            changes.append(key)
    if desired.get("platformVersion") and current.get("platformVersion") not in (
        None,
        desired["platformVersion"],
    ):
        changes.append("platformVersion")
    if desired.get("propagateTags") and (current.get("propagateTags") or "NONE") != desired["propagateTags"]:
        changes.append("propagateTags")
    return changes


def _deployment(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = {**DEPLOYMENT_DEFAULTS, **{k: v for k, v in cfg.items() if v is not None}}
    breaker = {
        **DEPLOYMENT_DEFAULTS["deploymentCircuitBreaker"],
        **(out.get("deploymentCircuitBreaker") or {}),
    }
    return {
        "maximumPercent": int(out["maximumPercent"]),
        "minimumHealthyPercent": int(out["minimumHealthyPercent"]),
        "deploymentCircuitBreaker": {
            "enable": bool(breaker["enable"]),
            "rollback": bool(breaker["rollback"]),
        },
    }


def deployment_state(service: Mapping[str, Any]) -> str:
    """``steady``, ``failed`` or ``in_progress`` from a described service's deployments."""
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return "in_progress"
    if primary.get("rolloutState") == "FAILED":
        return "failed"
    steady = (
        len(deployments) == 1
        and primary.get("rolloutState", "COMPLETED") == "COMPLETED"
        and primary.get("runningCount") == primary.get("desiredCount")
    )
    return "steady" if steady else "in_progress"


def service_summary(service: Mapping[str, Any] | None) -> dict[str, Any]:
    """A described service as the diff and the result show it (snake_case)."""
    if not service:
        return {}
    return {
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount"),
        "running_count": service.get("runningCount"),
        "network_configuration": _network(service.get("networkConfiguration")),
        "load_balancers": [list(k) for k in sorted(map(_lb_key, service.get("loadBalancers") or []))],
        "service_registries": [
            list(k) for k in sorted(map(_registry_key, service.get("serviceRegistries") or []))
        ],
        "deployment_configuration": service.get("deploymentConfiguration"),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds"),
        "enable_execute_command": service.get("enableExecuteCommand"),
        "status": service.get("status"),
    }
