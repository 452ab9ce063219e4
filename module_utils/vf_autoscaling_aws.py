"""The EC2 Auto Scaling read and apply steps of vf_scaling_policy and vf_scaling_policies (what
they compare is pure, in vf_autoscaling)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.vf_module import Aws, Plan

# A group scaling policy's options (vf_scaling_policy; vf_scaling_policies without the group).
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
