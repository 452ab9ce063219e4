"""The ELBv2 calls the edge modules share (what they compare is pure, in vf_elbv2).

One way to find a target group by name, one way to read tags in batches of 20, and the read
and apply steps of vf_target_groups, vf_load_balancer and vf_listener_rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible.module_utils.vf_aws import (
    CERTIFICATE_NOT_YET,
    Aws,
    AwsClient,
    AwsError,
    apply_tags,
    dict_to_tags,
    tags_to_dict,
)
from ansible.module_utils.vf_elbv2 import (
    arn_suffix,
    aws_actions,
    forward_refs,
    listener_params,
    load_balancer_result,
    modify_target_group_params,
    target_group_attributes_of,
)
from ansible.module_utils.vf_elbv2_rules import aws_conditions, forward_targets
from ansible.module_utils.vf_module import Plan, ReconcileError

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


def read_listener_rules(aws, p: dict) -> dict:
    """The listener's rules with their tags, and the ARNs of the target groups rules name."""
    elb = aws("elbv2")
    listener_arn = p["listener_arn"]
    if listener_arn is None:
        if not p["load_balancer"]:
            raise ReconcileError("give listener_arn, or load_balancer and port")
        lb = describe_load_balancer(elb, p["load_balancer"])
        found = listeners_by_port(elb, lb["LoadBalancerArn"]).get(p["port"]) if lb else None
        listener_arn = found["ListenerArn"] if found else ""
    rules = elb.paginate("describe_rules", "Rules", ListenerArn=listener_arn) if listener_arn else []
    tags = resource_tags(elb, [r["RuleArn"] for r in rules if not r.get("IsDefault")])
    targets = forward_targets(p["rules"], p["target_groups"]) if p["state"] == "present" else []
    return {
        "listener_arn": listener_arn,
        "rules": rules,
        "tags": tags,
        "target_groups": target_group_arns(elb, targets),
    }


def apply_listener_rules(aws, plan, p: dict) -> dict:
    """Purge (freeing priorities), move the kept rules, create the new ones, modify the changed."""
    elb, steps = aws("elbv2"), plan.steps
    for arn in steps["delete"]:
        elb.call("delete_rule", RuleArn=arn)
    if p["state"] == "absent":
        return {}
    for arn, priority in steps["moves"]:
        elb.call("set_rule_priorities", RulePriorities=[{"RuleArn": arn, "Priority": priority}])
    rules = {name: dict(rule) for name, rule in plan.result["rules"].items()}
    for name, want in steps["create"].items():
        made = elb.call(
            "create_rule",
            ListenerArn=plan.result["listener_arn"],
            Priority=want["priority"],
            Conditions=aws_conditions(want["conditions"]),
            Actions=aws_actions(want["action"]),
            Tags=dict_to_tags({**p["tags"], p["name_tag"]: name}),
        )["Rules"][0]
        rules[name]["arn"] = made["RuleArn"]
    for arn, (fields, want) in steps["modify"].items():
        params = {"RuleArn": arn}
        if "conditions" in fields:
            params["Conditions"] = aws_conditions(want["conditions"])
        if "action" in fields:
            params["Actions"] = aws_actions(want["action"])
        elb.call("modify_rule", **params)
    return {"rules": rules}


def read_load_balancer(aws, p: dict) -> dict:
    """The ALB, its listeners and tags, and the ARNs of the target groups the listeners name."""
    elb = aws("elbv2")
    lb = describe_load_balancer(elb, p["name"])
    listeners = listeners_by_port(elb, lb["LoadBalancerArn"]) if lb else {}
    tags = resource_tags(elb, [lb["LoadBalancerArn"]]).get(lb["LoadBalancerArn"], {}) if lb else {}
    refs = forward_refs(li.get("default_action") for li in p["listeners"]) if p["state"] == "present" else []
    return {
        "load_balancer": lb,
        "listeners": listeners,
        "tags": tags,
        "target_groups": target_group_arns(elb, refs),
    }


def apply_load_balancer(aws, plan, p: dict) -> dict:
    """Create or update the ALB, then delete, create and modify its listeners as planned."""
    elb, steps = aws("elbv2"), plan.steps
    if steps["load_balancer"].get("create"):
        out = load_balancer_result(p["name"], create_load_balancer(elb, p, steps), {})
    else:
        update_load_balancer(elb, plan)
        out = dict(plan.result)
    out["listeners"] = apply_listeners(elb, out["load_balancer_arn"], dict(plan.result["listeners"]), steps)
    return out


def apply_listeners(elb, arn: str, listeners: dict, steps: dict) -> dict:
    """Delete the stale listeners, create the missing ones, modify the others: port -> ARN."""
    for port, listener_arn in steps["stale"].items():
        elb.call("delete_listener", ListenerArn=listener_arn)
        listeners.pop(str(port), None)
    for port, (fields, want) in steps["listeners"].items():
        if fields == ["create"]:
            made = elb.call(
                "create_listener", LoadBalancerArn=arn, not_yet=CERTIFICATE_NOT_YET, **listener_params(want)
            )["Listeners"][0]
            listeners[str(port)] = made["ListenerArn"]
        else:
            listener = listeners[str(port)]
            elb.call(
                "modify_listener", ListenerArn=listener, not_yet=CERTIFICATE_NOT_YET, **listener_params(want)
            )
    return listeners


def create_load_balancer(elb, p: dict, steps: dict) -> dict:
    """Create the ALB and wait until it is active."""
    request = {"Name": p["name"], "Subnets": p["subnets"], "Scheme": p["scheme"], "Type": "application"}
    if steps["security_groups"]:
        request["SecurityGroups"] = steps["security_groups"]
    if p["tags"]:
        request["Tags"] = dict_to_tags(p["tags"])
    elb.call("create_load_balancer", **request)
    lb = elb.wait_until(
        lambda: describe_load_balancer(elb, p["name"]),
        lambda d: d is not None and d["State"]["Code"] in ("active", "failed"),
        p["wait_timeout"],
        f"load balancer {p['name']} to become active",
    )
    if lb["State"]["Code"] == "failed":
        raise ReconcileError(f"load balancer {p['name']} failed to provision: {lb['State']}")
    return lb


def update_load_balancer(elb, plan) -> None:
    """Set the subnets, security groups and tags that differ on the existing ALB."""
    arn, changes = plan.result["load_balancer_arn"], plan.steps["load_balancer"]
    if "subnets" in changes:
        elb.call("set_subnets", LoadBalancerArn=arn, Subnets=changes["subnets"])
    if "security_groups" in changes:
        elb.call("set_security_groups", LoadBalancerArn=arn, SecurityGroups=changes["security_groups"])
    apply_tags(elb, "elbv2", arn, plan.steps["tags"]["set"], plan.steps["tags"]["remove"])
