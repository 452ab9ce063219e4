"""Pure comparison functions for EC2 Auto Scaling, Application Auto Scaling and launch templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_cloudwatch import normalize_dimensions, normalize_metric_queries
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion


def normalize_target_tracking(cfg: Mapping[str, Any] | None, cooldown_default: int | None = None) -> dict:
    """A target tracking configuration (EC2 Auto Scaling or Application Auto Scaling shape).

    ``DisableScaleIn`` defaults to false; cooldowns, when the service has a default
    (``cooldown_default``), are filled with it; numbers compare as numbers.
    """
    cfg = dict(cfg or {})
    out: dict[str, Any] = {
        "TargetValue": float(cfg.get("TargetValue", 0)),
        "DisableScaleIn": bool(cfg.get("DisableScaleIn", False)),
    }
    predefined = cfg.get("PredefinedMetricSpecification")
    if predefined:
        out["Predefined"] = {
            "PredefinedMetricType": predefined["PredefinedMetricType"],
            "ResourceLabel": predefined.get("ResourceLabel") or "",
        }
    custom = cfg.get("CustomizedMetricSpecification")
    if custom:
        if custom.get("Metrics"):
            out["Customized"] = {"Metrics": normalize_metric_queries(custom["Metrics"])}
        else:
            out["Customized"] = {
                "Namespace": custom.get("Namespace"),
                "MetricName": custom.get("MetricName"),
                "Dimensions": normalize_dimensions(custom.get("Dimensions")),
                "Statistic": custom.get("Statistic"),
                "Unit": custom.get("Unit") or "",
            }
    for key in ("ScaleOutCooldown", "ScaleInCooldown"):
        value = cfg.get(key, cooldown_default)
        if value is not None:
            out[key] = int(value)
    return out


# --- Application Auto Scaling -------------------------------------------------------------

ECS_COOLDOWN_DEFAULT = 300


def scalable_target_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    if current is None:
        return ["create"]
    changes = []
    if int(current["MinCapacity"]) != int(desired["min_capacity"]):
        changes.append("min_capacity")
    if int(current["MaxCapacity"]) != int(desired["max_capacity"]):
        changes.append("max_capacity")
    return changes


def app_policy_changes(
    current: list[Mapping[str, Any]], desired: Mapping[str, Mapping[str, Any]], purge: bool
) -> tuple[list[str], list[str]]:
    """(policy names to put, policy names to delete). ``desired`` maps a name to its
    TargetTrackingScalingPolicyConfiguration; ``current`` is describe_scaling_policies' list."""
    now = {p["PolicyName"]: p for p in current}
    to_put = []
    for name, cfg in desired.items():
        cur = now.get(name)
        if (
            cur is None
            or cur.get("PolicyType") != "TargetTrackingScaling"
            or normalize_target_tracking(
                cur.get("TargetTrackingScalingPolicyConfiguration"), ECS_COOLDOWN_DEFAULT
            )
            != normalize_target_tracking(cfg, ECS_COOLDOWN_DEFAULT)
        ):
            to_put.append(name)
    to_delete = sorted(n for n in now if n not in desired) if purge else []
    return sorted(to_put), to_delete


# --- EC2 Auto Scaling --------------------------------------------------------------------


def _subnets(value: str | list[str] | None) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return sorted(s.strip() for s in value or [] if s.strip())


