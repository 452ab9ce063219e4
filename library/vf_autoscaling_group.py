#!/usr/bin/python
"""Reconcile an EC2 Auto Scaling Group; roll its instances when the launch template changes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_autoscaling_group
short_description: Create, update or delete an Auto Scaling Group, with an instance refresh on change
description:
  - Reconciles one group - size (min/max/desired), launch template and version, subnets, health
    check, group metrics collection, tags (propagated to instances).
  - When the launch template version it uses changes (e.g. a new default version number was
    passed), an instance refresh is started (unless one is already running) so running
    instances are replaced by ones from the new version.
  - With I(preserve_desired_capacity=true) an existing group's desired capacity is left to its
    scaling policies unless it falls outside min/max.
  - C(DefaultInstanceWarmup) is compared only when I(default_instance_warmup) is declared (AWS
    omits it when unset; moto drops it, so do not declare it against moto).
options:
  name:
    description: The group name.
    type: str
    required: true
  launch_template:
    description: C(name) and C(version) (a number, C($Default) or C($Latest)).
    type: dict
  min_size:
    description: Minimum size.
    type: int
    default: 0
  max_size:
    description: Maximum size.
    type: int
    default: 1
  desired_capacity:
    description: Desired capacity (set on creation; see I(preserve_desired_capacity)).
    type: int
  preserve_desired_capacity:
    description: Leave an existing group's desired capacity to its scaling policies.
    type: bool
    default: true
  subnets:
    description: Subnets of the group.
    type: list
    elements: str
    default: []
  health_check_type:
    description: C(EC2) or C(ELB).
    type: str
    default: EC2
  health_check_grace_period:
    description: Seconds.
    type: int
    default: 300
  default_instance_warmup:
    description: Seconds (compared only when given).
    type: int
  metrics:
    description: Group metrics to collect (backlog per instance reads C(GroupInServiceInstances)).
    type: list
    elements: str
    default: []
  instance_refresh:
    description: Start an instance refresh when the launch template or its version changes.
    type: bool
    default: true
  min_healthy_percentage:
    description: Instance refresh minimum healthy percentage.
    type: int
    default: 90
  wait_timeout:
    description: Seconds to wait for the group to disappear with I(state=absent).
    type: int
    default: 600
  state:
    description: C(present) or C(absent) (force-deleted with its instances).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags (propagated at launch).
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: The processor fleet
  vf_autoscaling_group:
    name: video-forge-dev-processor
    launch_template: {name: video-forge-dev-processor, version: "{{ lt.default_version }}"}
    min_size: 0
    max_size: 3
    desired_capacity: 1
    subnets: "{{ private_subnet_ids }}"
    metrics: [GroupInServiceInstances]
"""

