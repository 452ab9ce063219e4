"""The ECS read and apply steps of vf_ecs_cluster, vf_ecs_task_definitions and
vf_ecs_services (what they compare is pure, in vf_ecs and vf_ecs_services)."""

from __future__ import annotations

import uuid
from typing import Any

from ansible.module_utils.vf_aws import ROLE_NOT_YET, Aws, AwsError, apply_tags, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_ecs_services import deployment_state, rollout_outcome
from ansible.module_utils.vf_module import Plan, ReconcileError

# --- task definitions ------------------------------------------------------------------------


def read_task_definition(aws: Aws, p: dict) -> dict[str, Any]:
    """The family's latest ACTIVE revision with its tags, and the ARNs of its ACTIVE revisions."""
    ecs = aws("ecs")
    latest, tags = None, {}
    try:
        resp = ecs.call("describe_task_definition", taskDefinition=p["family"], include=["TAGS"])
        if resp["taskDefinition"].get("status") == "ACTIVE":
            latest, tags = resp["taskDefinition"], tags_to_dict(resp.get("tags"), "key", "value")
    except AwsError as err:
        # ECS answers ClientException "Unable to describe task definition" for an unknown family.
        if err.code not in ("ClientException", "InvalidParameterException"):
            raise
    active = ecs.paginate(
        "list_task_definitions", "taskDefinitionArns", familyPrefix=p["family"], status="ACTIVE", sort="DESC"
    )
    return {"latest": latest, "tags": tags, "active": active}


def apply_task_definition(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Register the new revision (or retag the latest), then deregister the stale ones."""
    ecs, steps, out = aws("ecs"), plan.steps, {}
    if steps.get("register") is not None:
        extra = {"tags": dict_to_tags(p["tags"], "key", "value")} if p["tags"] else {}
        registered = ecs.call("register_task_definition", not_yet=ROLE_NOT_YET, **steps["register"], **extra)[
            "taskDefinition"
        ]
        out = {"arn": registered["taskDefinitionArn"], "revision": registered["revision"]}
    elif steps.get("arn"):
        apply_tags(ecs, "ecs", steps["arn"], steps["tags"]["set"], steps["tags"]["remove"])
    for arn in steps["deregister"]:
        ecs.call("deregister_task_definition", taskDefinition=arn)
    return out


# --- services ------------------------------------------------------------------------------


def describe_service(ecs, cluster: str, name: str) -> dict[str, Any] | None:
    """describe_services' entry for a live (not INACTIVE) service, or None (also when the cluster
    does not exist: a teardown or a ``--check`` before the compute was ever deployed)."""
    try:
        resp = ecs.call("describe_services", cluster=cluster, services=[name], include=["TAGS"])
    except AwsError as err:
        if err.code != "ClusterNotFoundException":
            raise
        return None
    return next((s for s in resp.get("services", []) if s.get("status") != "INACTIVE"), None)


def read_service(aws: Aws, p: dict) -> dict[str, Any]:
    """The service, what its task definition reference resolves to, and whether a scalable
    target owns its desired count."""
    ecs = aws("ecs")
    service = describe_service(ecs, p["cluster"], p["name"])
    found = {"service": service, "task_definition_arn": None, "scaled": False}
    if p["state"] == "absent":
        return found
    try:
        td = ecs.call("describe_task_definition", taskDefinition=p["task_definition"])["taskDefinition"]
        found["task_definition_arn"] = td["taskDefinitionArn"]
    except AwsError as err:
        if err.code not in ("ClientException", "InvalidParameterException"):
            raise
    if service is not None and p["desired_count_managed_by_autoscaling"] == "auto":
        targets = aws("application-autoscaling").paginate(
            "describe_scalable_targets",
            "ScalableTargets",
            ServiceNamespace="ecs",
            ResourceIds=[f"service/{p['cluster'].rsplit('/', 1)[-1]}/{p['name']}"],
            ScalableDimension="ecs:service:DesiredCount",
        )
        found["scaled"] = bool(targets)
    return found


def apply_service(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Delete, create or update the service, then (with I(wait)) wait for a steady rollout."""
    ecs, steps, cluster, name = aws("ecs"), plan.steps, p["cluster"], p["name"]
    if steps.get("delete"):
        delete_service(ecs, p, steps["running"])
        return {}
    service = None
    if steps["create"]:
        tags = {"tags": dict_to_tags(p["tags"], "key", "value")} if p["tags"] else {}
        # The client token makes a create retried after a timeout return the first service.
        service = ecs.call(
            "create_service",
            cluster=cluster,
            serviceName=name,
            launchType=p["launch_type"],
            schedulingStrategy="REPLICA",
            clientToken=str(uuid.uuid4()),
            not_yet=ROLE_NOT_YET,
            **steps["request"],
            **tags,
        )["service"]
    elif steps["update"]:
        update = {"cluster": cluster, "service": name, **steps["request"]}
        service = ecs.call("update_service", not_yet=ROLE_NOT_YET, **update)["service"]
    if not steps["create"]:
        apply_tags(ecs, "ecs", plan.result["arn"], steps["tags"]["set"], steps["tags"]["remove"])
    if p["wait"] and steps["update"]:
        service = wait_steady(ecs, cluster, name, p["wait_timeout"], steps["request"]["taskDefinition"])
    if service is None:
        return {}
    return {
        "arn": service["serviceArn"],
        "desired_count": service.get("desiredCount"),
        "deployment_state": deployment_state(service),
    }


