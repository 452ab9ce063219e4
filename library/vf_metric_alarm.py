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
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the alarm.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Scale out when more than 5 jobs wait (the design document's simple alarm)
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
changes:
  description: Fields that differ from the declared alarm.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
)
from ansible.module_utils.vf_cloudwatch import alarm_changes, normalize_alarm


def desired_alarm(p: dict) -> dict:
    alarm: dict = {
        "AlarmName": p["name"],
        "AlarmDescription": p["description"],
        "ActionsEnabled": True,
        "AlarmActions": p["alarm_actions"],
        "OKActions": p["ok_actions"],
        "ComparisonOperator": p["comparison_operator"],
        "Threshold": float(p["threshold"]),
        "EvaluationPeriods": p["evaluation_periods"],
        "TreatMissingData": p["treat_missing_data"],
    }
    if p["datapoints_to_alarm"] is not None:
        alarm["DatapointsToAlarm"] = p["datapoints_to_alarm"]
    if p["metrics"]:
        alarm["Metrics"] = p["metrics"]
    else:
        alarm.update(
            Namespace=p["namespace"],
            MetricName=p["metric_name"],
            Dimensions=[{"Name": k, "Value": str(v)} for k, v in sorted(p["dimensions"].items())],
            Statistic=p["statistic"],
            Period=p["period"],
        )
    return alarm


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        description={"type": "str", "default": ""},
        namespace={"type": "str"},
        metric_name={"type": "str"},
        dimensions={"type": "dict", "default": {}},
        statistic={"type": "str", "default": "Average"},
        period={"type": "int", "default": 300},
        metrics={"type": "list", "elements": "dict"},
        comparison_operator={"type": "str", "default": "GreaterThanThreshold"},
        threshold={"type": "float"},
        evaluation_periods={"type": "int", "default": 1},
        datapoints_to_alarm={"type": "int"},
        treat_missing_data={"type": "str", "default": "missing"},
        alarm_actions={"type": "list", "elements": "str", "default": []},
        ok_actions={"type": "list", "elements": "str", "default": []},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["threshold"])],
        mutually_exclusive=[("metrics", "metric_name")],
    )
    require_boto3(module.fail_json)
    p = module.params
    if p["state"] == "present" and not (p["metrics"] or (p["namespace"] and p["metric_name"])):
        module.fail_json(msg="give metrics (metric math) or namespace and metric_name")
    cw = connect_from_params("cloudwatch", p)
    name = p["name"]
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        alarms = cw.call("describe_alarms", AlarmNames=[name], AlarmTypes=["MetricAlarm"]).get(
            "MetricAlarms", []
        )
        current = alarms[0] if alarms else None
        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True, changes=["delete"], diff={"before": normalize_alarm(current), "after": {}}
                )
                if not module.check_mode:
                    cw.call("delete_alarms", AlarmNames=[name])
            module.exit_json(**result)
        desired = desired_alarm(p)
        changes = alarm_changes(current, desired)
        result["changes"] = changes
        if changes:
            result.update(
                changed=True,
                diff={
                    "before": normalize_alarm(current) if current else {},
                    "after": normalize_alarm(desired),
                },
            )
        if module.check_mode or not changes:
            module.exit_json(**result, arn=(current or {}).get("AlarmArn"))
        req = {k: v for k, v in desired.items() if v not in (None, "")}
        if p["tags"] and current is None:
            req["Tags"] = dict_to_tags(p["tags"])
        cw.call("put_metric_alarm", **req)
        fresh = cw.call("describe_alarms", AlarmNames=[name]).get("MetricAlarms", [{}])[0]
        module.exit_json(**result, arn=fresh.get("AlarmArn"))
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