def asg_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs between describe_auto_scaling_groups' entry and the declared group.

    ``desired`` (snake_case module params): min_size, max_size, desired_capacity,
    preserve_desired_capacity, launch_template {name, version}, subnets, health_check_type,
    health_check_grace_period, default_instance_warmup, metrics, tags, purge_tags.
    ``DefaultInstanceWarmup`` is compared only when declared: AWS omits it when unset.
    """
    if current is None:
        return ["create"]
    changes = []
    if int(current["MinSize"]) != desired["min_size"]:
        changes.append("min_size")
    if int(current["MaxSize"]) != desired["max_size"]:
        changes.append("max_size")
    desired_capacity = desired.get("desired_capacity")
    if desired_capacity is not None:
        cur = int(current.get("DesiredCapacity", 0))
        outside = not desired["min_size"] <= cur <= desired["max_size"]
        if (not desired.get("preserve_desired_capacity") or outside) and cur != desired_capacity:
            changes.append("desired_capacity")
    lt = current.get("LaunchTemplate") or (current.get("MixedInstancesPolicy") or {}).get(
        "LaunchTemplate", {}
    ).get("LaunchTemplateSpecification", {})
    want = desired["launch_template"]
    if lt.get("LaunchTemplateName") != want["name"] or str(lt.get("Version", "$Default")) != str(
        want.get("version") or "$Default"
    ):
        changes.append("launch_template")
    if _subnets(current.get("VPCZoneIdentifier")) != _subnets(desired.get("subnets")):
        changes.append("subnets")
    if (current.get("HealthCheckType") or "EC2") != desired.get("health_check_type", "EC2"):
        changes.append("health_check_type")
    grace = desired.get("health_check_grace_period")
    if grace is not None and int(current.get("HealthCheckGracePeriod") or 0) != grace:
        changes.append("health_check_grace_period")
    warmup = desired.get("default_instance_warmup")
    if warmup is not None and current.get("DefaultInstanceWarmup") != warmup:
        changes.append("default_instance_warmup")
    enabled = sorted(m["Metric"] for m in current.get("EnabledMetrics") or [])
    if sorted(desired.get("metrics") or []) != enabled:
        changes.append("metrics")
    if asg_tag_changes(
        current.get("Tags") or [], desired.get("tags") or {}, desired.get("purge_tags", True)
    ) != (
        [],
        [],
    ):
        changes.append("tags")
    return changes


def asg_tag_changes(
    current: list[Mapping[str, Any]], desired: Mapping[str, str], purge: bool
) -> tuple[list[str], list[str]]:
    """(keys to set, keys to delete). Every declared tag propagates to instances."""
    now = {t["Key"]: (t["Value"], bool(t.get("PropagateAtLaunch"))) for t in current}
    to_set = sorted(k for k, v in desired.items() if now.get(k) != (str(v), True))
    to_delete = sorted(k for k in now if k not in desired and not k.startswith("aws:")) if purge else []
    return to_set, to_delete


def scaling_policy_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs between describe_policies' entry and the declared policy (put_scaling_policy shape)."""
    if current is None:
        return ["create"]
    changes = []
    if current.get("PolicyType") != desired["PolicyType"]:
        changes.append("policy_type")
    if desired["PolicyType"] == "TargetTrackingScaling":
        if normalize_target_tracking(current.get("TargetTrackingConfiguration")) != normalize_target_tracking(
            desired.get("TargetTrackingConfiguration")
        ):
            changes.append("target_tracking")
        warm = desired.get("EstimatedInstanceWarmup")
        if warm is not None and current.get("EstimatedInstanceWarmup") != warm:
            changes.append("estimated_instance_warmup")
    else:
        for key in ("AdjustmentType", "ScalingAdjustment", "Cooldown"):
            if desired.get(key) is not None and current.get(key) != desired[key]:
                changes.append(key)
    if bool(current.get("Enabled", True)) != bool(desired.get("Enabled", True)):
        changes.append("enabled")
    return changes


# --- the plan of vf_autoscaling_group -----------------------------------------------------


def group_summary(group: Mapping[str, Any] | None) -> dict[str, Any]:
    """A described group as ``--diff`` shows it."""
    if not group:
        return {}
    lt = group.get("LaunchTemplate") or {}
    return {
        "min_size": group["MinSize"],
        "max_size": group["MaxSize"],
        "desired_capacity": group.get("DesiredCapacity"),
        "launch_template": {"name": lt.get("LaunchTemplateName"), "version": lt.get("Version")},
        "subnets": _subnets(group.get("VPCZoneIdentifier")),
        "health_check_type": group.get("HealthCheckType"),
        "metrics": sorted(m["Metric"] for m in group.get("EnabledMetrics") or []),
        "tags": {t["Key"]: t["Value"] for t in group.get("Tags") or []},
    }


def group_request(p: Mapping[str, Any], launch_template: Mapping[str, str]) -> dict[str, Any]:
    """create/update_auto_scaling_group's arguments (the desired capacity is added when it changes)."""
    req = {
        "AutoScalingGroupName": p["name"],
        "LaunchTemplate": {
            "LaunchTemplateName": launch_template["name"],
            "Version": launch_template["version"],
        },
        "MinSize": p["min_size"],
        "MaxSize": p["max_size"],
        "VPCZoneIdentifier": ",".join(p["subnets"]),
        "HealthCheckType": p["health_check_type"],
        "HealthCheckGracePeriod": p["health_check_grace_period"],
    }
    if p["default_instance_warmup"] is not None:
        req["DefaultInstanceWarmup"] = p["default_instance_warmup"]
    return req


# Instance refresh states that are not over yet, and the one that means it worked.
REFRESH_RUNNING = frozenset({"Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"})
REFRESH_DONE = "Successful"


