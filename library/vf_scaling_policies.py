#!/usr/bin/python
"""Reconcile the scaling policies of one Auto Scaling Group in one run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_scaling_policies
short_description: Create, update or delete several scaling policies of one Auto Scaling Group
description:
  - Reconciles each declared policy of the group on its own
    (target tracking, metric math included, or simple scaling; C(state=absent) deletes it),
    in one module run (one process, one client) for the whole list.
  - The result has one entry per policy in C(results) (its name as C(item), C(changed),
    C(changes), C(arn)), and C(--diff) shows a before/after per policy that differs.
  - Policies of the group that the list does not name are left alone.
options:
  group:
    description: The Auto Scaling Group name.
    type: str
    required: true
  policies:
    description: The policies, each reconciled on its own in I(group).
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The policy name., type: str, required: true}
      state: {description: C(present) or C(absent)., type: str, choices: [present, absent], default: present}
      policy_type:
        description: C(TargetTrackingScaling) or C(SimpleScaling).
        type: str
        choices: [TargetTrackingScaling, SimpleScaling]
        default: TargetTrackingScaling
      target_value: {description: Target value (target tracking)., type: float}
      predefined_metric: {description: Predefined metric type (target tracking)., type: str}
      metrics: {description: Metric-math queries (API shape)., type: list, elements: dict}
      estimated_instance_warmup: {description: Seconds before a new instance counts in the metric., type: int}
      disable_scale_in: {description: Never scale in (target tracking)., type: bool, default: false}
      adjustment_type: {description: Simple scaling adjustment type., type: str, default: ChangeInCapacity}
      scaling_adjustment: {description: Simple scaling adjustment., type: int}
      cooldown: {description: Simple scaling cooldown in seconds., type: int}
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Scale from zero, never on CPU
  vf_scaling_policies:
    group: video-forge-dev-processor
    policies:
      - name: cpu
        state: absent
      - name: scale-from-zero
        policy_type: SimpleScaling
        adjustment_type: ExactCapacity
        scaling_adjustment: 1
        cooldown: 60
  register: policies
"""

RETURN = r"""
results:
  description: Per policy, in the declared order, its result (C(arn)), with C(item) (the name).
  returned: always
  type: list
  elements: dict
scaling_policies:
  description: Name -> that policy's result (C(arn), C(changed), C(changes)).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import scaling_policy_plan
from ansible.module_utils.vf_autoscaling_aws import (
    SCALING_POLICY_OPTIONS,
    apply_scaling_policy,
    read_scaling_policy,
)
from ansible.module_utils.vf_module import STATE_OPTION, family_items, module_args, reconcile_family

POLICY_OPTIONS = {k: v for k, v in SCALING_POLICY_OPTIONS.items() if k != "group"}
OPTIONS = {
    "group": SCALING_POLICY_OPTIONS["group"],
    "policies": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {**POLICY_OPTIONS, **STATE_OPTION},
    },
}


def main() -> None:
    """Reconcile the group's policies."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    policies = family_items(module, "policies", "name", "policy")
    reconcile_family(
        module,
        "scaling_policies",
        ("group",),
        read_scaling_policy,
        scaling_policy_plan,
        apply_scaling_policy,
        items=policies,
    )


if __name__ == "__main__":
    main()
