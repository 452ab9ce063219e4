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
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_sqs import queue_plan
from ansible.module_utils.vf_sqs_aws import apply_sqs_queue, read_sqs_queue

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


def main() -> None:
    """Reconcile one queue."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read_sqs_queue, queue_plan, apply_sqs_queue)


if __name__ == "__main__":
    main()
