"""The Auto Scaling read and apply steps (what they compare is pure, in vf_autoscaling): EC2 Auto
Scaling's groups (vf_autoscaling_group) and their policies (vf_scaling_policies),
and Application Auto Scaling's scalable targets with their target tracking policies
(vf_app_autoscalings)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.vf_autoscaling import REFRESH_DONE, REFRESH_RUNNING
from ansible.module_utils.vf_aws import ROLE_NOT_YET, Aws, AwsError
from ansible.module_utils.vf_module import Plan, ReconcileError

# A group scaling policy's options (vf_scaling_policies' group and an item).
SCALING_POLICY_OPTIONS = {
    "name": {"type": "str", "required": True},
    "group": {"type": "str", "required": True},
    "policy_type": {
        "type": "str",
        "choices": ["TargetTrackingScaling", "SimpleScaling"],
        "default": "TargetTrackingScaling",
    },
    "target_value": {"type": "float"},
    "predefined_metric": {"type": "str"},
    "metrics": {"type": "list", "elements": "dict"},
    "estimated_instance_warmup": {"type": "int"},
    "disable_scale_in": {"type": "bool", "default": False},
    "adjustment_type": {"type": "str", "default": "ChangeInCapacity"},
    "scaling_adjustment": {"type": "int"},
    "cooldown": {"type": "int"},
}


def read_scaling_policy(aws: Aws, p: dict) -> dict[str, Any] | None:
    """The group's policy of that name, or None."""
    asg = aws("autoscaling")
    named = {"AutoScalingGroupName": p["group"], "PolicyNames": [p["name"]]}
    policies = asg.paginate("describe_policies", "ScalingPolicies", **named)
    # moto gives every policy of a group the same id in its ARN: match by name, never by ARN.
    return next((x for x in policies if x["PolicyName"] == p["name"]), None)


