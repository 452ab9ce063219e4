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
from ansible.module_utils.vf_aws import dict_to_tags, tags_to_dict
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_rds import apply_tags, describe_subnet_group, subnet_group_plan

OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": "VideoForge database subnets"},
    "subnet_ids": {"type": "list", "elements": "str", "default": []},
}


def read(aws, p: dict) -> dict:
    """The subnet group (None when there is none) and its tags."""
    group = describe_subnet_group(aws("rds"), p["name"])
    tags = {}
    if group:
        listed = aws("rds").call("list_tags_for_resource", ResourceName=group["DBSubnetGroupArn"])
        tags = tags_to_dict(listed.get("TagList"))
    return {"subnet_group": group, "tags": tags}


def apply(aws, plan, p: dict) -> dict:
    """Create, modify or delete the subnet group, then set its tags."""
    rds, steps = aws("rds"), plan.steps
    if steps.get("delete"):
        rds.call("delete_db_subnet_group", DBSubnetGroupName=p["name"])
        return {}
    if "create" in steps:
        made = rds.call(
            "create_db_subnet_group",
            DBSubnetGroupName=p["name"],
            DBSubnetGroupDescription=steps["create"]["description"],
            SubnetIds=steps["create"]["subnet_ids"],
            Tags=dict_to_tags(steps["tags"]["after"]),
        )["DBSubnetGroup"]
        return {"arn": made["DBSubnetGroupArn"], "vpc_id": made.get("VpcId", "")}
    if steps["modify"]:
        rds.call(
            "modify_db_subnet_group",
            DBSubnetGroupName=p["name"],
            DBSubnetGroupDescription=steps["modify"]["description"],
            SubnetIds=steps["modify"]["subnet_ids"],
        )
    apply_tags(rds, plan.result["arn"], steps["tags"])
    return {}


def main() -> None:
    """Reconcile one DB subnet group."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read, subnet_group_plan, apply)


if __name__ == "__main__":
    main()
