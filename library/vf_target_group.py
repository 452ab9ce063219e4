#!/usr/bin/python
"""Reconcile one ELBv2 target group (health check and attributes); never touches its targets."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_target_group
short_description: Create, update or delete an ALB target group without touching its targets
description:
  - Reconciles one target group to the declared protocol, port, target type, health check,
    deregistration delay, slow start and stickiness.
  - Targets are never registered or deregistered; ECS registers the task IPs itself, so a
    re-run never takes a running task out of service.
  - Protocol, port, VPC and target type cannot change on an existing group; a difference
    fails with the fields named instead of silently replacing the group.
options:
  name:
    description: The target group's name (at most 32 characters).
    type: str
    required: true
  protocol:
    description: Protocol to the targets.
    type: str
    choices: [HTTP, HTTPS]
    default: HTTP
  port:
    description: Port of the targets. Required with I(state=present).
    type: int
  vpc_id:
    description: The VPC of the targets. Required with I(state=present).
    type: str
  target_type:
    description: The type of targets (C(ip) for Fargate tasks).
    type: str
    choices: [ip, instance]
    default: ip
  health_check:
    description:
      - The health check. Keys not given take AWS's defaults.
    type: dict
    suboptions:
      enabled: {description: Whether health checks run., type: bool, default: true}
      protocol: {description: Protocol of the check., type: str, default: HTTP}
      port: {description: Port of the check., type: str, default: traffic-port}
      path: {description: Path that is requested., type: str, default: /}
      interval: {description: Seconds between checks., type: int, default: 30}
      timeout: {description: Seconds before a check fails., type: int, default: 5}
      healthy_threshold: {description: Passes before healthy., type: int, default: 5}
      unhealthy_threshold: {description: Failures before unhealthy., type: int, default: 2}
      matcher: {description: HTTP codes that pass (C(200), C(200-299))., type: str, default: "200"}
  deregistration_delay:
    description: Seconds a deregistering target keeps its connections.
    type: int
    default: 300
  slow_start:
    description: Seconds of slow start for a new target (0 is off).
    type: int
    default: 0
  stickiness:
    description: Sticky sessions.
    type: dict
    suboptions:
      enabled: {description: Whether sessions stick., type: bool, default: false}
      type: {description: Cookie type., type: str, default: lb_cookie}
      duration: {description: Cookie lifetime in seconds., type: int, default: 86400}
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the gallery target group
  vf_target_group:
    name: video-forge-gallery-tg
    port: 3000
    vpc_id: vpc-0123456789abcdef0
    health_check:
      path: /health
      healthy_threshold: 2
      unhealthy_threshold: 3
    deregistration_delay: 30
    tags:
      Project: VideoForge
"""

RETURN = r"""
target_group_arn:
  description: The ARN (empty in check mode when the group would be created).
  returned: always
  type: str
arn_suffix:
  description: The C(targetgroup/name/id) part, the CloudWatch dimension and ALBRequestCountPerTarget label.
  returned: always
  type: str
name:
  description: The name.
  returned: always
  type: str
health_check:
  description: The health check after the run.
  returned: when present
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_elbv2 import TARGET_GROUP_OPTIONS, target_group_plan
from ansible.module_utils.vf_elbv2_aws import apply_target_group, read_target_group
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one target group."""
    module = AnsibleModule(
        **module_args(TARGET_GROUP_OPTIONS, required_if=[("state", "present", ["port", "vpc_id"])])
    )
    reconcile(module, read_target_group, target_group_plan, apply_target_group)


if __name__ == "__main__":
    main()
