#!/usr/bin/python
"""Reconcile one VPC security group and its ingress/egress rules."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_security_group
short_description: Create, update or delete a VPC security group and its rules
description:
  - Reconciles one security group, found by name in a VPC, to the declared ingress and egress
    rules and tags. Rules are compared one source at a time, so only what differs is
    authorised or revoked.
  - A rule's source is C(cidr) (a string or list, IPv4 or IPv6), C(source_group) (a group id,
    or the name of a group in the same VPC) or C(prefix_list) (a managed prefix list's id, or its
    name, such as CloudFront's C(com.amazonaws.global.cloudfront.origin-facing)).
options:
  name:
    description: The group's name.
    type: str
    required: true
  description:
    description: The group's description (fixed at creation; AWS cannot change it).
    type: str
    default: Managed by VideoForge
  vpc_id:
    description: The VPC. Required with I(state=present).
    type: str
  ingress:
    description:
      - Ingress rules, each C(protocol) (C(tcp), C(udp), C(icmp), C(all)), C(port), C(ports)
        (a list) or C(from_port)/C(to_port), and C(cidr), C(source_group) or C(prefix_list),
        optional C(description).
    type: list
    elements: dict
    default: []
  egress:
    description:
      - Egress rules, same shape as I(ingress). The default allows all traffic out, as AWS does.
    type: list
    elements: dict
    default: [{protocol: all, cidr: 0.0.0.0/0}]
  purge_rules:
    description: Revoke rules that I(ingress)/I(egress) do not declare.
    type: bool
    default: true
  tags:
    description: Tags of the group (C(Name) defaults to I(name)).
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the ALB's security group
  vf_security_group:
    name: video-forge-alb-sg
    vpc_id: vpc-0123
    ingress:
      - {protocol: tcp, port: 443, cidr: [0.0.0.0/0, "::/0"]}
      - {protocol: tcp, port: 80, cidr: 0.0.0.0/0}

- name: Ensure the services' security group (only the ALB may reach them)
  vf_security_group:
    name: video-forge-services-sg
    vpc_id: vpc-0123
    ingress:
      - {protocol: tcp, port: 3000, source_group: video-forge-alb-sg}
"""

RETURN = r"""
group_id:
  description: The group id (empty in check mode when it would be created).
  returned: always
  type: str
name:
  description: The group name.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ec2 import security_group_plan
from ansible.module_utils.vf_ec2_aws import apply_security_group, read_security_group
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": "Managed by VideoForge"},
    "vpc_id": {"type": "str"},
    "ingress": {"type": "list", "elements": "dict", "default": []},
    "egress": {"type": "list", "elements": "dict", "default": [{"protocol": "all", "cidr": "0.0.0.0/0"}]},
    "purge_rules": {"type": "bool", "default": True},
}


def main() -> None:
    """Reconcile one security group and its rules."""
    module = AnsibleModule(**module_args(OPTIONS, required_if=[("state", "present", ["vpc_id"])]))
    reconcile(module, read_security_group, security_group_plan, apply_security_group)


if __name__ == "__main__":
    main()
