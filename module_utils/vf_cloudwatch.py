"""Pure comparison functions for CloudWatch alarms, metric-math alarms included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import dict_to_tags
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion

ALARM_FIELDS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)


def normalize_dimensions(dimensions: list[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    return sorted(
        ({"Name": d["Name"], "Value": str(d["Value"])} for d in dimensions or []), key=lambda d: d["Name"]
    )


def normalize_metric_stat(stat: Mapping[str, Any]) -> dict[str, Any]:
    metric = stat.get("Metric") or {}
    out: dict[str, Any] = {
        "Metric": {
            "Namespace": metric.get("Namespace"),
            "MetricName": metric.get("MetricName"),
            "Dimensions": normalize_dimensions(metric.get("Dimensions")),
        },
        "Stat": stat.get("Stat"),
    }
    if stat.get("Period") is not None:
        out["Period"] = int(stat["Period"])
    if stat.get("Unit") not in (None, "None"):
        out["Unit"] = stat["Unit"]
    return out


def normalize_metric_queries(queries: list[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Metric-math queries (alarm ``Metrics`` or a target tracking customized metric's ``Metrics``)
    with defaults filled (``ReturnData`` true) and dimensions in name order, sorted by ``Id``."""
    out = []
    for q in queries or []:
        item: dict[str, Any] = {"Id": q["Id"], "ReturnData": bool(q.get("ReturnData", True))}
        if q.get("Expression"):
            item["Expression"] = " ".join(str(q["Expression"]).split())
        if q.get("MetricStat"):
            item["MetricStat"] = normalize_metric_stat(q["MetricStat"])
        if q.get("Label"):
            item["Label"] = q["Label"]
        if q.get("Period") is not None:
            item["Period"] = int(q["Period"])
        out.append(item)
    return sorted(out, key=lambda i: i["Id"])


def normalize_alarm(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """An alarm as put_metric_alarm takes it or describe_alarms returns it, in one comparable shape."""
    out: dict[str, Any] = {}
    for key in ALARM_FIELDS:
        value = alarm.get(key)
        if value in (None, "", []):
            continue
        out[key] = value
    out["ActionsEnabled"] = bool(alarm.get("ActionsEnabled", True))
    out["TreatMissingData"] = alarm.get("TreatMissingData") or "missing"
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        if key in out:
            out[key] = sorted(out[key])
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in out:
            out[key] = int(out[key])
    if "Threshold" in out:
        out["Threshold"] = float(out["Threshold"])
    if "Dimensions" in out:
        out["Dimensions"] = normalize_dimensions(out["Dimensions"])
    if "Metrics" in out:
        out["Metrics"] = normalize_metric_queries(out["Metrics"])
    if out.get("DatapointsToAlarm") == out.get("EvaluationPeriods"):
        out.pop("DatapointsToAlarm", None)  # AWS's default is "all evaluation periods"
    return out


def alarm_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """Field names that differ; ``["create"]`` when the alarm does not exist."""
    if current is None:
        return ["create"]
    before, after = normalize_alarm(current), normalize_alarm(desired)
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


# --- the plan of vf_metric_alarm ----------------------------------------------------------------


def desired_alarm(p: Mapping[str, Any]) -> dict[str, Any]:
    """The declared alarm as put_metric_alarm's arguments (one metric, or metric math)."""
    alarm: dict[str, Any] = {
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


def alarm_plan(alarm: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one alarm (``alarm``: describe_alarms' MetricAlarms entry, or None)."""
    result = {"name": p["name"], "arn": (alarm or {}).get("AlarmArn")}
    if p["state"] == "absent":
        delete = Call("cloudwatch", "delete_alarms", {"AlarmNames": [p["name"]]})
        return deletion(result, normalize_alarm(alarm) if alarm else None, delete)
    if not (p["metrics"] or (p["namespace"] and p["metric_name"])):
        raise ReconcileError("give metrics (metric math) or namespace and metric_name")
    desired = desired_alarm(p)
    changes = alarm_changes(alarm, desired)
    put = {k: v for k, v in desired.items() if v not in (None, "")}
    if p["tags"] and alarm is None:
        put["Tags"] = dict_to_tags(p["tags"])
    return Plan(
        changes, normalize_alarm(alarm) if alarm else {}, normalize_alarm(desired), result, {"put": put}
    )
