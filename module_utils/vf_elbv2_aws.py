"""The ELBv2 calls the edge modules share (what they compare is pure, in vf_elbv2).

One way to find a target group by name, one way to read tags in batches of 20, and the read
and apply steps of vf_target_group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible.module_utils.vf_aws import AwsClient, AwsError, tags_to_dict
from ansible.module_utils.vf_elbv2 import arn_suffix, modify_target_group_params, target_group_attributes_of
from ansible.module_utils.vf_module import Aws, Plan, apply_tags

MISSING_TARGET_GROUP = frozenset({"TargetGroupNotFound", "ValidationError"})


def target_group_arns(elb: AwsClient, names: Iterable[str]) -> dict[str, str | None]:
    """Target group name -> ARN (None when there is no such group).

    describe_target_groups takes up to 20 names but fails whole when one is missing; then the
    names are asked one by one."""
    names = sorted(set(names))
    found: dict[str, str | None] = {}
    for start in range(0, len(names), 20):
        batch = names[start : start + 20]
        try:
            groups = elb.paginate("describe_target_groups", "TargetGroups", Names=batch)
            found.update({g["TargetGroupName"]: g["TargetGroupArn"] for g in groups})
        except AwsError as err:
            if err.code not in MISSING_TARGET_GROUP:
                raise
            for name in batch:
                group = describe_target_group(elb, name)
                found[name] = group["TargetGroupArn"] if group else None
    return {name: found.get(name) for name in names}


def describe_target_group(elb: AwsClient, name: str) -> dict[str, Any] | None:
    """describe_target_groups' entry for ``name``, or None."""
    try:
        return elb.paginate("describe_target_groups", "TargetGroups", Names=[name])[0]
    except AwsError as err:
        if err.code in MISSING_TARGET_GROUP:
            return None
        raise


def resource_tags(elb: AwsClient, arns: list[str]) -> dict[str, dict[str, str]]:
    """ARN -> tags, for any ELBv2 resources (describe_tags takes at most 20 ARNs)."""
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        for described in elb.call("describe_tags", ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            tags[described["ResourceArn"]] = tags_to_dict(described.get("Tags"))
    return tags


def describe_load_balancer(elb: AwsClient, name: str) -> dict[str, Any] | None:
    """describe_load_balancers' entry for ``name``, or None."""
    try:
        return elb.call("describe_load_balancers", Names=[name])["LoadBalancers"][0]
    except AwsError as err:
        if err.code == "LoadBalancerNotFound":
            return None
        raise


def listeners_by_port(elb: AwsClient, load_balancer_arn: str) -> dict[int, dict[str, Any]]:
    """Port -> described listener of a load balancer."""
    listeners = elb.paginate("describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn)
    return {int(li["Port"]): li for li in listeners}


def read_target_group(aws: Aws, p: dict) -> dict[str, Any]:
    """A target group by name with its attributes and tags (``target_group`` None if missing)."""
    elb = aws("elbv2")
    group = describe_target_group(elb, p["name"])
    if group is None:
        return {"target_group": None, "attributes": {}, "tags": {}}
    arn = group["TargetGroupArn"]
    attributes = elb.call("describe_target_group_attributes", TargetGroupArn=arn)["Attributes"]
    return {
        "target_group": group,
        "attributes": target_group_attributes_of(attributes),
        "tags": resource_tags(elb, [arn]).get(arn, {}),
    }


def apply_target_group(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Create or modify the target group as planned; its targets stay as they are."""
    elb, steps = aws("elbv2"), plan.steps
    arn, out = plan.result["target_group_arn"], {}
    if "create" in steps:
        arn = elb.call("create_target_group", **steps["create"])["TargetGroups"][0]["TargetGroupArn"]
        out = {"target_group_arn": arn, "arn_suffix": arn_suffix(arn)}
    else:
        if steps["health_check"]:
            elb.call(
                "modify_target_group", TargetGroupArn=arn, **modify_target_group_params(steps["health_check"])
            )
        apply_tags(elb, "elbv2", arn, steps["tags"]["set"], steps["tags"]["remove"])
    if steps["attributes"]:
        attributes = [{"Key": k, "Value": v} for k, v in sorted(steps["attributes"].items())]
        elb.call("modify_target_group_attributes", TargetGroupArn=arn, Attributes=attributes)
    return out
