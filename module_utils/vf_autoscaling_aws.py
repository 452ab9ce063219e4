"""The Auto Scaling read and apply steps (what they compare is pure, in vf_autoscaling): EC2 Auto
Scaling's group policies (vf_scaling_policy, vf_scaling_policies) and Application Auto Scaling's
scalable targets with their target tracking policies (vf_app_autoscaling, vf_app_autoscalings)."""

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
# A scalable target's options (vf_app_autoscaling; one item of vf_app_autoscalings).
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
