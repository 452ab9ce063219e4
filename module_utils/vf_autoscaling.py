"""Pure comparison functions for EC2 Auto Scaling, Application Auto Scaling and launch templates."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_cloudwatch import normalize_dimensions, normalize_metric_queries


def normalize_target_tracking(cfg: Mapping[str, Any] | None, cooldown_default: int | None = None) -> dict:
    """A target tracking configuration (EC2 Auto Scaling or Application Auto Scaling shape).

    ``DisableScaleIn`` defaults to false; cooldowns, when the service has a default
    (``cooldown_default``), are filled with it; numbers compare as numbers.
    """
    cfg = dict(cfg or {})
    out: dict[str, Any] = {
        "TargetValue": float(cfg.get("TargetValue", 0)),
        "DisableScaleIn": bool(cfg.get("DisableScaleIn", False)),
    }
    predefined = cfg.get("PredefinedMetricSpecification")
    if predefined:
        out["Predefined"] = {
            "PredefinedMetricType": predefined["PredefinedMetricType"],
            "ResourceLabel": predefined.get("ResourceLabel") or "",
        }
    custom = cfg.get("CustomizedMetricSpecification")
    if custom:
        if custom.get("Metrics"):
            out["Customized"] = {"Metrics": normalize_metric_queries(custom["Metrics"])}
        else:
            out["Customized"] = {
                "Namespace": custom.get("Namespace"),
                "MetricName": custom.get("MetricName"),
                "Dimensions": normalize_dimensions(custom.get("Dimensions")),
                "Statistic": custom.get("Statistic"),
                "Unit": custom.get("Unit") or "",
            }
    for key in ("ScaleOutCooldown", "ScaleInCooldown"):
        value = cfg.get(key, cooldown_default)
        if value is not None:
            out[key] = int(value)
    return out


# --- Application Auto Scaling -------------------------------------------------------------

ECS_COOLDOWN_DEFAULT = 300


def scalable_target_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    if current is None:
        return ["create"]
    changes = []
    if int(current["MinCapacity"]) != int(desired["min_capacity"]):
        changes.append("min_capacity")
    if int(current["MaxCapacity"]) != int(desired["max_capacity"]):
        changes.append("max_capacity")
    return changes


def app_policy_changes(
    current: list[Mapping[str, Any]], desired: Mapping[str, Mapping[str, Any]], purge: bool
) -> tuple[list[str], list[str]]:
    """(policy names to put, policy names to delete). ``desired`` maps a name to its
    TargetTrackingScalingPolicyConfiguration; ``current`` is describe_scaling_policies' list."""
    now = {p["PolicyName"]: p for p in current}
    to_put = []
    for name, cfg in desired.items():
        cur = now.get(name)
        if (
            cur is None
            or cur.get("PolicyType") != "TargetTrackingScaling"
            or normalize_target_tracking(
                cur.get("TargetTrackingScalingPolicyConfiguration"), ECS_COOLDOWN_DEFAULT
            )
            != normalize_target_tracking(cfg, ECS_COOLDOWN_DEFAULT)
        ):
            to_put.append(name)
    to_delete = sorted(n for n in now if n not in desired) if purge else []
    return sorted(to_put), to_delete


# --- EC2 Auto Scaling --------------------------------------------------------------------


def _subnets(value: str | list[str] | None) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return sorted(s.strip() for s in value or [] if s.strip())


