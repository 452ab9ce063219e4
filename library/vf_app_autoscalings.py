#!/usr/bin/python
"""Reconcile a family of Application Auto Scaling scalable targets, each with its target tracking
policies, in one run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_app_autoscalings
short_description: Register several scalable targets (min/max) with their target tracking policies in one task
description:
  - Reconciles each declared scalable target and its target tracking policies exactly as
    one would be on its own (minimum and maximum capacity; policies on CPU, memory and
    C(ALBRequestCountPerTarget), each put again only when its normalized configuration
    differs), in one module run (one process, one client) for the whole list.
  - The result has one entry per target in C(results) (its label as C(item), C(changed),
    C(changes), C(policy_arns)), and C(--diff) shows a before/after per target that differs.
  - With I(state=absent) every listed scalable target is deregistered (its policies go with it).
  - One declared list is the whole family; scalable targets not in it are left alone.
options:
  scalable_targets:
    description: The scalable targets, each reconciled on its own.
    type: list
    elements: dict
    required: true
    suboptions:
      resource_id:
        description: The resource, e.g. C(service/<cluster>/<service>).
        type: str
        required: true
      label:
        description: How C(results) (as C(item)) and C(scalable_targets) name it (default its resource id).
        type: str
      service_namespace: {description: The namespace., type: str, default: ecs}
      scalable_dimension: {description: The dimension., type: str, default: "ecs:service:DesiredCount"}
      min_capacity: {description: Minimum capacity. Required with I(state=present)., type: int}
      max_capacity: {description: Maximum capacity. Required with I(state=present)., type: int}
      policies:
        description: Target tracking policies.
        type: list
        elements: dict
        default: []
        suboptions:
          name: {description: Policy name., type: str, required: true}
          metric:
            description: C(cpu), C(memory) or C(alb_requests) (a predefined metric type may be given instead).
            type: str
            required: true
          target: {description: The target value., type: float, required: true}
          resource_label:
            description: For C(alb_requests), C(app/<alb>/<id>/targetgroup/<tg>/<id>).
            type: str
          scale_in_cooldown: {description: Seconds., type: int, default: 300}
          scale_out_cooldown: {description: Seconds., type: int, default: 60}
          disable_scale_in: {description: Never scale in., type: bool, default: false}
      purge_policies: {description: Delete policies that are not declared., type: bool, default: true}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Scale the gallery and the streaming service between 1 and 3 tasks
  vf_app_autoscalings:
    scalable_targets:
      - resource_id: service/video-forge-dev/gallery
        label: gallery
        min_capacity: 1
        max_capacity: 3
        policies:
          - {name: cpu, metric: cpu, target: 70}
          - name: requests
            metric: alb_requests
            target: 1000
            resource_label: "{{ alb_suffix }}/{{ tg_suffix }}"
      - resource_id: service/video-forge-dev/streaming
        label: streaming
        min_capacity: 1
        max_capacity: 3
        policies: [{name: memory, metric: memory, target: 70}]
"""

RETURN = r"""
results:
  description:
    - Per target, in the declared order, its result (C(resource_id),
      C(policy_arns)), with C(item) (its label), C(changed) and C(changes).
  returned: always
  type: list
  elements: dict
scalable_targets:
  description: Label -> that target's result.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import app_autoscaling_plan
from ansible.module_utils.vf_autoscaling_aws import (
    APP_AUTOSCALING_OPTIONS,
    apply_app_autoscaling,
    read_app_autoscaling,
)
from ansible.module_utils.vf_module import family_items, module_args, reconcile_family

OPTIONS = {
    "scalable_targets": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {**APP_AUTOSCALING_OPTIONS, "label": {"type": "str"}},
    },
}


def main() -> None:
    """Reconcile the scalable targets and their policies."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False))
    capacities = ("min_capacity", "max_capacity")
    targets = family_items(module, "scalable_targets", "resource_id", "scalable target", capacities)
    reconcile_family(
        module,
        "scalable_targets",
        ("state",),
        read_app_autoscaling,
        app_autoscaling_plan,
        apply_app_autoscaling,
        items=targets,
    )


if __name__ == "__main__":
    main()
