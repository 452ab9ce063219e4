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
from ansible.module_utils.vf_autoscaling_aws import (
    APP_AUTOSCALING_OPTIONS,
    apply_app_autoscaling,
    read_app_autoscaling,
)
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one scalable target and its target tracking policies."""
    required = [("state", "present", ["min_capacity", "max_capacity"])]
    module = AnsibleModule(**module_args(APP_AUTOSCALING_OPTIONS, tags=False, required_if=required))
    reconcile(module, read_app_autoscaling, app_autoscaling_plan, apply_app_autoscaling)


if __name__ == "__main__":
    main()
