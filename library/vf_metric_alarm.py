#!/usr/bin/python
"""Reconcile a CloudWatch metric alarm, metric-math alarms included, without false changes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_metric_alarm
short_description: Create, update or delete a CloudWatch alarm (single metric or metric math)
description:
  - Compares the declared alarm with describe_alarms after normalizing both (dimension and
    action order, numbers, C(ReturnData) defaulting to true, C(TreatMissingData) to C(missing),
    C(DatapointsToAlarm) equal to the evaluation periods, expression whitespace), so a
    metric-math alarm reports no change on a re-run.
options:
  name:
    description: The alarm name.
    type: str
    required: true
  description:
    description: The alarm description.
    type: str
    default: ""
  namespace:
    description: Namespace of a single-metric alarm.
    type: str
  metric_name:
    description: Metric of a single-metric alarm.
    type: str
  dimensions:
    description: Dimensions of a single-metric alarm (name to value).
    type: dict
    default: {}
  statistic:
    description: Statistic of a single-metric alarm.
    type: str
    default: Average
  period:
    description: Period in seconds of a single-metric alarm.
    type: int
    default: 300
  metrics:
    description: Metric-math queries (API shape) instead of a single metric.
    type: list
    elements: dict
  comparison_operator:
    description: E.g. C(GreaterThanThreshold).
    type: str
    default: GreaterThanThreshold
  threshold:
    description: The threshold.
    type: float
  evaluation_periods:
    description: Periods evaluated.
    type: int
    default: 1
  datapoints_to_alarm:
    description: Breaching datapoints needed (defaults to all evaluation periods).
    type: int
  treat_missing_data:
    description: C(missing), C(notBreaching), C(breaching) or C(ignore).
    type: str
    default: missing
  alarm_actions:
    description: ARNs to notify in ALARM (e.g. a scaling policy).
    type: list
    elements: str
    default: []
  ok_actions:
    description: ARNs to notify in OK.
    type: list
    elements: str
    default: []
  tags:
    description: Tags of the alarm.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Scale out when more than 5 jobs wait (the catalog's simple alarm)
  vf_metric_alarm:
    name: video-forge-dev-queue-depth
    namespace: AWS/SQS
    metric_name: ApproximateNumberOfMessagesVisible
    dimensions: {QueueName: video-forge-dev-video-processing-queue}
    threshold: 5
    alarm_actions: ["{{ scale_out.arn }}"]
"""

RETURN = r"""
arn:
  description: The alarm ARN.
  returned: when it exists
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_cloudwatch import alarm_plan
from ansible.module_utils.vf_cloudwatch_aws import apply_alarm, read_alarm
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": ""},
    "namespace": {"type": "str"},
    "metric_name": {"type": "str"},
    "dimensions": {"type": "dict", "default": {}},
    "statistic": {"type": "str", "default": "Average"},
    "period": {"type": "int", "default": 300},
    "metrics": {"type": "list", "elements": "dict"},
    "comparison_operator": {"type": "str", "default": "GreaterThanThreshold"},
    "threshold": {"type": "float"},
    "evaluation_periods": {"type": "int", "default": 1},
    "datapoints_to_alarm": {"type": "int"},
    "treat_missing_data": {"type": "str", "default": "missing"},
    "alarm_actions": {"type": "list", "elements": "str", "default": []},
    "ok_actions": {"type": "list", "elements": "str", "default": []},
    "tags": {"type": "dict", "default": {}},
}


def main() -> None:
    """Reconcile one CloudWatch alarm."""
    module = AnsibleModule(
        **module_args(
            OPTIONS,
            tags=False,
            required_if=[("state", "present", ["threshold"])],
            mutually_exclusive=[("metrics", "metric_name")],
        )
    )
    reconcile(module, read_alarm, alarm_plan, apply_alarm)


if __name__ == "__main__":
    main()
