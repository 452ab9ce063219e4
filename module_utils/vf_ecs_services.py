"""Pure functions for ECS clusters and services: what differs, how a rollout ended, the plans.

describe_services drops nothing on AWS, but the emulator drops ``deploymentConfiguration``,
``healthCheckGracePeriodSeconds`` and ``enableExecuteCommand``: a field missing from the
response is unknown, not different.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import tag_changes, tags_to_dict
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion, tag_plan


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


# --- the plan of a vf_ecs_services item ---------------------------------------------------

# A service's options (one item of vf_ecs_services, with the cluster).
SERVICE_OPTIONS = {
    "name": {"type": "str", "required": True},
    "cluster": {"type": "str", "required": True},
    "task_definition": {"type": "str"},
    "desired_count": {"type": "int", "default": 1},
    "desired_count_managed_by_autoscaling": {
        "type": "str",
        "choices": ["auto", "true", "false"],
        "default": "auto",
    },
    "launch_type": {"type": "str", "default": "FARGATE"},
    "platform_version": {"type": "str"},
    "subnets": {"type": "list", "elements": "str", "default": []},
    "security_groups": {"type": "list", "elements": "str", "default": []},
    "assign_public_ip": {"type": "bool", "default": False},
    "load_balancers": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "target_group_arn": {"type": "str", "required": True},
            "container_name": {"type": "str", "required": True},
            "container_port": {"type": "int", "required": True},
        },
    },
    "service_registries": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "registry_arn": {"type": "str", "required": True},
            "container_name": {"type": "str"},
            "container_port": {"type": "int"},
        },
    },
    "minimum_healthy_percent": {"type": "int", "default": 100},
    "maximum_percent": {"type": "int", "default": 200},
    "circuit_breaker": {"type": "bool", "default": True},
    "rollback": {"type": "bool", "default": True},
    "health_check_grace_period": {"type": "int"},
    "enable_execute_command": {"type": "bool", "default": False},
    "propagate_tags": {
        "type": "str",
        "choices": ["SERVICE", "TASK_DEFINITION", "NONE"],
        "default": "SERVICE",
    },
    "force_new_deployment": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 900},
}


def desired_request(p: Mapping[str, Any], task_definition_arn: str) -> dict[str, Any]:
    """The declared service as create_service / update_service arguments."""
    req: dict[str, Any] = {
        "taskDefinition": task_definition_arn,
        "desiredCount": p["desired_count"],
        "deploymentConfiguration": {
            "maximumPercent": p["maximum_percent"],
            "minimumHealthyPercent": p["minimum_healthy_percent"],
            "deploymentCircuitBreaker": {"enable": p["circuit_breaker"], "rollback": p["rollback"]},
        },
        "loadBalancers": [
            {
                "targetGroupArn": b["target_group_arn"],
                "containerName": b["container_name"],
                "containerPort": b["container_port"],
            }
            for b in p["load_balancers"]
        ],
        "serviceRegistries": [
            {
                k: v
                for k, v in (
                    ("registryArn", r["registry_arn"]),
                    ("containerName", r.get("container_name")),
                    ("containerPort", r.get("container_port")),
                )
                if v is not None
            }
            for r in p["service_registries"]
        ],
        "enableExecuteCommand": p["enable_execute_command"],
        "propagateTags": p["propagate_tags"],
    }
    if p["subnets"]:
        public_ip = "ENABLED" if p["assign_public_ip"] else "DISABLED"
        vpc = {"subnets": p["subnets"], "securityGroups": p["security_groups"], "assignPublicIp": public_ip}
        req["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    if p["health_check_grace_period"] is not None:
        req["healthCheckGracePeriodSeconds"] = p["health_check_grace_period"]
    if p["platform_version"]:
        req["platformVersion"] = p["platform_version"]
    return req


def service_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one service. ``current``: ``service`` (describe_services' live entry or
    None), ``task_definition_arn`` (what I(task_definition) resolves to, None when it does not
    exist) and ``scaled`` (an Application Auto Scaling target owns the desired count)."""
    name, service = p["name"], current["service"]
    if p["state"] == "absent":
        result = {"name": name, "arn": (service or {}).get("serviceArn")}
        return deletion(
            result,
            service_summary(service) if service else None,
            running=bool((service or {}).get("desiredCount")),
        )
    td_arn = current["task_definition_arn"]
    if td_arn is None:
        if not check_mode:
            raise ReconcileError(f"service {name}: task definition {p['task_definition']} does not exist")
        td_arn = p["task_definition"]  # check mode before the family's first revision: nothing to resolve yet
    managed = {"auto": current["scaled"], "true": service is not None, "false": False}[
        p["desired_count_managed_by_autoscaling"]
    ]
    desired = desired_request(p, td_arn)
    changes = service_changes(service, desired, manage_desired_count=not managed)
    tags = tag_plan(tags_to_dict((service or {}).get("tags"), "key", "value"), p["tags"], p["purge_tags"])
    if service is not None and (tags["set"] or tags["remove"]):
        changes.append("tags")
    if service is not None and p["force_new_deployment"]:
        changes.append("forceNewDeployment")
    after = {**(service or {}), **{k: v for k, v in desired.items() if not (k == "desiredCount" and managed)}}
    result = {
        "name": name,
        "desired_count_managed_by_autoscaling": managed,
        "arn": (service or {}).get("serviceArn"),
        "task_definition": td_arn,
        "desired_count": after.get("desiredCount"),
        "deployment_state": deployment_state(service) if service else "in_progress",
    }
    request = dict(desired)
    if "create" not in changes:
        request = {k: v for k, v in desired.items() if k != "propagateTags" or "propagateTags" in changes}
        if managed:
            request.pop("desiredCount")
        if p["force_new_deployment"]:
            request["forceNewDeployment"] = True
    steps = {
        "create": "create" in changes,
        "request": request,
        "tags": tags,
        "update": bool(set(changes) - {"tags"}),
    }
    return Plan(changes, service_summary(service), service_summary(after), result, steps)


