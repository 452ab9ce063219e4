#!/usr/bin/python
"""Reconcile a family of ELBv2 target groups in one VPC in one run; never touches their targets."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_target_groups
short_description: Create, update or delete several ALB target groups in one task
description:
  - Reconciles each declared target group on its own (protocol,
    port, target type, health check, deregistration delay, slow start, stickiness, tags), in
    one module run (one process, one client) for the whole list.
  - Targets are never registered or deregistered. Protocol, port, VPC and target type cannot
    change on an existing group; a difference fails, naming the group and the fields.
  - The result has one entry per group in C(results) (its label as C(item), C(changed),
    C(changes)), and C(--diff) shows a before/after per group that differs.
  - One declared list is the whole family; groups not in it are left alone.
options:
  vpc_id:
    description: The VPC of every group's targets. Required with I(state=present).
    type: str
  target_groups:
    description: The groups, each reconciled on its own in I(vpc_id).
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The group's name (at most 32 characters)., type: str, required: true}
      label:
        description: How C(results) (as C(item)) and C(target_groups) name this group (default its name).
        type: str
      protocol: {description: Protocol to the targets., type: str, choices: [HTTP, HTTPS], default: HTTP}
      port: {description: Port of the targets. Required with I(state=present)., type: int}
      target_type: {description: The type of targets., type: str, choices: [ip, instance], default: ip}
      health_check:
        description: The health check (keys not given take AWS's defaults).
        type: dict
      deregistration_delay:
        description: Seconds a deregistering target keeps its connections.
        type: int
        default: 300
      slow_start: {description: Seconds of slow start for a new target (0 is off)., type: int, default: 0}
      stickiness: {description: Sticky sessions., type: dict}
      tags: {description: The group's tags., type: dict, default: {}}
      purge_tags: {description: Remove tags not in I(tags)., type: bool, default: true}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure a target group per service
  vf_target_groups:
    vpc_id: vpc-0123456789abcdef0
    target_groups:
      - name: video-forge-gallery-tg
        port: 3000
        health_check: {path: /health, healthy_threshold: 2}
        deregistration_delay: 30
      - name: video-forge-streaming-tg
        port: 3001
        health_check: {path: /health}
"""

RETURN = r"""
results:
  description:
    - Per group, in the declared order, its result (C(target_group_arn),
      C(arn_suffix), C(health_check)), with C(item) (its label), C(changed) and C(changes).
  returned: always
  type: list
  elements: dict
target_groups:
  description: Label -> that group's result.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_elbv2 import TARGET_GROUP_OPTIONS, target_group_plan
from ansible.module_utils.vf_elbv2_aws import apply_target_group, read_target_group
from ansible.module_utils.vf_module import TAG_OPTIONS, family_items, module_args, reconcile_family

GROUP_OPTIONS = {k: v for k, v in TARGET_GROUP_OPTIONS.items() if k != "vpc_id"}
OPTIONS = {
    "vpc_id": TARGET_GROUP_OPTIONS["vpc_id"],
    "target_groups": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {**GROUP_OPTIONS, "label": {"type": "str"}, **TAG_OPTIONS},
    },
}


def main() -> None:
    """Reconcile the target groups."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False, required_if=[("state", "present", ["vpc_id"])]))
    groups = family_items(module, "target_groups", "name", "target group", ("port",), "a port")
    reconcile_family(
        module,
        "target_groups",
        ("vpc_id", "state"),
        read_target_group,
        target_group_plan,
        apply_target_group,
        items=groups,
    )


if __name__ == "__main__":
    main()
