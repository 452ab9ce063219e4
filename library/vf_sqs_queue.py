#!/usr/bin/python
"""Reconcile one SQS queue: attributes, redrive policy and redrive-allow policy, compared normalized."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_sqs_queue
short_description: Create, update or delete an SQS queue with its dead-letter settings
description:
  - Reconciles one queue's attributes (visibility timeout, retention, long polling, delay,
    maximum size, SSE), its redrive policy (dead-letter queue and maximum receives) and its
    redrive-allow policy (which queues may use it as their dead-letter queue).
  - Attributes and policies are compared normalized (numbers versus strings, key order,
    whitespace), so a re-run changes nothing.
  - Options left unset are not managed; I(dead_letter_queue) and I(redrive_allow) set to an
    empty value remove the policy.
options:
  name:
    description: The queue name (ending in C(.fifo) for a FIFO queue).
    type: str
    required: true
  fifo:
    description: A FIFO queue (set at creation only).
    type: bool
    default: false
  visibility_timeout:
    description: Seconds a received message stays invisible.
    type: int
  message_retention:
    description: Seconds a message is kept (60 to 1209600).
    type: int
  receive_wait_time:
    description: Long polling, seconds (0 to 20).
    type: int
  delay_seconds:
    description: Delivery delay of new messages, seconds.
    type: int
  maximum_message_size:
    description: Largest message in bytes.
    type: int
  sqs_managed_sse:
    description: Server-side encryption with SQS-owned keys.
    type: bool
  dead_letter_queue:
    description:
      - Name or ARN of the dead-letter queue (the redrive policy). An empty string removes it.
    type: str
  max_receive_count:
    description: Receives before a message moves to the dead-letter queue.
    type: int
    default: 3
  redrive_allow:
    description:
      - The redrive-allow policy of a dead-letter queue. An empty dict removes it.
      - C(permission) is C(allowAll), C(denyAll) or C(byQueue); C(source_queues) lists the
        names or ARNs of the queues allowed with C(byQueue).
    type: dict
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
notes:
  - AWS applies attribute changes within about a minute; the module reports them at once.
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the dead-letter queue, usable only by the job queue
  vf_sqs_queue:
    name: video-forge-video-processing-queue-dlq
    message_retention: 1209600
    redrive_allow:
      permission: byQueue
      source_queues: [video-forge-video-processing-queue]

- name: Ensure the job queue
  vf_sqs_queue:
    name: video-forge-video-processing-queue
    visibility_timeout: 300
    receive_wait_time: 20
    message_retention: 345600
    dead_letter_queue: video-forge-video-processing-queue-dlq
    max_receive_count: 3
"""

RETURN = r"""
queue_url:
  description: The queue URL (empty in check mode when it would be created).
  returned: always
  type: str
queue_arn:
  description: The queue ARN (empty in check mode when it would be created).
  returned: always
  type: str
attributes:
  description: The managed attributes after the run.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import AwsError
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile
from ansible.module_utils.vf_sqs import (
    REDRIVE_ALLOW_UNSUPPORTED,
    declared_options,
    desired_attributes,
    queue_plan,
    shown_attributes,
)

OPTIONS = {
    "name": {"type": "str", "required": True},
    "fifo": {"type": "bool", "default": False},
    "visibility_timeout": {"type": "int"},
    "message_retention": {"type": "int"},
    "receive_wait_time": {"type": "int"},
    "delay_seconds": {"type": "int"},
    "maximum_message_size": {"type": "int"},
    "sqs_managed_sse": {"type": "bool"},
    "dead_letter_queue": {"type": "str"},
    "max_receive_count": {"type": "int", "default": 3},
    "redrive_allow": {"type": "dict"},
}
MISSING = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
DELETED_RECENTLY = frozenset({"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"})


def read_queue(sqs, name: str) -> tuple[str | None, dict, dict]:
    """(URL, attributes, tags) of queue ``name``; (None, {}, {}) when it does not exist."""
    try:
        url = sqs.call("get_queue_url", QueueName=name)["QueueUrl"]
    except AwsError as err:
        if err.code in MISSING:
            return None, {}, {}
        raise
    attrs = sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    return url, attrs, sqs.call("list_queue_tags", QueueUrl=url).get("Tags") or {}


def supports_redrive_allow(sqs, url: str) -> bool:
    """AWS omits RedriveAllowPolicy when none is set; an endpoint without the feature (moto)
    refuses to be asked for it by name."""
    try:
        sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])
    except AwsError as err:
        if err.code in ("InvalidAttributeName", "InvalidParameterValue"):
            return False
        raise
    return True


def read(aws, p: dict) -> dict:
    """The queue, and the ARN of its dead-letter queue when that is named."""
    sqs = aws("sqs")
    url, attrs, tags = read_queue(sqs, p["name"])
    dlq = p["dead_letter_queue"]
    dead_letter_arn = dlq if dlq and dlq.startswith("arn:") else None
    if dlq and not dead_letter_arn and p["state"] == "present":
        dead_letter_arn = read_queue(sqs, dlq)[1].get("QueueArn")
    supported = bool(url) and ("RedriveAllowPolicy" in attrs or supports_redrive_allow(sqs, url))
    return {
        "url": url,
        "attributes": attrs,
        "tags": tags,
        "dead_letter_arn": dead_letter_arn,
        "redrive_allow_supported": supported,
    }


def apply(aws, plan, p: dict) -> dict:
    """Create (then set its allow policy, which names its own ARN), or update the queue."""
    sqs, steps = aws("sqs"), plan.steps
    url = plan.result["queue_url"]
    if url:
        if steps["attributes"]:
            sqs.call("set_queue_attributes", QueueUrl=url, Attributes=steps["attributes"])
        apply_tags(sqs, "sqs", url, steps["tags"]["set"], steps["tags"]["remove"])
        return {}
    create = {"QueueName": p["name"], "Attributes": steps["attributes"]}
    if p["tags"]:
        create["tags"] = {k: str(v) for k, v in p["tags"].items()}
    url = sqs.call("create_queue", retry_codes=DELETED_RECENTLY, **create)["QueueUrl"]
    created = sqs.wait_until(
        lambda: sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]),
        lambda r: bool(r.get("Attributes", {}).get("QueueArn")),
        60,
        f"queue {p['name']} to exist",
        1.0,
    )
    own_arn = created["Attributes"]["QueueArn"]
    out = {"queue_url": url, "queue_arn": own_arn}
    if steps["pending_allow"] and not supports_redrive_allow(sqs, url):
        plan.warnings.append(REDRIVE_ALLOW_UNSUPPORTED.format(name=p["name"]))
    elif steps["pending_allow"]:
        policy = desired_attributes(
            {"redrive_allow_policy": declared_options(p, own_arn, None)["redrive_allow_policy"]}
        )
        sqs.call("set_queue_attributes", QueueUrl=url, Attributes=policy)
        everything = {**steps["attributes"], **policy}
        out["attributes"] = shown_attributes(everything, everything)
    return out


def main() -> None:
    """Reconcile one queue."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read, queue_plan, apply)


if __name__ == "__main__":
    main()
