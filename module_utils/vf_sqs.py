"""Pure comparison functions for SQS queues: attributes and redrive policies compared normalized.

SQS returns every attribute as a string and policies as JSON text whose key order and number
types vary (``"maxReceiveCount": 3`` or ``"3"``); declared values are ints and dicts. Both sides
go through the same normalization before they are compared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import canonical_json

# Declared option -> SQS attribute name.
ATTRIBUTE_NAMES = {
    "visibility_timeout": "VisibilityTimeout",
    "message_retention": "MessageRetentionPeriod",
    "receive_wait_time": "ReceiveMessageWaitTimeSeconds",
    "delay_seconds": "DelaySeconds",
    "maximum_message_size": "MaximumMessageSize",
    "sqs_managed_sse": "SqsManagedSseEnabled",
}
POLICY_ATTRIBUTES = ("RedrivePolicy", "RedriveAllowPolicy", "Policy")
# Set only at creation; SQS refuses to change them.
IMMUTABLE_ATTRIBUTES = ("FifoQueue",)


def queue_arn_like(queue_arn: str, name: str) -> str:
    """The ARN of queue ``name`` in the same account and region as ``queue_arn``."""
    return queue_arn.rsplit(":", 1)[0] + ":" + name


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> dict[str, Any]:
    return {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": int(max_receive_count)}


def redrive_allow_policy(permission: str, source_queue_arns: list[str] | None = None) -> dict[str, Any]:
    policy: dict[str, Any] = {"redrivePermission": permission}
    if permission == "byQueue":
        policy["sourceQueueArns"] = sorted(source_queue_arns or [])
    return policy


def desired_attributes(options: Mapping[str, Any]) -> dict[str, str]:
    """Declared options as SQS attributes (strings; policies as compact JSON). None = not managed."""
    attrs: dict[str, str] = {}
    for option, name in ATTRIBUTE_NAMES.items():
        value = options.get(option)
        if value is not None:
            attrs[name] = str(value).lower() if isinstance(value, bool) else str(int(value))
    for name, option in (("RedrivePolicy", "redrive_policy"), ("RedriveAllowPolicy", "redrive_allow_policy")):
        value = options.get(option)
        if value is not None:
            attrs[name] = json.dumps(value, separators=(",", ":"), sort_keys=True) if value else ""
    if options.get("fifo"):
        attrs["FifoQueue"] = "true"
    return attrs


def same_attribute(name: str, current: str | None, desired: str) -> bool:
    if name in POLICY_ATTRIBUTES:
        if not desired:
            return not current
        if not current:
            return False
        return canonical_json(current) == canonical_json(desired)
    return str(current if current is not None else "").lower() == str(desired).lower()


def attribute_changes(current: Mapping[str, str], desired: Mapping[str, str]) -> dict[str, tuple]:
    """Attribute name -> (current, desired) for every declared attribute that differs."""
    return {
        name: (current.get(name), value)
        for name, value in desired.items()
        if not same_attribute(name, current.get(name), value)
    }


def shown_attributes(attrs: Mapping[str, str | None], names) -> dict[str, Any]:
    """Attributes as the diff shows them: policies parsed, numbers as numbers."""
    shown: dict[str, Any] = {}
    for name in sorted(names):
        value = attrs.get(name)
        if name in POLICY_ATTRIBUTES and value:
            shown[name] = json.loads(value)
        elif value is not None and str(value).isdigit():
            shown[name] = int(value)
        else:
            shown[name] = value
    return shown