def apply_scaling_policy(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Put the policy, then read back its ARN (moto's put answers none)."""
    asg = aws("autoscaling")
    asg.call("put_scaling_policy", **plan.steps["put"])
    return {"arn": (read_scaling_policy(aws, p) or {}).get("PolicyARN")}


# --- Application Auto Scaling: a scalable target and its target tracking policies ----------

APP_POLICY_OPTIONS = {
    "name": {"type": "str", "required": True},
    "metric": {"type": "str", "required": True},
    "target": {"type": "float", "required": True},
    "resource_label": {"type": "str"},
    "scale_in_cooldown": {"type": "int", "default": 300},
    "scale_out_cooldown": {"type": "int", "default": 60},
    "disable_scale_in": {"type": "bool", "default": False},
}
# A scalable target's options (one item of vf_app_autoscalings).
APP_AUTOSCALING_OPTIONS = {
    "service_namespace": {"type": "str", "default": "ecs"},
    "resource_id": {"type": "str", "required": True},
    "scalable_dimension": {"type": "str", "default": "ecs:service:DesiredCount"},
    "min_capacity": {"type": "int"},
    "max_capacity": {"type": "int"},
    "policies": {"type": "list", "elements": "dict", "default": [], "options": APP_POLICY_OPTIONS},
    "purge_policies": {"type": "bool", "default": True},
}


def scalable_target(p: dict) -> dict:
    """The arguments that name the scalable target."""
    return {
        "ServiceNamespace": p["service_namespace"],
        "ResourceId": p["resource_id"],
        "ScalableDimension": p["scalable_dimension"],
    }


def read_app_autoscaling(aws: Aws, p: dict) -> dict[str, Any]:
    """The scalable target and its scaling policies."""
    aas = aws("application-autoscaling")
    ident = scalable_target(p)
    found = aas.paginate(
        "describe_scalable_targets",
        "ScalableTargets",
        ServiceNamespace=ident["ServiceNamespace"],
        ResourceIds=[ident["ResourceId"]],
        ScalableDimension=ident["ScalableDimension"],
    )
    policies = aas.paginate("describe_scaling_policies", "ScalingPolicies", **ident) if found else []
    return {"target": found[0] if found else None, "policies": policies}


def apply_app_autoscaling(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Deregister (policies first), or register the target, put and delete policies."""
    aas, steps, ident = aws("application-autoscaling"), plan.steps, scalable_target(p)
    if steps.get("delete"):
        for name in steps["policies"]:
            aas.call("delete_scaling_policy", PolicyName=name, **ident)
        aas.call("deregister_scalable_target", **ident)
        return {}
    if steps["register"]:
        aas.call(
            "register_scalable_target", MinCapacity=p["min_capacity"], MaxCapacity=p["max_capacity"], **ident
        )
    arns = dict(plan.result["policy_arns"])
    for name, configuration in steps["put"].items():
        resp = aas.call(
            "put_scaling_policy",
            PolicyName=name,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=configuration,
            **ident,
        )
        arns[name] = resp.get("PolicyARN")
    for name in steps["delete_policies"]:
        aas.call("delete_scaling_policy", PolicyName=name, **ident)
        arns.pop(name, None)
    return {"policy_arns": arns}


# What an endpoint without instance refresh answers (an HTML error page, or no such action).
NOT_THE_API = frozenset({"ResponseParserError", "InvalidAction", "NotImplemented"})


def describe_group(asg, name: str) -> dict | None:
    """describe_auto_scaling_groups' entry (not one being deleted), or None."""
    groups = asg.paginate("describe_auto_scaling_groups", "AutoScalingGroups", AutoScalingGroupNames=[name])
    return next((g for g in groups if g.get("Status") != "Delete in progress"), None)


def read_group(aws, p: dict) -> dict:
    """The group, and its instance refreshes (newest first) when it has instances to roll."""
    asg = aws("autoscaling")
    group = describe_group(asg, p["name"])
    found = {"group": group, "refreshes": [], "refresh_supported": True}
    if group and group.get("Instances") and p["instance_refresh"] and p["state"] == "present":
        try:
            found["refreshes"] = asg.call(
                "describe_instance_refreshes", AutoScalingGroupName=p["name"], MaxRecords=1
            )["InstanceRefreshes"]
        except AwsError as err:
            if err.code not in NOT_THE_API:
                raise
            found["refresh_supported"] = False
    return found


def apply_group(aws, plan, p: dict) -> dict:
    """Delete, create, or update the group, its metrics and tags; a new template version rolls
    the instances (instance refresh)."""
    asg, name, changes = aws("autoscaling"), p["name"], plan.changes
    if plan.steps.get("delete"):
        asg.call("delete_auto_scaling_group", AutoScalingGroupName=name, ForceDelete=True)
        asg.wait_until(
            lambda: describe_group(asg, name),
            lambda g: g is None,
            p["wait_timeout"],
            f"Auto Scaling Group {name} to be deleted",
            interval=5,
        )
        return {}
    request = plan.steps["request"]
    if "create" in changes:
        tags = [{"Key": k, "Value": str(v), "PropagateAtLaunch": True} for k, v in sorted(p["tags"].items())]
        asg.call("create_auto_scaling_group", not_yet=ROLE_NOT_YET, **request, Tags=tags)
    elif set(changes) - {"tags", "metrics"}:
        asg.call("update_auto_scaling_group", not_yet=ROLE_NOT_YET, **request)
    if plan.steps["stale_metrics"] and "metrics" in changes:
        asg.call("disable_metrics_collection", AutoScalingGroupName=name, Metrics=plan.steps["stale_metrics"])
    if p["metrics"] and ("metrics" in changes or "create" in changes):
        asg.call(
            "enable_metrics_collection",
            AutoScalingGroupName=name,
            Metrics=p["metrics"],
            Granularity="1Minute",
        )
    if "tags" in changes:
        apply_group_tags(asg, name, p["tags"], plan.steps["tag"], plan.steps["untag"])
    out = {}
    if plan.steps["refresh"]:
        out["instance_refresh"] = roll_group(asg, plan.steps["refresh"], p)
    fresh = describe_group(asg, name)
    return {**out, "arn": fresh["AutoScalingGroupARN"], "desired_capacity": fresh["DesiredCapacity"]}


def apply_group_tags(asg, name: str, tags: dict, to_set: list, to_delete: list) -> None:
    """Set and delete group tags; every declared tag propagates to the instances."""
    ident = {"ResourceId": name, "ResourceType": "auto-scaling-group"}
    if to_delete:
        asg.call("delete_tags", Tags=[{**ident, "Key": k} for k in to_delete])
    if to_set:
        tagged = [{**ident, "Key": k, "Value": str(tags[k]), "PropagateAtLaunch": True} for k in to_set]
        asg.call("create_or_update_tags", Tags=tagged)


def roll_group(asg, request: dict, p: dict) -> dict:
    """Start the instance refresh (or follow the one already running) and, with
    I(instance_refresh_wait), poll it: anything but Successful fails the task with its reason."""
    name = p["name"]
    try:
        refresh_id = asg.call("start_instance_refresh", **request)["InstanceRefreshId"]
    except AwsError as err:
        if err.code != "InstanceRefreshInProgress":
            raise ReconcileError(
                f"the instance refresh of {name} did not start: {err.code}: {err.message}"
            ) from err
        running = asg.call("describe_instance_refreshes", AutoScalingGroupName=name, MaxRecords=1)[
            "InstanceRefreshes"
        ]
        refresh_id = running[0]["InstanceRefreshId"]
    if not p["instance_refresh_wait"]:
        return {"id": refresh_id, "status": "Pending"}
    ended = asg.wait_until(
        lambda: asg.call(
            "describe_instance_refreshes", AutoScalingGroupName=name, InstanceRefreshIds=[refresh_id]
        )["InstanceRefreshes"][0],
        lambda r: r["Status"] not in REFRESH_RUNNING,
        p["instance_refresh_timeout"],
        f"the instance refresh {refresh_id} of {name}",
        interval=15,
    )
    outcome = {"id": refresh_id, "status": ended["Status"]}
    if ended["Status"] != REFRESH_DONE:
        reason = ended.get("StatusReason") or "no reason given"
        raise ReconcileError(
            f"the instance refresh of {name} ended {ended['Status']}: {reason}", instance_refresh=outcome
        )
    return outcome
