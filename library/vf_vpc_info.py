#!/usr/bin/python
"""Look up the VPC, subnets and security groups a deployment runs in (read only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_vpc_info
short_description: Look up a VPC (or the region's default VPC), its subnets and security groups
description:
  - With I(vpc_id=default), finds the region's default VPC and its default subnets (which are
    public), and returns them as both the public and the private subnets unless subnet ids are given.
  - With a VPC id, checks that the VPC and the given subnets exist and belong to it.
  - Optionally resolves security group names in the VPC to ids (names not found are left out,
    so a check-mode run before the groups exist does not fail).
  - Never changes anything.
options:
  vpc_id:
    description: A VPC id, or C(default) for the region's default VPC.
    type: str
    default: default
  public_subnet_ids:
    description: Public subnets (load balancer). Empty means the default VPC's subnets.
    type: list
    elements: str
    default: []
  private_subnet_ids:
    description: Private subnets (services). Empty means the public ones.
    type: list
    elements: str
    default: []
  security_group_names:
    description: Security group names to resolve to ids.
    type: list
    elements: str
    default: []
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Find the default VPC and its subnets
  vf_vpc_info:
    vpc_id: default
    security_group_names: [video-forge-alb-sg]
  register: network
"""

RETURN = r"""
vpc_id:
  description: The VPC id.
  returned: always
  type: str
cidr_block:
  description: The VPC's primary CIDR block.
  returned: always
  type: str
public_subnet_ids:
  description: Public subnet ids, sorted.
  returned: always
  type: list
  elements: str
private_subnet_ids:
  description: Private subnet ids, sorted.
  returned: always
  type: list
  elements: str
security_groups:
  description: Security group name -> id, for the names found.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ec2 import network_plan
from ansible.module_utils.vf_ec2_aws import read_vpc
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "vpc_id": {"type": "str", "default": "default"},
    "public_subnet_ids": {"type": "list", "elements": "str", "default": []},
    "private_subnet_ids": {"type": "list", "elements": "str", "default": []},
    "security_group_names": {"type": "list", "elements": "str", "default": []},
}


def main() -> None:
    """Look up the declared network."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    reconcile(module, read_vpc, network_plan)


if __name__ == "__main__":
    main()