def delete_service(ecs, p: dict, running: bool) -> None:
    """Scale to zero, delete, and (with I(wait)) wait until the service is gone."""
    cluster, name = p["cluster"], p["name"]
    if running:
        ecs.call("update_service", cluster=cluster, service=name, desiredCount=0)
    ecs.call("delete_service", cluster=cluster, service=name, force=True)
    if p["wait"]:
        ecs.wait_until(
            lambda: describe_service(ecs, cluster, name),
            lambda s: s is None,
            p["wait_timeout"],
            f"service {name} to be deleted",
            interval=5,
        )


def wait_steady(ecs, cluster: str, name: str, timeout: int, wanted: str) -> dict[str, Any]:
    """Wait until the rollout of ``wanted`` ends; a failed or rolled-back one fails the task
    naming the revision that runs and why."""
    service = ecs.wait_until(
        lambda: describe_service(ecs, cluster, name) or {},
        lambda s: rollout_outcome(s, wanted)[0] != "in_progress",
        timeout,
        f"service {name} to reach a steady deployment",
        interval=10,
    )
    outcome, why = rollout_outcome(service, wanted)
    if outcome == "failed":
        raise ReconcileError(why, deployment_state="failed", arn=service.get("serviceArn"))
    return service


def read_cluster(aws, p: dict) -> dict | None:
    """The ACTIVE cluster of that name with its tags and settings, or None."""
    resp = aws("ecs").call("describe_clusters", clusters=[p["name"]], include=["TAGS", "SETTINGS"])
    return next((c for c in resp.get("clusters", []) if c.get("status") == "ACTIVE"), None)


def apply_cluster(aws, plan, p: dict) -> dict:
    """Create, or update the cluster's settings, capacity providers and tags."""
    ecs, name, changes = aws("ecs"), p["name"], plan.changes
    settings = [{"name": "containerInsights", "value": p["container_insights"]}]
    if "create" in changes:
        req = {"clusterName": name, "settings": settings}
        if p["capacity_providers"]:
            req["capacityProviders"] = p["capacity_providers"]
        if p["tags"]:
            req["tags"] = dict_to_tags(p["tags"], "key", "value")
        return {"arn": ecs.call("create_cluster", **req)["cluster"]["clusterArn"]}
    if "container_insights" in changes:
        ecs.call("update_cluster_settings", cluster=name, settings=settings)
    if "capacity_providers" in changes:
        ecs.call(
            "put_cluster_capacity_providers",
            cluster=name,
            capacityProviders=p["capacity_providers"],
            defaultCapacityProviderStrategy=[],
        )
    tags = plan.steps["tags"]
    apply_tags(ecs, "ecs", plan.result["arn"], tags["set"], tags["remove"])
    return {}