def stale_instances(group: Mapping[str, Any] | None, launch_template: Mapping[str, str]) -> list[str]:
    """The instances (in service or coming up) launched from another template or version than
    the declared one. ``launch_template``: ``name`` and a numeric ``version``."""
    stale = []
    for inst in (group or {}).get("Instances") or []:
        if inst.get("LifecycleState", "InService") not in (
            "InService",
            "Pending",
            "Pending:Wait",
            "Pending:Proceed",
        ):
            continue
        lt = inst.get("LaunchTemplate") or {}
        if (
            lt.get("LaunchTemplateName") != launch_template["name"]
            or str(lt.get("Version")) != launch_template["version"]
        ):
            stale.append(inst["InstanceId"])
    return stale


def refresh_step(current: Mapping[str, Any], p: Mapping[str, Any], lt: Mapping[str, str]) -> dict | None:
    """start_instance_refresh's arguments when instances run another version than the group's
    (none while one is already running, or when the endpoint has no instance refresh). Launch
    before terminate: the only instance goes only once its replacement is healthy."""
    if not p["instance_refresh"] or not current["refresh_supported"] or not lt["version"].isdigit():
        return None
    if current["refreshes"] and current["refreshes"][0].get("Status") in REFRESH_RUNNING:
        return None
    if not stale_instances(current["group"], lt):
        return None
    preferences = {
        "MinHealthyPercentage": p["min_healthy_percentage"],
        "MaxHealthyPercentage": p["max_healthy_percentage"],
        "SkipMatching": True,
    }
    return {"AutoScalingGroupName": p["name"], "Strategy": "Rolling", "Preferences": preferences}


def group_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one Auto Scaling Group. ``current``: ``group`` (describe_auto_scaling_groups'
    entry or None), ``refreshes`` (describe_instance_refreshes, newest first) and
    ``refresh_supported`` (False when the endpoint has no instance refresh)."""
    group = current["group"]
    result = {"name": p["name"], "arn": (group or {}).get("AutoScalingGroupARN")}
    if p["state"] == "absent":
        return deletion(result, group_summary(group) if group else None)
    lt = {
        "name": p["launch_template"]["name"],
        "version": str(p["launch_template"].get("version") or "$Default"),
    }
    changes = asg_changes(group, {**p, "launch_template": lt})
    keep_capacity = group is not None and "desired_capacity" not in changes
    desired_capacity = group.get("DesiredCapacity") if keep_capacity else p["desired_capacity"]
    result["desired_capacity"] = desired_capacity
    refresh = refresh_step(current, p, lt)
    if refresh:
        stale, total = len(stale_instances(group, lt)), len((group or {}).get("Instances") or [])
        changes.append(f"instance refresh ({stale} of {total} instances on another version)")
    warnings = []
    if (
        group is not None
        and p["instance_refresh"]
        and not current["refresh_supported"]
        and stale_instances(group, lt)
    ):
        warnings.append(
            f"this endpoint has no instance refresh: the instances of {p['name']} keep their version"
        )
    after = {
        "min_size": p["min_size"],
        "max_size": p["max_size"],
        "desired_capacity": desired_capacity,
        "launch_template": lt,
        "subnets": sorted(p["subnets"]),
        "health_check_type": p["health_check_type"],
        "metrics": sorted(p["metrics"]),
        "tags": dict(p["tags"]),
    }
    request = group_request(p, lt)
    if (group is None or "desired_capacity" in changes) and p["desired_capacity"] is not None:
        request["DesiredCapacity"] = p["desired_capacity"]
    enabled = {m["Metric"] for m in (group or {}).get("EnabledMetrics") or []}
    to_tag, untag = asg_tag_changes((group or {}).get("Tags") or [], p["tags"], p["purge_tags"])
    steps = {
        "request": request,
        "stale_metrics": sorted(enabled - set(p["metrics"])),
        "tag": to_tag,
        "untag": untag,
    }
    steps["refresh"] = refresh
    return Plan(changes, group_summary(group), after, result, steps, warnings)


# --- the plan of a vf_scaling_policies item -------------------------------------------------


def desired_policy(p: Mapping[str, Any]) -> dict[str, Any]:
    """The declared policy as put_scaling_policy's arguments."""
    req: dict[str, Any] = {
        "AutoScalingGroupName": p["group"],
        "PolicyName": p["name"],
        "PolicyType": p["policy_type"],
    }
    if p["policy_type"] == "TargetTrackingScaling":
        cfg: dict[str, Any] = {
            "TargetValue": float(p["target_value"]),
            "DisableScaleIn": p["disable_scale_in"],
        }
        if p["predefined_metric"]:
            cfg["PredefinedMetricSpecification"] = {"PredefinedMetricType": p["predefined_metric"]}
        else:
            cfg["CustomizedMetricSpecification"] = {"Metrics": p["metrics"]}
        req["TargetTrackingConfiguration"] = cfg
        if p["estimated_instance_warmup"] is not None:
            req["EstimatedInstanceWarmup"] = p["estimated_instance_warmup"]
    else:
        req.update(AdjustmentType=p["adjustment_type"], ScalingAdjustment=p["scaling_adjustment"])
        if p["cooldown"] is not None:
            req["Cooldown"] = p["cooldown"]
    return req


