#!/usr/bin/python
"""Reconcile an Application Auto Scaling scalable target and its target tracking policies."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_app_autoscaling
short_description: Register a scalable target (min/max) and reconcile its target tracking policies
description:
  - Registers the scalable target of an ECS service (or any namespace) with its minimum and
    maximum capacity and reconciles target tracking policies on CPU, memory and
    C(ALBRequestCountPerTarget) (which needs its resource label).
  - Policies are identified by name; a policy is put again only when its normalized
    configuration differs (cooldowns default to 300 s, C(DisableScaleIn) to false).
  - With I(state=absent) the scalable target is deregistered (its policies go with it).
options:
  service_namespace:
    description: The namespace.
    type: str
    default: ecs
  resource_id:
    description: The resource, e.g. C(service/<cluster>/<service>).
    type: str
    required: true
  scalable_dimension:
    description: The dimension.
    type: str
    default: ecs:service:DesiredCount
  min_capacity:
    description: Minimum capacity.
    type: int
  max_capacity:
    description: Maximum capacity.
    type: int
  policies:
    description: Target tracking policies.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      metric:
        description: C(cpu), C(memory) or C(alb_requests) (a predefined metric type may be given instead).
        type: str
        required: true
      target:
        description: The target value.
        type: float
        required: true
      resource_label:
        description: For C(alb_requests), C(app/<alb>/<id>/targetgroup/<tg>/<id>).
        type: str
      scale_in_cooldown:
        description: Seconds.
        type: int
        default: 300
      scale_out_cooldown:
        description: Seconds.
        type: int
        default: 60
      disable_scale_in:
        description: Never scale in.
        type: bool
        default: false
  purge_policies:
    description: Delete policies that are not declared.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Scale the gallery between 1 and 3 tasks
  vf_app_autoscaling:
    resource_id: service/video-forge-dev/gallery
    min_capacity: 1
    max_capacity: 3
    policies:
      - {name: cpu, metric: cpu, target: 70}
      - name: requests
        metric: alb_requests
        target: 1000
        resource_label: "{{ alb_suffix }}/{{ tg_suffix }}"
"""

RETURN = r"""
policy_arns:
  description: Policy ARNs by name.
  returned: when state=present
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import app_autoscaling_plan
from ansible.module_utils.vf_module import module_args, reconcile

POLICY_OPTIONS = {
    "name": {"type": "str", "required": True},
    "metric": {"type": "str", "required": True},
    "target": {"type": "float", "required": True},
    "resource_label": {"type": "str"},
    "scale_in_cooldown": {"type": "int", "default": 300},
    "scale_out_cooldown": {"type": "int", "default": 60},
    "disable_scale_in": {"type": "bool", "default": False},
}
OPTIONS = {
    "service_namespace": {"type": "str", "default": "ecs"},
    "resource_id": {"type": "str", "required": True},
    "scalable_dimension": {"type": "str", "default": "ecs:service:DesiredCount"},
    "min_capacity": {"type": "int"},
    "max_capacity": {"type": "int"},
    "policies": {"type": "list", "elements": "dict", "default": [], "options": POLICY_OPTIONS},
    "purge_policies": {"type": "bool", "default": True},
}


def target(p: dict) -> dict:
    """The arguments that name the scalable target."""
    return {
        "ServiceNamespace": p["service_namespace"],
        "ResourceId": p["resource_id"],
        "ScalableDimension": p["scalable_dimension"],
    }


def read(aws, p: dict) -> dict:
    """The scalable target and its scaling policies."""
    aas = aws("application-autoscaling")
    ident = target(p)
    found = aas.paginate(
        "describe_scalable_targets",
        "ScalableTargets",
        ServiceNamespace=ident["ServiceNamespace"],
        ResourceIds=[ident["ResourceId"]],
        ScalableDimension=ident["ScalableDimension"],
    )
    policies = aas.paginate("describe_scaling_policies", "ScalingPolicies", **ident) if found else []
    return {"target": found[0] if found else None, "policies": policies}


def apply(aws, plan, p: dict) -> dict:
    """Deregister (policies first), or register the target, put and delete policies."""
    aas, steps, ident = aws("application-autoscaling"), plan.steps, target(p)
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


def main() -> None:
    """Reconcile one scalable target and its target tracking policies."""
    required = [("state", "present", ["min_capacity", "max_capacity"])]
    module = AnsibleModule(**module_args(OPTIONS, tags=False, required_if=required))
    reconcile(module, read, app_autoscaling_plan, apply)


if __name__ == "__main__":
    main()
