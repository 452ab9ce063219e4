#!/usr/bin/python
"""Reconcile one RDS DB subnet group."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_rds_subnet_group
short_description: Create, update or delete an RDS DB subnet group
description:
  - Reconciles one DB subnet group (its description, subnets and tags), the subnets a DB
    instance may be placed in (RDS wants at least two availability zones).
  - Subnets compare as a set; a run that finds them as declared calls nothing that changes them.
options:
  name:
    description: The subnet group's name.
    type: str
    required: true
  description:
    description: Its description.
    type: str
    default: VideoForge database subnets
  subnet_ids:
    description: The subnet ids. Required with I(state=present).
    type: list
    elements: str
    default: []
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
notes:
  - In check mode, subnets an earlier task would publish (empty strings) are accepted.
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the database's subnet group over the private subnets
  vf_rds_subnet_group:
    name: video-forge-dev-db
    subnet_ids: [subnet-aaa, subnet-bbb]
"""

RETURN = r"""
arn:
  description: The subnet group's ARN (empty in check mode when it would be created).
  returned: always
  type: str
vpc_id:
  description: The VPC of its subnets.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_rds import subnet_group_plan
from ansible.module_utils.vf_rds_aws import apply_subnet_group, read_subnet_group

OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": "VideoForge database subnets"},
    "subnet_ids": {"type": "list", "elements": "str", "default": []},
}


def main() -> None:
    """Reconcile one DB subnet group."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read_subnet_group, subnet_group_plan, apply_subnet_group)


if __name__ == "__main__":
    main()