RETURN = r"""
arn:
  description: The group ARN.
  returned: when it exists
  type: str
instance_refresh_id:
  description: The instance refresh started by this run.
  returned: when one was started
  type: str
desired_capacity:
  description: The desired capacity after the run.
  returned: when state=present
  type: int
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import asg_changes, asg_tag_changes
from ansible.module_utils.vf_aws import (
    AwsClient,
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
)


def describe(asg, name: str) -> dict | None:
    groups = asg.call("describe_auto_scaling_groups", AutoScalingGroupNames=[name]).get(
        "AutoScalingGroups", []
    )
    groups = [g for g in groups if g.get("Status") != "Delete in progress"]
    return groups[0] if groups else None


def start_refresh(asg, name: str, min_healthy: int, warn) -> str | None:
    """Start a rolling instance refresh; None when one is already running or the endpoint lacks the API."""
    once = AwsClient(asg.client, retries=0)  # a missing API answers 500: do not retry it
    try:
        refresh = once.call(
            "start_instance_refresh",
            AutoScalingGroupName=name,
            Strategy="Rolling",
            Preferences={"MinHealthyPercentage": min_healthy},
        )
    except AwsError as err:
        if err.code == "InstanceRefreshInProgress":
            warn(f"an instance refresh of {name} is already running; it was not restarted")
            return None
        if (err.status or 0) >= 500:
            warn(f"the endpoint does not implement instance refresh ({err.message[:80]}): not rolled")
            return None
        raise
    except Exception as exc:  # botocore cannot parse an HTML error page of an emulator
        warn(f"the endpoint does not implement instance refresh ({type(exc).__name__}): not rolled")
        return None
    return refresh["InstanceRefreshId"]


def summary(g: dict | None) -> dict:
    if not g:
        return {}
    lt = g.get("LaunchTemplate") or {}
    return {
        "min_size": g["MinSize"],
        "max_size": g["MaxSize"],
        "desired_capacity": g.get("DesiredCapacity"),
        "launch_template": {"name": lt.get("LaunchTemplateName"), "version": lt.get("Version")},
        "subnets": sorted(s for s in (g.get("VPCZoneIdentifier") or "").split(",") if s),
        "health_check_type": g.get("HealthCheckType"),
        "metrics": sorted(m["Metric"] for m in g.get("EnabledMetrics") or []),
        "tags": {t["Key"]: t["Value"] for t in g.get("Tags") or []},
    }


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        launch_template={"type": "dict"},
        min_size={"type": "int", "default": 0},
        max_size={"type": "int", "default": 1},
        desired_capacity={"type": "int"},
        preserve_desired_capacity={"type": "bool", "default": True},
        subnets={"type": "list", "elements": "str", "default": []},
        health_check_type={"type": "str", "default": "EC2"},
        health_check_grace_period={"type": "int", "default": 300},
        default_instance_warmup={"type": "int"},
        metrics={"type": "list", "elements": "str", "default": []},
        instance_refresh={"type": "bool", "default": True},
        min_healthy_percentage={"type": "int", "default": 90},
        wait_timeout={"type": "int", "default": 600},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True, required_if=[("state", "present", ["launch_template"])]
    )
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    asg = connect_from_params("autoscaling", p)
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        current = describe(asg, name)
        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True, changes=["delete"], diff={"before": summary(current), "after": {}}
                )
                if not module.check_mode:
                    asg.call("delete_auto_scaling_group", AutoScalingGroupName=name, ForceDelete=True)
                    asg.wait_until(
                        lambda: describe(asg, name),
                        lambda g: g is None,
                        p["wait_timeout"],
                        f"Auto Scaling Group {name} to be deleted",
                        interval=5,
                    )
            module.exit_json(**result)

        lt = {
            "name": p["launch_template"]["name"],
            "version": str(p["launch_template"].get("version") or "$Default"),
        }
        desired = dict(p, launch_template=lt)
        changes = asg_changes(current, desired)
        result["changes"] = changes
        after = {
            "min_size": p["min_size"],
            "max_size": p["max_size"],
            "desired_capacity": (current or {}).get("DesiredCapacity")
            if current and "desired_capacity" not in changes
            else p["desired_capacity"],
            "launch_template": lt,
            "subnets": sorted(p["subnets"]),
            "health_check_type": p["health_check_type"],
            "metrics": sorted(p["metrics"]),
            "tags": dict(p["tags"]),
        }
        if changes:
            result.update(changed=True, diff={"before": summary(current), "after": after})
        if module.check_mode or not changes:
            module.exit_json(
                **result,
                arn=(current or {}).get("AutoScalingGroupARN"),
                desired_capacity=after["desired_capacity"],
            )
        req = {
            "AutoScalingGroupName": name,
            "LaunchTemplate": {"LaunchTemplateName": lt["name"], "Version": lt["version"]},
            "MinSize": p["min_size"],
            "MaxSize": p["max_size"],
            "VPCZoneIdentifier": ",".join(p["subnets"]),
            "HealthCheckType": p["health_check_type"],
            "HealthCheckGracePeriod": p["health_check_grace_period"],
        }
        if p["default_instance_warmup"] is not None:
            req["DefaultInstanceWarmup"] = p["default_instance_warmup"]
        if "create" in changes:
            if p["desired_capacity"] is not None:
                req["DesiredCapacity"] = p["desired_capacity"]
            req["Tags"] = [
                {"Key": k, "Value": str(v), "PropagateAtLaunch": True} for k, v in sorted(p["tags"].items())
            ]
            asg.call("create_auto_scaling_group", **req)
            if p["metrics"]:
                asg.call(
                    "enable_metrics_collection",
                    AutoScalingGroupName=name,
                    Metrics=p["metrics"],
                    Granularity="1Minute",
                )
            fresh = describe(asg, name)
            module.exit_json(
                **result, arn=fresh["AutoScalingGroupARN"], desired_capacity=fresh["DesiredCapacity"]
            )
        if "desired_capacity" in changes:
            req["DesiredCapacity"] = p["desired_capacity"]
        if set(changes) - {"tags", "metrics"}:
            asg.call("update_auto_scaling_group", **req)
        if "metrics" in changes:
            enabled = {m["Metric"] for m in current.get("EnabledMetrics") or []}
            stale = sorted(enabled - set(p["metrics"]))
            if stale:
                asg.call("disable_metrics_collection", AutoScalingGroupName=name, Metrics=stale)
            if p["metrics"]:
                asg.call(
                    "enable_metrics_collection",
                    AutoScalingGroupName=name,
                    Metrics=p["metrics"],
                    Granularity="1Minute",
                )
        if "tags" in changes:
            to_set, to_delete = asg_tag_changes(current.get("Tags") or [], p["tags"], p["purge_tags"])
            ident = {"ResourceId": name, "ResourceType": "auto-scaling-group"}
            if to_delete:
                asg.call("delete_tags", Tags=[{**ident, "Key": k} for k in to_delete])
            if to_set:
                asg.call(
                    "create_or_update_tags",
                    Tags=[
                        {**ident, "Key": k, "Value": str(p["tags"][k]), "PropagateAtLaunch": True}
                        for k in to_set
                    ],
                )
        if "launch_template" in changes and p["instance_refresh"]:
            refresh_id = start_refresh(asg, name, p["min_healthy_percentage"], module.warn)
            if refresh_id:
                result["instance_refresh_id"] = refresh_id
        fresh = describe(asg, name)
        module.exit_json(
            **result, arn=fresh["AutoScalingGroupARN"], desired_capacity=fresh["DesiredCapacity"]
        )
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
