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
    description:
      - Roll the instances with an instance refresh whenever any runs another launch template
        version than the group's (after a template change, or a refresh that did not finish).
      - A refresh that does not start fails the task; so does one that ends C(Failed),
        C(Cancelled) or rolled back (with I(instance_refresh_wait)).
      - Needs a numeric I(launch_template) version. An endpoint without the API (the emulator)
        is warned about and its instances keep their version.
    type: bool
    default: true
  min_healthy_percentage:
    description:
      - The share of capacity kept in service during a refresh. With 100 and
        I(max_healthy_percentage) 200, each replacement is launched and healthy before the
        instance it replaces is terminated, so even a single instance is never taken down first.
    type: int
    default: 100
  max_healthy_percentage:
    description: How far above the desired capacity a refresh may launch replacements.
    type: int
    default: 200
  instance_refresh_wait:
    description: Wait for the refresh to end (and fail unless it ends C(Successful)).
    type: bool
    default: true
  instance_refresh_timeout:
    description: Seconds to wait for a refresh.
    type: int
    default: 1800
  wait_timeout:
    description: Seconds to wait for the group to disappear with I(state=absent).
    type: int
    default: 600
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
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
instance_refresh:
  description: The instance refresh this run started or followed (C(id), C(status)).
  returned: when one was started
  type: dict
desired_capacity:
  description: The desired capacity after the run.
  returned: when state=present
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import REFRESH_DONE, REFRESH_RUNNING, group_plan
from ansible.module_utils.vf_aws import ROLE_NOT_YET, AwsError
from ansible.module_utils.vf_module import ReconcileError, module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "launch_template": {"type": "dict"},
    "min_size": {"type": "int", "default": 0},
    "max_size": {"type": "int", "default": 1},
    "desired_capacity": {"type": "int"},
    "preserve_desired_capacity": {"type": "bool", "default": True},
    "subnets": {"type": "list", "elements": "str", "default": []},
    "health_check_type": {"type": "str", "default": "EC2"},
    "health_check_grace_period": {"type": "int", "default": 300},
    "default_instance_warmup": {"type": "int"},
    "metrics": {"type": "list", "elements": "str", "default": []},
    "instance_refresh": {"type": "bool", "default": True},
    "min_healthy_percentage": {"type": "int", "default": 100},
    "max_healthy_percentage": {"type": "int", "default": 200},
    "instance_refresh_wait": {"type": "bool", "default": True},
    "instance_refresh_timeout": {"type": "int", "default": 1800},
    "wait_timeout": {"type": "int", "default": 600},
}

# What an endpoint without instance refresh answers (an HTML error page, or no such action).
NOT_THE_API = frozenset({"ResponseParserError", "InvalidAction", "NotImplemented"})


def describe(asg, name: str) -> dict | None:
    """describe_auto_scaling_groups' entry (not one being deleted), or None."""
    groups = asg.paginate("describe_auto_scaling_groups", "AutoScalingGroups", AutoScalingGroupNames=[name])
    return next((g for g in groups if g.get("Status") != "Delete in progress"), None)


def read(aws, p: dict) -> dict:
    """The group, and its instance refreshes (newest first) when it has instances to roll."""
    asg = aws("autoscaling")
    group = describe(asg, p["name"])
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


def apply(aws, plan, p: dict) -> dict:
    """Delete, create, or update the group, its metrics and tags; a new template version rolls
    the instances (instance refresh)."""
    asg, name, changes = aws("autoscaling"), p["name"], plan.changes
    if plan.steps.get("delete"):
        asg.call("delete_auto_scaling_group", AutoScalingGroupName=name, ForceDelete=True)
        asg.wait_until(
            lambda: describe(asg, name),
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
        out["instance_refresh"] = roll(asg, plan.steps["refresh"], p)
    fresh = describe(asg, name)
    return {**out, "arn": fresh["AutoScalingGroupARN"], "desired_capacity": fresh["DesiredCapacity"]}


def apply_group_tags(asg, name: str, tags: dict, to_set: list, to_delete: list) -> None:
    """Set and delete group tags; every declared tag propagates to the instances."""
    ident = {"ResourceId": name, "ResourceType": "auto-scaling-group"}
    if to_delete:
        asg.call("delete_tags", Tags=[{**ident, "Key": k} for k in to_delete])
    if to_set:
        tagged = [{**ident, "Key": k, "Value": str(tags[k]), "PropagateAtLaunch": True} for k in to_set]
        asg.call("create_or_update_tags", Tags=tagged)


def roll(asg, request: dict, p: dict) -> dict:
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


def main() -> None:
    """Reconcile one Auto Scaling Group."""
    module = AnsibleModule(**module_args(OPTIONS, required_if=[("state", "present", ["launch_template"])]))
    reconcile(module, read, group_plan, apply)


if __name__ == "__main__":
    main()
