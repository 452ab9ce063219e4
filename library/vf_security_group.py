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
  - A rule's source is C(cidr) (a string or list, IPv4 or IPv6) or C(source_group) (a group id,
    or the name of a group in the same VPC).
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
        (a list) or C(from_port)/C(to_port), and C(cidr) or C(source_group), optional C(description).
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
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the group (C(Name) defaults to I(name)).
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
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
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)
from ansible.module_utils.vf_ec2 import (
    aws_permissions,
    describe_permissions,
    desired_permissions,
    permissions_of,
)


def find_group(ec2, name: str, vpc_id: str | None) -> dict | None:
    filters = [{"Name": "group-name", "Values": [name]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    groups = ec2.paginate("describe_security_groups", "SecurityGroups", Filters=filters)
    return groups[0] if groups else None


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        description={"type": "str", "default": "Managed by VideoForge"},
        vpc_id={"type": "str"},
        ingress={"type": "list", "elements": "dict", "default": []},
        egress={"type": "list", "elements": "dict", "default": [{"protocol": "all", "cidr": "0.0.0.0/0"}]},
        purge_rules={"type": "bool", "default": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True, required_if=[("state", "present", ["vpc_id"])]
    )
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    ec2 = connect_from_params("ec2", p)
    result: dict = {"name": name, "changed": False, "changes": [], "group_id": ""}
    try:
        current = find_group(ec2, name, p["vpc_id"])
        if current:
            result["group_id"] = current["GroupId"]
        if p["state"] == "absent":
            if current:
                result.update(changed=True, changes=["delete"], diff={"before": {"name": name}, "after": {}})
                if not module.check_mode:
                    ec2.call(
                        "delete_security_group",
                        GroupId=current["GroupId"],
                        retry_codes=frozenset({"DependencyViolation"}),
                    )
            module.exit_json(**result)

        missing: list[str] = []

        def resolve(ref: str) -> str:
            if ref.startswith("sg-"):
                return ref
            if ref == name:
                return current["GroupId"] if current else "(this group)"
            found = find_group(ec2, ref, p["vpc_id"])
            if found:
                return found["GroupId"]
            missing.append(ref)
            return f"(new group {ref})"

        want_in = desired_permissions(p["ingress"], resolve)
        want_out = desired_permissions(p["egress"], resolve)
        if missing and not module.check_mode:
            module.fail_json(
                msg=f"security group {name}: source group(s) {', '.join(missing)} do not exist "
                f"in VPC {p['vpc_id']}",
                **result,
            )
        have_in = permissions_of(current.get("IpPermissions")) if current else set()
        have_out = permissions_of(current.get("IpPermissionsEgress")) if current else set()
        add_in, add_out = want_in - have_in, want_out - have_out
        drop_in = (have_in - want_in) if p["purge_rules"] else set()
        drop_out = (have_out - want_out) if p["purge_rules"] else set()
        tags = tags_to_dict(current.get("Tags")) if current else {}
        want_tags = {"Name": name, **p["tags"]}
        to_set, to_remove = tag_changes(tags, want_tags, p["purge_tags"])

        changes = [] if current else ["create"]
        changes += [f"authorize ingress {r}" for r in describe_permissions(add_in)]
        changes += [f"revoke ingress {r}" for r in describe_permissions(drop_in)]
        changes += [f"authorize egress {r}" for r in describe_permissions(add_out)]
        changes += [f"revoke egress {r}" for r in describe_permissions(drop_out)]
        if current and (to_set or to_remove):
            changes.append("tags")
        result["changes"] = changes
        if not changes:
            module.exit_json(**result)
        before = (
            {"ingress": describe_permissions(have_in), "egress": describe_permissions(have_out), "tags": tags}
            if current
            else {}
        )
        after = {
            "ingress": describe_permissions((have_in - drop_in) | add_in),
            "egress": describe_permissions((have_out - drop_out) | add_out),
            "tags": want_tags if p["purge_tags"] else {**tags, **want_tags},
        }
        result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)

        if current is None:
            group_id = ec2.call(
                "create_security_group",
                GroupName=name,
                Description=p["description"],
                VpcId=p["vpc_id"],
                TagSpecifications=[{"ResourceType": "security-group", "Tags": dict_to_tags(want_tags)}],
            )["GroupId"]
            ec2.wait_until(
                lambda: find_group(ec2, name, p["vpc_id"]), bool, 60, f"security group {name} to exist", 1.0
            )
            result["group_id"] = group_id
            # A new group comes with allow-all egress; reconcile against what it really has.
            fresh = current = find_group(ec2, name, p["vpc_id"])
            have_out = permissions_of(fresh.get("IpPermissionsEgress"))
            want_in = desired_permissions(p["ingress"], resolve)
            want_out = desired_permissions(p["egress"], resolve)
            add_in, add_out = want_in, want_out - have_out
            drop_in, drop_out = set(), have_out - want_out
        else:
            group_id = current["GroupId"]
            if to_remove:
                ec2.call("delete_tags", Resources=[group_id], Tags=[{"Key": k} for k in to_remove])
            if to_set:
                ec2.call("create_tags", Resources=[group_id], Tags=dict_to_tags(to_set))
        if drop_in:
            ec2.call(
                "revoke_security_group_ingress", GroupId=group_id, IpPermissions=aws_permissions(drop_in)
            )
        if drop_out:
            ec2.call(
                "revoke_security_group_egress", GroupId=group_id, IpPermissions=aws_permissions(drop_out)
            )
        if add_in:
            ec2.call(
                "authorize_security_group_ingress", GroupId=group_id, IpPermissions=aws_permissions(add_in)
            )
        if add_out:
            ec2.call(
                "authorize_security_group_egress", GroupId=group_id, IpPermissions=aws_permissions(add_out)
            )
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
