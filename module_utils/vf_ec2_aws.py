"""The EC2 read and apply steps of vf_launch_template, vf_security_group and vf_vpc_info (what
they compare is pure, in vf_ec2)."""

from __future__ import annotations

import uuid

from ansible.module_utils.vf_aws import ROLE_NOT_YET, AwsError, apply_tags, dict_to_tags
from ansible.module_utils.vf_ec2 import (
    aws_permissions,
    desired_permissions,
    group_resolver,
    prefix_list_names,
    rule_changes,
    source_group_names,
)
from ansible.module_utils.vf_module import ReconcileError


def read_launch_template(aws, p: dict) -> dict:
    """The template, its default version's data, and the image (from SSM unless given)."""
    ec2 = aws("ec2")
    try:
        template = ec2.call("describe_launch_templates", LaunchTemplateNames=[p["name"]])["LaunchTemplates"][
            0
        ]
    except AwsError as err:
        if "NotFound" not in err.code:
            raise
        template = None
    data = None
    if template:
        versions = ec2.call(
            "describe_launch_template_versions",
            LaunchTemplateId=template["LaunchTemplateId"],
            Versions=["$Default"],
        )
        data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    image_id = p["image_id"]
    if not image_id and p["state"] == "present":
        image_id = aws("ssm").call("get_parameter", Name=p["image_ssm_parameter"])["Parameter"]["Value"]
    return {"template": template, "data": data, "image_id": image_id}


def apply_launch_template(aws, plan, p: dict) -> dict:
    """Create, or add a version and make it the default (the group's refresh rolls it out)."""
    ec2, data = aws("ec2"), plan.steps.get("data")
    template_id = plan.result["id"]
    # The client token makes a retry after a timeout return what the first request made (not a
    # second version); EC2 may refuse a just-made instance profile until IAM has settled.
    once = {"ClientToken": str(uuid.uuid4()), "not_yet": ROLE_NOT_YET}
    if template_id is None:
        req = {"LaunchTemplateName": p["name"], "LaunchTemplateData": data}
        if p["tags"]:
            req["TagSpecifications"] = [{"ResourceType": "launch-template", "Tags": dict_to_tags(p["tags"])}]
        created = ec2.call("create_launch_template", **once, **req)["LaunchTemplate"]
        return {"id": created["LaunchTemplateId"], "default_version": 1, "latest_version": 1}
    version = ec2.call(
        "create_launch_template_version", **once, LaunchTemplateId=template_id, LaunchTemplateData=data
    )
    number = int(version["LaunchTemplateVersion"]["VersionNumber"])
    ec2.call("modify_launch_template", LaunchTemplateId=template_id, DefaultVersion=str(number))
    return {"default_version": number, "latest_version": number}


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


def read_security_group(aws, p: dict) -> dict:
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


def apply_security_group(aws, plan, p: dict) -> dict:
    """Create or tag the group, then revoke and authorise the planned rules."""
    ec2, steps = aws("ec2"), plan.steps
    group_id = plan.result["group_id"]
    if not group_id:
        group_id, steps = create_security_group(ec2, p, plan)
    else:
        apply_tags(ec2, "ec2", group_id, steps["tags"]["set"], steps["tags"]["remove"])
    for key, call in RULE_CALLS.items():
        if steps[key]:
            ec2.call(call, GroupId=group_id, IpPermissions=aws_permissions(steps[key]))
    return {"group_id": group_id}


def create_security_group(ec2, p: dict, plan) -> tuple[str, dict]:
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


NOT_FOUND = frozenset({"InvalidVpcID.NotFound", "InvalidSubnetID.NotFound"})


def read_vpc(aws, p: dict) -> dict:
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
