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
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the queue.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
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
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
    tag_changes,
)
from ansible.module_utils.vf_sqs import (
    attribute_changes,
    desired_attributes,
    queue_arn_like,
    redrive_allow_policy,
    redrive_policy,
    shown_attributes,
)

UNSUPPORTED = "(not supported by this endpoint)"
MISSING = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})


def read(sqs, name: str) -> tuple[str | None, dict, dict]:
    try:
        url = sqs.call("get_queue_url", QueueName=name)["QueueUrl"]
    except AwsError as err:
        if err.code in MISSING:
            return None, {}, {}
        raise
    attrs = sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    if "RedriveAllowPolicy" not in attrs and not supports_redrive_allow(sqs, url):
        attrs["RedriveAllowPolicy"] = UNSUPPORTED
    tags = sqs.call("list_queue_tags", QueueUrl=url).get("Tags") or {}
    return url, attrs, tags


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


def queue_arn(sqs, ref: str) -> str | None:
    if ref.startswith("arn:"):
        return ref
    url, attrs, _ = read(sqs, ref)
    return attrs.get("QueueArn") if url else None


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        fifo={"type": "bool", "default": False},
        visibility_timeout={"type": "int"},
        message_retention={"type": "int"},
        receive_wait_time={"type": "int"},
        delay_seconds={"type": "int"},
        maximum_message_size={"type": "int"},
        sqs_managed_sse={"type": "bool"},
        dead_letter_queue={"type": "str"},
        max_receive_count={"type": "int", "default": 3},
        redrive_allow={"type": "dict"},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    sqs = connect_from_params("sqs", p)
    result: dict = {
        "name": name,
        "changed": False,
        "changes": [],
        "queue_url": "",
        "queue_arn": "",
        "attributes": {},
    }
    try:
        url, attrs, tags = read(sqs, name)
        if url:
            result.update(queue_url=url, queue_arn=attrs.get("QueueArn", ""))
        if p["state"] == "absent":
            if url:
                result.update(changed=True, changes=["delete"], diff={"before": {"name": name}, "after": {}})
                if not module.check_mode:
                    sqs.call("delete_queue", QueueUrl=url)
            module.exit_json(**result)

        options = {
            k: p[k]
            for k in (
                "visibility_timeout",
                "message_retention",
                "receive_wait_time",
                "delay_seconds",
                "maximum_message_size",
                "sqs_managed_sse",
                "fifo",
            )
        }
        if p["dead_letter_queue"] is not None:
            if p["dead_letter_queue"]:
                dlq_arn = queue_arn(sqs, p["dead_letter_queue"])
                if dlq_arn is None:
                    if not module.check_mode:
                        module.fail_json(
                            msg=f"queue {name}: dead-letter queue {p['dead_letter_queue']} does not exist",
                            **result,
                        )
                    dlq_arn = f"(new queue {p['dead_letter_queue']})"
                options["redrive_policy"] = redrive_policy(dlq_arn, p["max_receive_count"])
            else:
                options["redrive_policy"] = {}
        # The allow policy names source queues by ARN; names are in this queue's account and region.
        allow = p["redrive_allow"]
        own_arn = attrs.get("QueueArn")
        if allow is not None and allow and own_arn:
            sources = [
                s if s.startswith("arn:") else queue_arn_like(own_arn, s)
                for s in allow.get("source_queues") or []
            ]
            options["redrive_allow_policy"] = redrive_allow_policy(
                allow.get("permission", "byQueue"), sources
            )
        elif allow is not None and not allow:
            options["redrive_allow_policy"] = {}
        if attrs.get("RedriveAllowPolicy") == UNSUPPORTED:
            attrs.pop("RedriveAllowPolicy")
            if options.pop("redrive_allow_policy", None) is not None:
                module.warn(
                    f"queue {name}: this SQS endpoint does not support redrive-allow policies; not managed"
                )
        desired = desired_attributes(options)
        changed_attrs = attribute_changes(attrs, desired) if url else {}
        if url and "FifoQueue" in changed_attrs:
            module.fail_json(msg=f"queue {name}: FifoQueue cannot change on an existing queue", **result)
        to_set, to_remove = tag_changes(tags, p["tags"], p["purge_tags"])

        changes = [] if url else ["create"]
        changes += [
            f"{k} {shown_attributes({k: old}, [k])[k]!r} -> {shown_attributes({k: new}, [k])[k]!r}"
            for k, (old, new) in changed_attrs.items()
        ]
        if url and (to_set or to_remove):
            changes.append("tags")
        # A new queue gets its allow policy once its ARN is known (right after creation).
        pending_allow = allow is not None and bool(allow) and not own_arn
        result["changes"] = changes
        result["attributes"] = shown_attributes({**attrs, **desired}, desired)
        if not changes:
            module.exit_json(**result)
        after_tags = dict(p["tags"]) if p["purge_tags"] else {**tags, **p["tags"]}
        before = {"attributes": shown_attributes(attrs, desired), "tags": tags} if url else {}
        after = {"attributes": shown_attributes({**attrs, **desired}, desired), "tags": after_tags}
        if pending_allow:
            after["attributes"]["RedriveAllowPolicy"] = {
                "redrivePermission": allow.get("permission", "byQueue"),
                "sourceQueues": allow.get("source_queues") or [],
            }
        result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)

        if url is None:
            create = {"QueueName": name, "Attributes": desired}
            if p["tags"]:
                create["tags"] = {k: str(v) for k, v in p["tags"].items()}
            url = sqs.call(
                "create_queue",
                retry_codes=frozenset(
                    {"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"}
                ),
                **create,
            )["QueueUrl"]
            created = sqs.wait_until(
                lambda: sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]),
                lambda r: bool(r.get("Attributes", {}).get("QueueArn")),
                60,
                f"queue {name} to exist",
                1.0,
            )
            own_arn = created["Attributes"]["QueueArn"]
            if pending_allow and not supports_redrive_allow(sqs, url):
                module.warn(
                    f"queue {name}: this SQS endpoint does not support redrive-allow policies; not managed"
                )
            elif pending_allow:
                sources = [
                    s if s.startswith("arn:") else queue_arn_like(own_arn, s)
                    for s in allow.get("source_queues") or []
                ]
                policy = desired_attributes(
                    {
                        "redrive_allow_policy": redrive_allow_policy(
                            allow.get("permission", "byQueue"), sources
                        )
                    }
                )
                sqs.call("set_queue_attributes", QueueUrl=url, Attributes=policy)
                result["attributes"] = shown_attributes({**desired, **policy}, {**desired, **policy})
        else:
            if changed_attrs:
                sqs.call(
                    "set_queue_attributes",
                    QueueUrl=url,
                    Attributes={k: new for k, (_, new) in changed_attrs.items()},
                )
            if to_remove:
                sqs.call("untag_queue", QueueUrl=url, TagKeys=to_remove)
            if to_set:
                sqs.call("tag_queue", QueueUrl=url, Tags=to_set)
        result.update(queue_url=url, queue_arn=own_arn)
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