def policy_summary(policy: Mapping[str, Any] | None) -> dict[str, Any]:
    """A policy (described, or put_scaling_policy's arguments) as ``--diff`` shows it."""
    if not policy:
        return {}
    out: dict[str, Any] = {"policy_type": policy.get("PolicyType")}
    if policy.get("TargetTrackingConfiguration"):
        out["target_tracking"] = normalize_target_tracking(policy["TargetTrackingConfiguration"])
    for key in ("AdjustmentType", "ScalingAdjustment", "Cooldown", "EstimatedInstanceWarmup"):
        if policy.get(key) is not None:
            out[key] = policy[key]
    return out


def scaling_policy_plan(policy: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one group scaling policy (``policy``: describe_policies' entry, by name)."""
    result = {"name": p["name"], "group": p["group"], "arn": (policy or {}).get("PolicyARN")}
    if p["state"] == "absent":
        delete = Call(
            "autoscaling", "delete_policy", {"AutoScalingGroupName": p["group"], "PolicyName": p["name"]}
        )
        return deletion(result, policy_summary(policy) if policy else None, delete)
    if p["policy_type"] == "TargetTrackingScaling" and (
        p["target_value"] is None or not (p["predefined_metric"] or p["metrics"])
    ):
        raise ReconcileError("target tracking needs target_value and predefined_metric or metrics")
    if p["policy_type"] == "SimpleScaling" and p["scaling_adjustment"] is None:
        raise ReconcileError("SimpleScaling needs scaling_adjustment")
    desired = desired_policy(p)
    changes = scaling_policy_changes(policy, desired)
    return Plan(changes, policy_summary(policy), policy_summary(desired), result, {"put": desired})


# --- the plan of a vf_app_autoscalings item ------------------------------------------------

APP_METRICS = {
    "cpu": "ECSServiceAverageCPUUtilization",
    "memory": "ECSServiceAverageMemoryUtilization",
    "alb_requests": "ALBRequestCountPerTarget",
}


def app_policy_configuration(policy: Mapping[str, Any]) -> dict[str, Any]:
    """A declared policy as TargetTrackingScalingPolicyConfiguration."""
    metric_type = APP_METRICS.get(policy["metric"], policy["metric"])
    predefined = {"PredefinedMetricType": metric_type}
    if metric_type == "ALBRequestCountPerTarget":
        if not policy.get("resource_label"):
            raise ReconcileError(f"policy {policy['name']}: alb_requests needs resource_label")
        predefined["ResourceLabel"] = policy["resource_label"]
    return {
        "TargetValue": float(policy["target"]),
        "PredefinedMetricSpecification": predefined,
        "ScaleInCooldown": policy["scale_in_cooldown"],
        "ScaleOutCooldown": policy["scale_out_cooldown"],
        "DisableScaleIn": policy["disable_scale_in"],
    }


def app_autoscaling_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to a scalable target and its policies. ``current``: ``target``
    (describe_scalable_targets' entry or None) and ``policies`` (describe_scaling_policies)."""
    target, policies = current["target"], current["policies"]
    arns = {x["PolicyName"]: x["PolicyARN"] for x in policies}
    result = {"resource_id": p["resource_id"], "policy_arns": arns}
    before = {}
    if target:
        before = {
            "min_capacity": target["MinCapacity"],
            "max_capacity": target["MaxCapacity"],
            "policies": {
                x["PolicyName"]: normalize_target_tracking(
                    x.get("TargetTrackingScalingPolicyConfiguration"), ECS_COOLDOWN_DEFAULT
                )
                for x in policies
            },
        }
    if p["state"] == "absent":
        return deletion({"resource_id": p["resource_id"]}, before if target else None, policies=sorted(arns))
    desired = {pol["name"]: app_policy_configuration(pol) for pol in p["policies"]}
    changes = scalable_target_changes(target, p)
    to_put, to_delete = app_policy_changes(policies, desired, p["purge_policies"])
    steps = {"register": bool(changes), "put": {n: desired[n] for n in to_put}, "delete_policies": to_delete}
    changes += [f"policy.{n}" for n in to_put] + [f"delete_policy.{n}" for n in to_delete]
    after = {
        "min_capacity": p["min_capacity"],
        "max_capacity": p["max_capacity"],
        "policies": {n: normalize_target_tracking(c, ECS_COOLDOWN_DEFAULT) for n, c in desired.items()},
    }
    return Plan(changes, before, after, result, steps)
