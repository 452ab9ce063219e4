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
from ansible.module_utils.vf_aws import dict_to_tags
from ansible.module_utils.vf_ec2 import (
    aws_permissions,
    desired_permissions,
    group_resolver,
    prefix_list_names,
    rule_changes,
    security_group_plan,
    source_group_names,
)
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": "Managed by VideoForge"},
    "vpc_id": {"type": "str"},
    "ingress": {"type": "list", "elements": "dict", "default": []},
    "egress": {"type": "list", "elements": "dict", "default": [{"protocol": "all", "cidr": "0.0.0.0/0"}]},
    "purge_rules": {"type": "bool", "default": True},
}
# The calls that authorise or revoke each kind of planned rule change.
RULE_CALLS = {
    "drop_in": "revoke_security_group_ingress",
    "drop_out": "revoke_security_group_egress",
    "add_in": "authorize_security_group_ingress",
    "add_out": "authorize_security_group_egress",
}


def find_group(ec2, name: str, vpc_id: str | None) -> dict | None:
    """The security group named ``name`` (in ``vpc_id`` when given), or None."""
    filters = [{"Name": "group-name", "Values": [name]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    groups = ec2.paginate("describe_security_groups", "SecurityGroups", Filters=filters)
    return groups[0] if groups else None


def read(aws, p: dict) -> dict:
    """The group, and the ids of the other groups and the managed prefix lists its rules name as
    sources (a prefix list by its name, as AWS's own are known)."""
    ec2 = aws("ec2")
    rules = p["ingress"] + p["egress"] if p["state"] == "present" else []
    sources = {
        ref: (find_group(ec2, ref, p["vpc_id"]) or {}).get("GroupId")
        for ref in source_group_names(p["name"], rules)
    }
    for ref in prefix_list_names(rules):
        named = [{"Name": "prefix-list-name", "Values": [ref]}]
        found = ec2.paginate("describe_managed_prefix_lists", "PrefixLists", Filters=named)
        sources[ref] = found[0]["PrefixListId"] if found else None
    return {"group": find_group(ec2, p["name"], p["vpc_id"]), "sources": sources}


def apply(aws, plan, p: dict) -> dict:
    """Create or tag the group, then revoke and authorise the planned rules."""
    ec2, steps = aws("ec2"), plan.steps
    group_id = plan.result["group_id"]
    if not group_id:
        group_id, steps = create(ec2, p, plan)
    else:
        apply_tags(ec2, "ec2", group_id, steps["tags"]["set"], steps["tags"]["remove"])
    for key, call in RULE_CALLS.items():
        if steps[key]:
            ec2.call(call, GroupId=group_id, IpPermissions=aws_permissions(steps[key]))
    return {"group_id": group_id}


def create(ec2, p: dict, plan) -> tuple[str, dict]:
    """Create the group; its rule changes are then taken against what AWS gave it (allow-all egress)."""
    tags = dict_to_tags(plan.steps["tags"]["after"])
    group_id = ec2.call(
        "create_security_group",
        GroupName=p["name"],
        Description=p["description"],
        VpcId=p["vpc_id"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]
    fresh = ec2.wait_until(
        lambda: find_group(ec2, p["name"], p["vpc_id"]), bool, 60, f"security group {p['name']} to exist", 1.0
    )
    resolve = group_resolver(p["name"], group_id, plan.steps["sources"])
    want_in, want_out = desired_permissions(p["ingress"], resolve), desired_permissions(p["egress"], resolve)
    return group_id, rule_changes(fresh, want_in, want_out, purge=True)


def main() -> None:
    """Reconcile one security group and its rules."""
    module = AnsibleModule(**module_args(OPTIONS, required_if=[("state", "present", ["vpc_id"])]))
    reconcile(module, read, security_group_plan, apply)


if __name__ == "__main__":
    main()
