#!/usr/bin/python
"""Reconcile an EC2 Auto Scaling policy (target tracking, metric math included, or simple)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_scaling_policy
short_description: Create, update or delete an Auto Scaling Group scaling policy
description:
  - Target tracking on a predefined metric (e.g. C(ASGAverageCPUUtilization)) or on a
    customized metric, including metric math (backlog per instance, the queue's
    C(ApproximateNumberOfMessagesVisible) divided by the group's C(GroupInServiceInstances),
    guarded so the group can scale out from zero instances). C(SimpleScaling) policies (for
    an alarm such as the design document's "queue depth > 5") are supported too.
  - The policy is identified by group and name. Its ARN is always read back with
    C(describe_policies) (moto returns none from C(put_scaling_policy)).
options:
  name:
    description: The policy name.
    type: str
    required: true
  group:
    description: The Auto Scaling Group name.
    type: str
    required: true
  policy_type:
    description: C(TargetTrackingScaling) or C(SimpleScaling).
    type: str
    choices: [TargetTrackingScaling, SimpleScaling]
    default: TargetTrackingScaling
  target_value:
    description: Target value (target tracking).
    type: float
  predefined_metric:
    description: Predefined metric type (target tracking).
    type: str
  metrics:
    description:
      - Metric-math queries of a customized metric (target tracking), in the API shape
        (C(Id), C(Expression) or C(MetricStat), C(Label), C(ReturnData)).
    type: list
    elements: dict
  estimated_instance_warmup:
    description: Seconds before a new instance counts in the metric.
    type: int
  disable_scale_in:
    description: Never scale in (target tracking).
    type: bool
    default: false
  adjustment_type:
    description: Simple scaling adjustment type.
    type: str
    default: ChangeInCapacity
  scaling_adjustment:
    description: Simple scaling adjustment.
    type: int
  cooldown:
    description: Simple scaling cooldown in seconds.
    type: int
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Keep the processors' CPU at 70%
  vf_scaling_policy:
    name: cpu
    group: video-forge-dev-processor
    target_value: 70
    predefined_metric: ASGAverageCPUUtilization
"""

RETURN = r"""
arn:
  description: The policy ARN (read back with describe_policies).
  returned: when it exists
  type: str
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import normalize_target_tracking, scaling_policy_changes
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
)


def describe(asg, group: str, name: str) -> dict | None:
    policies = asg.call("describe_policies", AutoScalingGroupName=group, PolicyNames=[name]).get(
        "ScalingPolicies", []
    )
    # moto gives every policy of a group the same id in its ARN: match by name, never by ARN.
    return next((x for x in policies if x["PolicyName"] == name), None)


def desired_policy(p: dict) -> dict:
    req: dict = {"AutoScalingGroupName": p["group"], "PolicyName": p["name"], "PolicyType": p["policy_type"]}
    if p["policy_type"] == "TargetTrackingScaling":
        cfg: dict = {"TargetValue": float(p["target_value"]), "DisableScaleIn": p["disable_scale_in"]}
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


def summary(policy: dict | None) -> dict:
    if not policy:
        return {}
    out = {"policy_type": policy.get("PolicyType")}
    if policy.get("TargetTrackingConfiguration"):
        out["target_tracking"] = normalize_target_tracking(policy["TargetTrackingConfiguration"])
    for key in ("AdjustmentType", "ScalingAdjustment", "Cooldown", "EstimatedInstanceWarmup"):
        if policy.get(key) is not None:
            out[key] = policy[key]
    return out


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        group={"type": "str", "required": True},
        policy_type={
            "type": "str",
            "choices": ["TargetTrackingScaling", "SimpleScaling"],
            "default": "TargetTrackingScaling",
        },
        target_value={"type": "float"},
        predefined_metric={"type": "str"},
        metrics={"type": "list", "elements": "dict"},
        estimated_instance_warmup={"type": "int"},
        disable_scale_in={"type": "bool", "default": False},
        adjustment_type={"type": "str", "default": "ChangeInCapacity"},
        scaling_adjustment={"type": "int"},
        cooldown={"type": "int"},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    if p["state"] == "present":
        if p["policy_type"] == "TargetTrackingScaling" and (
            p["target_value"] is None or not (p["predefined_metric"] or p["metrics"])
        ):
            module.fail_json(msg="target tracking needs target_value and predefined_metric or metrics")
        if p["policy_type"] == "SimpleScaling" and p["scaling_adjustment"] is None:
            module.fail_json(msg="SimpleScaling needs scaling_adjustment")
    asg = connect_from_params("autoscaling", p)
    name, group = p["name"], p["group"]
    result: dict = {"name": name, "group": group, "changed": False, "changes": []}
    try:
        current = describe(asg, group, name)
        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True, changes=["delete"], diff={"before": summary(current), "after": {}}
                )
                if not module.check_mode:
                    asg.call("delete_policy", AutoScalingGroupName=group, PolicyName=name)
            module.exit_json(**result)
        desired = desired_policy(p)
        changes = scaling_policy_changes(current, desired)
        result["changes"] = changes
        if changes:
            result.update(changed=True, diff={"before": summary(current), "after": summary(desired)})
        if module.check_mode or not changes:
            module.exit_json(**result, arn=(current or {}).get("PolicyARN"))
        asg.call("put_scaling_policy", **desired)
        fresh = describe(asg, group, name)
        module.exit_json(**result, arn=(fresh or {}).get("PolicyARN"))
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
