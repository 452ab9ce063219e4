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
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion, tag_plan

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


# --- the plan of vf_sqs_queue -------------------------------------------------------------

QUEUE_OPTIONS = ("visibility_timeout", "message_retention", "receive_wait_time", "delay_seconds")
QUEUE_OPTIONS += ("maximum_message_size", "sqs_managed_sse", "fifo")


def declared_options(
    p: Mapping[str, Any], own_arn: str | None, dead_letter_arn: str | None
) -> dict[str, Any]:
    """The declared queue options, with the redrive policies built from ARNs."""
    options = {k: p[k] for k in QUEUE_OPTIONS}
    if p["dead_letter_queue"] is not None:
        options["redrive_policy"] = (
            redrive_policy(dead_letter_arn, p["max_receive_count"]) if p["dead_letter_queue"] else {}
        )
    allow = p["redrive_allow"]
    if allow and own_arn:  # the allow policy names source queues by ARN, in this account and region
        sources = [
            s if s.startswith("arn:") else queue_arn_like(own_arn, s)
            for s in allow.get("source_queues") or []
        ]
        options["redrive_allow_policy"] = redrive_allow_policy(allow.get("permission", "byQueue"), sources)
    elif allow is not None and not allow:
        options["redrive_allow_policy"] = {}
    return options


def queue_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one queue. ``current``: ``url`` (None when missing), ``attributes``
    (get_queue_attributes), ``tags``, ``dead_letter_arn`` and ``redrive_allow_supported``."""
    name, url, attrs = p["name"], current["url"], dict(current["attributes"])
    result = {"name": name, "queue_url": url or "", "queue_arn": attrs.get("QueueArn", ""), "attributes": {}}
    if p["state"] == "absent":
        return deletion(
            result, {"name": name} if url else None, Call("sqs", "delete_queue", {"QueueUrl": url})
        )
    dead_letter_arn = current["dead_letter_arn"]
    if p["dead_letter_queue"] and dead_letter_arn is None:
        if not check_mode:
            raise ReconcileError(
                f"queue {name}: dead-letter queue {p['dead_letter_queue']} does not exist", **result
            )
        dead_letter_arn = f"(new queue {p['dead_letter_queue']})"
    options, warnings = declared_options(p, attrs.get("QueueArn"), dead_letter_arn), []
    if (
        url
        and not current["redrive_allow_supported"]
        and options.pop("redrive_allow_policy", None) is not None
    ):
        warnings.append(REDRIVE_ALLOW_UNSUPPORTED.format(name=name))
    desired = desired_attributes(options)
    changed = attribute_changes(attrs, desired) if url else {}
    if "FifoQueue" in changed:
        raise ReconcileError(f"queue {name}: FifoQueue cannot change on an existing queue", **result)
    tags_to = tag_plan(current["tags"], p["tags"], p["purge_tags"])
    changes = [] if url else ["create"]
    changes += [f"{k} {_shown(k, old)!r} -> {_shown(k, new)!r}" for k, (old, new) in changed.items()]
    changes += ["tags"] if url and (tags_to["set"] or tags_to["remove"]) else []
    result["attributes"] = shown_attributes({**attrs, **desired}, desired)
    # A new queue gets its allow policy once its ARN is known (right after creation).
    pending_allow = p["redrive_allow"] if p["redrive_allow"] and not attrs.get("QueueArn") else None
    after = {"attributes": dict(result["attributes"]), "tags": tags_to["after"]}
    if pending_allow:
        after["attributes"]["RedriveAllowPolicy"] = {
            "redrivePermission": pending_allow.get("permission", "byQueue"),
            "sourceQueues": pending_allow.get("source_queues") or [],
        }
    before = {"attributes": shown_attributes(attrs, desired), "tags": current["tags"]} if url else {}
    steps = {"attributes": desired if not url else {k: new for k, (_, new) in changed.items()}}
    steps.update(tags=tags_to, pending_allow=pending_allow)
    return Plan(changes, before, after, result, steps, warnings)


REDRIVE_ALLOW_UNSUPPORTED = (
    "queue {name}: this SQS endpoint does not support redrive-allow policies; not managed"
)


def _shown(name: str, value: str | None) -> Any:
    return shown_attributes({name: value}, [name])[name]