def asg_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs between describe_auto_scaling_groups' entry and the declared group.

    ``desired`` (snake_case module params): min_size, max_size, desired_capacity,
    preserve_desired_capacity, launch_template {name, version}, subnets, health_check_type,
    health_check_grace_period, default_instance_warmup, metrics, tags, purge_tags.
    ``DefaultInstanceWarmup`` is compared only when declared: AWS omits it when unset.
    """
    if current is None:
        return ["create"]
    changes = []
    if int(current["MinSize"]) != desired["min_size"]:
        changes.append("min_size")
    if int(current["MaxSize"]) != desired["max_size"]:
        changes.append("max_size")
    desired_capacity = desired.get("desired_capacity")
    if desired_capacity is not None:
        cur = int(current.get("DesiredCapacity", 0))
        outside = not desired["min_size"] <= cur <= desired["max_size"]
        if (not desired.get("preserve_desired_capacity") or outside) and cur != desired_capacity:
            changes.append("desired_capacity")
    lt = current.get("LaunchTemplate") or (current.get("MixedInstancesPolicy") or {}).get(
        "LaunchTemplate", {}
    ).get("LaunchTemplateSpecification", {})
    want = desired["launch_template"]
    if lt.get("LaunchTemplateName") != want["name"] or str(lt.get("Version", "$Default")) != str(
        want.get("version") or "$Default"
    ):
        changes.append("launch_template")
    if _subnets(current.get("VPCZoneIdentifier")) != _subnets(desired.get("subnets")):
        changes.append("subnets")
    if (current.get("HealthCheckType") or "EC2") != desired.get("health_check_type", "EC2"):
        changes.append("health_check_type")
    grace = desired.get("health_check_grace_period")
    if grace is not None and int(current.get("HealthCheckGracePeriod") or 0) != grace:
        changes.append("health_check_grace_period")
    warmup = desired.get("default_instance_warmup")
    if warmup is not None and current.get("DefaultInstanceWarmup") != warmup:
        changes.append("default_instance_warmup")
    enabled = sorted(m["Metric"] for m in current.get("EnabledMetrics") or [])
    if sorted(desired.get("metrics") or []) != enabled:
        changes.append("metrics")
    if asg_tag_changes(
        current.get("Tags") or [], desired.get("tags") or {}, desired.get("purge_tags", True)
    ) != (
        [],
        [],
    ):
        changes.append("tags")
    return changes


def asg_tag_changes(
    current: list[Mapping[str, Any]], desired: Mapping[str, str], purge: bool
) -> tuple[list[str], list[str]]:
    """(keys to set, keys to delete). Every declared tag propagates to instances."""
    now = {t["Key"]: (t["Value"], bool(t.get("PropagateAtLaunch"))) for t in current}
    to_set = sorted(k for k, v in desired.items() if now.get(k) != (str(v), True))
    to_delete = sorted(k for k in now if k not in desired and not k.startswith("aws:")) if purge else []
    return to_set, to_delete


# --- launch templates ----------------------------------------------------------------------


def decode_user_data(value: str | None) -> str:
    if not value:
        return ""
    try:
        return base64.b64decode(value).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value


def encode_user_data(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def normalize_launch_template_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """LaunchTemplateData in one comparable shape: user data decoded, lists sorted, empty dropped."""
    out: dict[str, Any] = {}
    for key in ("ImageId", "InstanceType", "KeyName", "EbsOptimized"):
        if data.get(key) not in (None, ""):
            out[key] = data[key]
    if data.get("UserData"):
        out["UserData"] = decode_user_data(data["UserData"])
    if data.get("IamInstanceProfile"):
        out["IamInstanceProfile"] = {k: v for k, v in data["IamInstanceProfile"].items() if v}
    if data.get("SecurityGroupIds"):
        out["SecurityGroupIds"] = sorted(data["SecurityGroupIds"])
    if data.get("MetadataOptions"):
        meta = {k: v for k, v in data["MetadataOptions"].items() if k != "State" and v is not None}
        out["MetadataOptions"] = meta
    if data.get("Monitoring"):
        out["Monitoring"] = {"Enabled": bool(data["Monitoring"].get("Enabled"))}
    if data.get("BlockDeviceMappings"):
        out["BlockDeviceMappings"] = sorted(
            (
                {
                    "DeviceName": b["DeviceName"],
                    "Ebs": {k: v for k, v in (b.get("Ebs") or {}).items() if v is not None},
                }
                for b in data["BlockDeviceMappings"]
            ),
            key=lambda b: b["DeviceName"],
        )
    if data.get("TagSpecifications"):
        out["TagSpecifications"] = sorted(
            (
                {
                    "ResourceType": t["ResourceType"],
                    "Tags": sorted(
                        ({"Key": x["Key"], "Value": str(x["Value"])} for x in t.get("Tags") or []),
                        key=lambda x: x["Key"],
                    ),
                }
                for t in data["TagSpecifications"]
                # the template's own tags are not launch data (moto copies them into version 1)
                if t["ResourceType"] != "launch-template"
            ),
            key=lambda t: t["ResourceType"],
        )
    return out


def launch_template_data_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """Top-level LaunchTemplateData keys that differ (``["create"]`` with no template).

    ``MetadataOptions`` compares only the keys declared: AWS fills the rest with defaults.
    """
    if current is None:
        return ["create"]
    before = normalize_launch_template_data(current)
    after = normalize_launch_template_data(desired)
    if "MetadataOptions" in after and "MetadataOptions" in before:
        before["MetadataOptions"] = {
            k: v for k, v in before["MetadataOptions"].items() if k in after["MetadataOptions"]
        }
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def scaling_policy_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """What differs between describe_policies' entry and the declared policy (put_scaling_policy shape)."""
    if current is None:
        return ["create"]
    changes = []
    if current.get("PolicyType") != desired["PolicyType"]:
        changes.append("policy_type")
    if desired["PolicyType"] == "TargetTrackingScaling":
        if normalize_target_tracking(current.get("TargetTrackingConfiguration")) != normalize_target_tracking(
            desired.get("TargetTrackingConfiguration")
        ):
            changes.append("target_tracking")
        warm = desired.get("EstimatedInstanceWarmup")
        if warm is not None and current.get("EstimatedInstanceWarmup") != warm:
            changes.append("estimated_instance_warmup")
    else:
        for key in ("AdjustmentType", "ScalingAdjustment", "Cooldown"):
            if desired.get(key) is not None and current.get(key) != desired[key]:
                changes.append(key)
    if bool(current.get("Enabled", True)) != bool(desired.get("Enabled", True)):
        changes.append("enabled")
    return changes
