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
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import (
    ECS_COOLDOWN_DEFAULT,
    app_policy_changes,
    normalize_target_tracking,
    scalable_target_changes,
)
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
)

METRICS = {
    "cpu": "ECSServiceAverageCPUUtilization",
    "memory": "ECSServiceAverageMemoryUtilization",
    "alb_requests": "ALBRequestCountPerTarget",
}


def policy_configuration(policy: dict) -> dict:
    metric_type = METRICS.get(policy["metric"], policy["metric"])
    predefined = {"PredefinedMetricType": metric_type}
    if metric_type == "ALBRequestCountPerTarget":
        if not policy.get("resource_label"):
            raise ValueError(f"policy {policy['name']}: alb_requests needs resource_label")
        predefined["ResourceLabel"] = policy["resource_label"]
    return {
        "TargetValue": float(policy["target"]),
        "PredefinedMetricSpecification": predefined,
        "ScaleInCooldown": policy["scale_in_cooldown"],
        "ScaleOutCooldown": policy["scale_out_cooldown"],
        "DisableScaleIn": policy["disable_scale_in"],
    }


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        service_namespace={"type": "str", "default": "ecs"},
        resource_id={"type": "str", "required": True},
        scalable_dimension={"type": "str", "default": "ecs:service:DesiredCount"},
        min_capacity={"type": "int"},
        max_capacity={"type": "int"},
        policies={
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "name": {"type": "str", "required": True},
                "metric": {"type": "str", "required": True},
                "target": {"type": "float", "required": True},
                "resource_label": {"type": "str"},
                "scale_in_cooldown": {"type": "int", "default": 300},
                "scale_out_cooldown": {"type": "int", "default": 60},
                "disable_scale_in": {"type": "bool", "default": False},
            },
        },
        purge_policies={"type": "bool", "default": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["min_capacity", "max_capacity"])],
    )
    require_boto3(module.fail_json)
    p = module.params
    aas = connect_from_params("application-autoscaling", p)
    ident = {
        "ServiceNamespace": p["service_namespace"],
        "ResourceId": p["resource_id"],
        "ScalableDimension": p["scalable_dimension"],
    }
    result: dict = {"resource_id": p["resource_id"], "changed": False, "changes": []}
    try:
        targets = aas.call(
            "describe_scalable_targets",
            ServiceNamespace=p["service_namespace"],
            ResourceIds=[p["resource_id"]],
            ScalableDimension=p["scalable_dimension"],
        ).get("ScalableTargets", [])
        current = targets[0] if targets else None
        policies = (
            aas.paginate(
                "describe_scaling_policies",
                "ScalingPolicies",
                ServiceNamespace=p["service_namespace"],
                ResourceId=p["resource_id"],
                ScalableDimension=p["scalable_dimension"],
            )
            if current
            else []
        )
        before = {}
        if current:
            before = {
                "min_capacity": current["MinCapacity"],
                "max_capacity": current["MaxCapacity"],
                "policies": {
                    x["PolicyName"]: normalize_target_tracking(
                        x.get("TargetTrackingScalingPolicyConfiguration"), ECS_COOLDOWN_DEFAULT
                    )
                    for x in policies
                },
            }
        if p["state"] == "absent":
            if current:
                result.update(changed=True, changes=["delete"], diff={"before": before, "after": {}})
                if not module.check_mode:
                    for pol in policies:
                        aas.call("delete_scaling_policy", PolicyName=pol["PolicyName"], **ident)
                    aas.call("deregister_scalable_target", **ident)
            module.exit_json(**result)

        try:
            desired = {pol["name"]: policy_configuration(pol) for pol in p["policies"]}
        except ValueError as exc:
            module.fail_json(msg=str(exc))
        changes = scalable_target_changes(current, p)
        to_put, to_delete = app_policy_changes(policies, desired, p["purge_policies"])
        changes += [f"policy.{n}" for n in to_put] + [f"delete_policy.{n}" for n in to_delete]
        result["changes"] = changes
        if changes:
            after = {
                "min_capacity": p["min_capacity"],
                "max_capacity": p["max_capacity"],
                "policies": {
                    n: normalize_target_tracking(c, ECS_COOLDOWN_DEFAULT) for n, c in desired.items()
                },
            }
            result.update(changed=True, diff={"before": before, "after": after})
        arns = {x["PolicyName"]: x["PolicyARN"] for x in policies}
        if module.check_mode or not changes:
            module.exit_json(**result, policy_arns=arns)
        if "create" in changes or "min_capacity" in changes or "max_capacity" in changes:
            aas.call(
                "register_scalable_target",
                MinCapacity=p["min_capacity"],
                MaxCapacity=p["max_capacity"],
                **ident,
            )
        for name in to_put:
            resp = aas.call(
                "put_scaling_policy",
                PolicyName=name,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=desired[name],
                **ident,
            )
            arns[name] = resp.get("PolicyARN")
        for name in to_delete:
            aas.call("delete_scaling_policy", PolicyName=name, **ident)
            arns.pop(name, None)
        module.exit_json(**result, policy_arns=arns)
    except AwsError as err:
        fail_with(module.fail_json, err, resource_id=p["resource_id"])


if __name__ == "__main__":
    main()
