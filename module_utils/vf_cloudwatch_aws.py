"""The CloudWatch read and apply steps of vf_metric_alarm (what it compares is pure, in vf_cloudwatch)."""

from __future__ import annotations


def read_alarm(aws, p: dict) -> dict | None:
    """The metric alarm of that name, or None."""
    alarms = aws("cloudwatch").paginate(
        "describe_alarms", "MetricAlarms", AlarmNames=[p["name"]], AlarmTypes=["MetricAlarm"]
    )
    return next((a for a in alarms if a["AlarmName"] == p["name"]), None)


def apply_alarm(aws, plan, p: dict) -> dict:
    """Put the alarm (put_metric_alarm creates and replaces)."""
    cw = aws("cloudwatch")
    cw.call("put_metric_alarm", **plan.steps["put"])
    return {"arn": (read_alarm(aws, p) or {}).get("AlarmArn")}
