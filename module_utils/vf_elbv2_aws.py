"""The ELBv2 reads the edge modules share (they make calls; what they compare is in vf_elbv2).

One way to find a target group by name, one way to read tags in batches of 20.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible.module_utils.vf_aws import AwsClient, AwsError, tags_to_dict

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
            groups = elb.call("describe_target_groups", Names=batch)["TargetGroups"]
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
        return elb.call("describe_target_groups", Names=[name])["TargetGroups"][0]
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
