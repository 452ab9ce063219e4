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
from ansible.module_utils.vf_aws import AwsError
from ansible.module_utils.vf_ec2 import network_plan
from ansible.module_utils.vf_module import ReconcileError, module_args, reconcile

OPTIONS = {
    "vpc_id": {"type": "str", "default": "default"},
    "public_subnet_ids": {"type": "list", "elements": "str", "default": []},
    "private_subnet_ids": {"type": "list", "elements": "str", "default": []},
    "security_group_names": {"type": "list", "elements": "str", "default": []},
}
NOT_FOUND = frozenset({"InvalidVpcID.NotFound", "InvalidSubnetID.NotFound"})


def read(aws, p: dict) -> dict:
    """The VPC, its default subnets (when none are declared), the declared subnets and groups."""
    ec2 = aws("ec2")
    try:
        return read_network(ec2, p)
    except AwsError as err:
        if err.code in NOT_FOUND:
            raise ReconcileError(f"the declared network does not exist: {err.message}") from err
        raise


def read_network(ec2, p: dict) -> dict:
    """describe_vpcs, describe_subnets and describe_security_groups for the declared network."""
    found = {"vpc": None, "default_subnets": [], "subnets": [], "security_groups": {}}
    if p["vpc_id"] in ("default", "", None):
        vpcs = ec2.paginate("describe_vpcs", "Vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])
    else:
        vpcs = ec2.call("describe_vpcs", VpcIds=[p["vpc_id"]])["Vpcs"]
    if not vpcs:
        return found
    vpc_id = vpcs[0]["VpcId"]
    in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
    found["vpc"] = vpcs[0]
    if not p["public_subnet_ids"]:
        defaults = [in_vpc, {"Name": "default-for-az", "Values": ["true"]}]
        found["default_subnets"] = ec2.paginate("describe_subnets", "Subnets", Filters=defaults)
    public = p["public_subnet_ids"] or [s["SubnetId"] for s in found["default_subnets"]]
    wanted = sorted(set(public) | set(p["private_subnet_ids"]))
    if wanted:
        found["subnets"] = ec2.paginate("describe_subnets", "Subnets", SubnetIds=wanted)
    if p["security_group_names"]:
        named = [in_vpc, {"Name": "group-name", "Values": p["security_group_names"]}]
        groups = ec2.paginate("describe_security_groups", "SecurityGroups", Filters=named)
        found["security_groups"] = {g["GroupName"]: g["GroupId"] for g in groups}
    return found


def main() -> None:
    """Look up the declared network."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    reconcile(module, read, network_plan)


if __name__ == "__main__":
    main()