# --- the plan of vf_ecs_cluster ------------------------------------------------------------


def cluster_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs between describe_clusters' entry (with TAGS, SETTINGS) and the declared cluster."""
    if current is None:
        return ["create"]
    changes = []
    settings = {s["name"]: s["value"] for s in current.get("settings") or []}
    # AWS always returns the containerInsights setting; when absent, it is the account default.
    if settings.get("containerInsights", "disabled") != desired["container_insights"]:
        changes.append("container_insights")
    if desired["capacity_providers"] and sorted(current.get("capacityProviders") or []) != sorted(
        desired["capacity_providers"]
    ):
        changes.append("capacity_providers")
    to_set, to_remove = tag_changes(
        tags_to_dict(current.get("tags"), "key", "value"), desired["tags"], desired["purge_tags"]
    )
    if to_set or to_remove:
        changes.append("tags")
    return changes


def cluster_summary(cluster: Mapping[str, Any] | None) -> dict[str, Any]:
    """A described cluster as ``--diff`` shows it."""
    if not cluster:
        return {}
    settings = {s["name"]: s["value"] for s in cluster.get("settings") or []}
    return {
        "container_insights": settings.get("containerInsights"),
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "tags": tags_to_dict(cluster.get("tags"), "key", "value"),
    }


def cluster_plan(cluster: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one cluster (``cluster``: describe_clusters' ACTIVE entry or None)."""
    result = {"name": p["name"], "arn": (cluster or {}).get("clusterArn")}
    if p["state"] == "absent":
        delete = Call("ecs", "delete_cluster", {"cluster": p["name"]})
        return deletion(result, cluster_summary(cluster) if cluster else None, delete)
    changes = cluster_changes(cluster, p)
    after = {
        "container_insights": p["container_insights"],
        "capacity_providers": sorted(p["capacity_providers"]),
        "tags": dict(p["tags"]),
    }
    tags = tag_plan(tags_to_dict((cluster or {}).get("tags"), "key", "value"), p["tags"], p["purge_tags"])
    return Plan(changes, cluster_summary(cluster), after, result, {"tags": tags})


# --- how a rollout ended ---------------------------------------------------------------------


def _revision(arn: str | None) -> str:
    return (arn or "").rsplit("/", 1)[-1]


def rollout_outcome(service: Mapping[str, Any], wanted: str) -> tuple[str, str]:
    """(``steady`` | ``in_progress`` | ``failed``, why) of a rollout of task definition ``wanted``.

    A rollout failed when a deployment of ``wanted`` is FAILED, when the PRIMARY deployment is
    FAILED, or when the PRIMARY deployment runs another revision: the deployment circuit
    breaker rolled the service back to the last completed one (AWS then reports that one as
    COMPLETED and the service as steady, on the old revision).
    """
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return "in_progress", ""
    failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
    rolled_back = primary.get("taskDefinition") not in (None, wanted)
    if not (failed or rolled_back):
        return deployment_state(service), ""
    reason = next((d["rolloutStateReason"] for d in failed if d.get("rolloutStateReason")), "")
    events = [e.get("message", "") for e in service.get("events") or []]
    reason = reason or next(
        (m for m in events if "deployment failed" in m or "rolling back" in m), "rollout failed"
    )
    running = _revision(primary.get("taskDefinition"))
    name = service.get("serviceName", "")
    if rolled_back:
        why = (
            f"the rollout of {_revision(wanted)} failed and was rolled back: {running} is running ({reason})"
        )
    else:
        why = f"the rollout of {_revision(wanted)} failed ({reason}); {running} is the primary deployment"
    return "failed", f"service {name}: {why}"
