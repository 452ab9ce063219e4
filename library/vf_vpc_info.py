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
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
)


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        vpc_id={"type": "str", "default": "default"},
        public_subnet_ids={"type": "list", "elements": "str", "default": []},
        private_subnet_ids={"type": "list", "elements": "str", "default": []},
        security_group_names={"type": "list", "elements": "str", "default": []},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    ec2 = connect_from_params("ec2", p)
    try:
        if p["vpc_id"] in ("default", "", None):
            vpcs = ec2.call("describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
            if not vpcs:
                module.fail_json(
                    msg="this region has no default VPC; set the network's vpc_id and subnet ids"
                )
        else:
            vpcs = ec2.call("describe_vpcs", VpcIds=[p["vpc_id"]])["Vpcs"]
        vpc = vpcs[0]
        vpc_id = vpc["VpcId"]
        public = sorted(p["public_subnet_ids"])
        private = sorted(p["private_subnet_ids"])
        if not public:
            subnets = ec2.paginate(
                "describe_subnets",
                "Subnets",
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "default-for-az", "Values": ["true"]},
                ],
            )
            public = sorted(s["SubnetId"] for s in subnets)
            if not public:
                module.fail_json(msg=f"VPC {vpc_id} has no default subnets; declare public_subnet_ids")
        private = private or public
        wanted = sorted(set(public) | set(private))
        found = ec2.paginate("describe_subnets", "Subnets", SubnetIds=wanted)
        foreign = sorted(s["SubnetId"] for s in found if s["VpcId"] != vpc_id)
        if foreign:
            module.fail_json(msg=f"subnets {', '.join(foreign)} are not in VPC {vpc_id}")
        groups = {}
        if p["security_group_names"]:
            described = ec2.paginate(
                "describe_security_groups",
                "SecurityGroups",
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "group-name", "Values": p["security_group_names"]},
                ],
            )
            groups = {g["GroupName"]: g["GroupId"] for g in described}
        module.exit_json(
            changed=False,
            vpc_id=vpc_id,
            cidr_block=vpc.get("CidrBlock", ""),
            public_subnet_ids=public,
            private_subnet_ids=private,
            security_groups=groups,
        )
    except AwsError as err:
        if err.code in ("InvalidVpcID.NotFound", "InvalidSubnetID.NotFound"):
            module.fail_json(msg=f"the declared network does not exist: {err.message}")
        fail_with(module.fail_json, err)


if __name__ == "__main__":
    main()
