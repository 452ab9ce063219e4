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
    an alarm such as the catalog's "queue depth > 5") are supported too.
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
extends_documentation_fragment: [vf_aws, vf_aws.state]
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
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import scaling_policy_plan
from ansible.module_utils.vf_autoscaling_aws import (
    SCALING_POLICY_OPTIONS,
    apply_scaling_policy,
    read_scaling_policy,
)
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one scaling policy of an Auto Scaling Group."""
    module = AnsibleModule(**module_args(SCALING_POLICY_OPTIONS, tags=False))
    reconcile(module, read_scaling_policy, scaling_policy_plan, apply_scaling_policy)


if __name__ == "__main__":
    main()
