#!/usr/bin/python
"""Reconcile one ELBv2 target group (health check and attributes); never touches its targets."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_target_group
short_description: Create, update or delete an ALB target group without touching its targets
description:
  - Reconciles one target group to the declared protocol, port, target type, health check,
    deregistration delay, slow start and stickiness.
  - Targets are never registered or deregistered; ECS registers the task IPs itself, so a
    re-run never takes a running task out of service.
  - Protocol, port, VPC and target type cannot change on an existing group; a difference
    fails with the fields named instead of silently replacing the group.
options:
  name:
    description: The target group's name (at most 32 characters).
    type: str
    required: true
  protocol:
    description: Protocol to the targets.
    type: str
    choices: [HTTP, HTTPS]
    default: HTTP
  port:
    description: Port of the targets. Required with I(state=present).
    type: int
  vpc_id:
    description: The VPC of the targets. Required with I(state=present).
    type: str
  target_type:
    description: The type of targets (C(ip) for Fargate tasks).
    type: str
    choices: [ip, instance]
    default: ip
  health_check:
    description:
      - The health check. Keys not given take AWS's defaults.
    type: dict
    suboptions:
      enabled: {description: Whether health checks run., type: bool, default: true}
      protocol: {description: Protocol of the check., type: str, default: HTTP}
      port: {description: Port of the check., type: str, default: traffic-port}
      path: {description: Path that is requested., type: str, default: /}
      interval: {description: Seconds between checks., type: int, default: 30}
      timeout: {description: Seconds before a check fails., type: int, default: 5}
      healthy_threshold: {description: Passes before healthy., type: int, default: 5}
      unhealthy_threshold: {description: Failures before unhealthy., type: int, default: 2}
      matcher: {description: HTTP codes that pass (C(200), C(200-299))., type: str, default: "200"}
  deregistration_delay:
    description: Seconds a deregistering target keeps its connections.
    type: int
    default: 300
  slow_start:
    description: Seconds of slow start for a new target (0 is off).
    type: int
    default: 0
  stickiness:
    description: Sticky sessions.
    type: dict
    suboptions:
      enabled: {description: Whether sessions stick., type: bool, default: false}
      type: {description: Cookie type., type: str, default: lb_cookie}
      duration: {description: Cookie lifetime in seconds., type: int, default: 86400}
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the target group.
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
- name: Ensure the gallery target group
  vf_target_group:
    name: video-forge-gallery-tg
    port: 3000
    vpc_id: vpc-0123456789abcdef0
    health_check:
      path: /health
      healthy_threshold: 2
      unhealthy_threshold: 3
    deregistration_delay: 30
    tags:
      Project: VideoForge
"""

RETURN = r"""
target_group_arn:
  description: The ARN (empty in check mode when the group would be created).
  returned: always
  type: str
arn_suffix:
  description: The C(targetgroup/name/id) part, the CloudWatch dimension and ALBRequestCountPerTarget label.
  returned: always
  type: str
name:
  description: The name.
  returned: always
  type: str
health_check:
  description: The health check after the run.
  returned: when present
  type: dict
changes:
  description: What differs from the declared state (what changed, or would in check mode).
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
from ansible.module_utils.vf_elbv2 import (
    arn_suffix,
    desired_health_check,
    desired_target_group_attributes,
    health_check_of,
    modify_target_group_params,
    target_group_attributes_of,
    target_group_changes,
)


def read(elb, name: str) -> tuple[dict | None, dict, dict]:
    try:
        groups = elb.call("describe_target_groups", Names=[name])["TargetGroups"]
    except AwsError as err:
        if err.code == "TargetGroupNotFound":
            return None, {}, {}
        raise
    group = groups[0]
    arn = group["TargetGroupArn"]
    attrs = target_group_attributes_of(
        elb.call("describe_target_group_attributes", TargetGroupArn=arn)["Attributes"]
    )
    described = elb.call("describe_tags", ResourceArns=[arn])["TagDescriptions"]
    tags = tags_to_dict(described[0].get("Tags") if described else [])
    return group, attrs, tags


def shown(check: dict | None, attrs: dict, tags: dict, keys) -> dict:
    if check is None:
        return {}
    return {"health_check": check, "attributes": {k: attrs.get(k) for k in keys}, "tags": tags}


def main() -> None:
    hc = {
        "enabled": {"type": "bool", "default": True},
        "protocol": {"type": "str", "default": "HTTP"},
        "port": {"type": "str", "default": "traffic-port"},
        "path": {"type": "str", "default": "/"},
        "interval": {"type": "int", "default": 30},
        "timeout": {"type": "int", "default": 5},
        "healthy_threshold": {"type": "int", "default": 5},
        "unhealthy_threshold": {"type": "int", "default": 2},
        "matcher": {"type": "str", "default": "200"},
    }
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        protocol={"type": "str", "choices": ["HTTP", "HTTPS"], "default": "HTTP"},
        port={"type": "int"},
        vpc_id={"type": "str"},
        target_type={"type": "str", "choices": ["ip", "instance"], "default": "ip"},
        health_check={"type": "dict", "options": hc, "default": {}},
        deregistration_delay={"type": "int", "default": 300},
        slow_start={"type": "int", "default": 0},
        stickiness={
            "type": "dict",
            "default": {},
            "options": {
                "enabled": {"type": "bool", "default": False},
                "type": {"type": "str", "default": "lb_cookie"},
                "duration": {"type": "int", "default": 86400},
            },
        },
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["port", "vpc_id"])],
    )
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    elb = connect_from_params("elbv2", p)
    result: dict = {"name": name, "changed": False, "changes": [], "target_group_arn": "", "arn_suffix": ""}
    try:
        current, attrs, tags = read(elb, name)
        arn = current["TargetGroupArn"] if current else ""
        result.update(target_group_arn=arn, arn_suffix=arn_suffix(arn))

        if p["state"] == "absent":
            if current is not None:
                result.update(changed=True, changes=["delete"], diff={"before": {"name": name}, "after": {}})
                if not module.check_mode:
                    elb.call(
                        "delete_target_group", TargetGroupArn=arn, retry_codes=frozenset({"ResourceInUse"})
                    )
            module.exit_json(**result)

        desired_attrs = desired_target_group_attributes(
            p["deregistration_delay"], p["slow_start"], p["stickiness"]
        )
        desired = {
            "protocol": p["protocol"],
            "port": p["port"],
            "vpc_id": p["vpc_id"],
            "target_type": p["target_type"],
            "health_check": p["health_check"],
            "attributes": desired_attrs,
        }
        want_check = desired_health_check(p["health_check"])
        diff_changes = target_group_changes(current, attrs, desired)
        if diff_changes.get("immutable"):
            module.fail_json(
                msg=f"target group {name} exists with a different "
                f"{', '.join(diff_changes['immutable'])}; these cannot change in place: delete it "
                "(after detaching its service) or choose another name",
                **result,
            )
        to_set, to_remove = tag_changes(tags, p["tags"], p["purge_tags"])
        changes: list[str] = []
        if diff_changes.get("create"):
            changes = ["create"]
        else:
            changes += [f"health_check.{k}" for k in diff_changes.get("health_check", {})]
            changes += [f"attribute {k}" for k in diff_changes.get("attributes", {})]
            if to_set or to_remove:
                changes.append("tags")
        result["changes"] = changes
        after_tags = dict(p["tags"]) if p["purge_tags"] else {**tags, **p["tags"]}
        result["health_check"] = want_check
        if not changes:
            result["health_check"] = health_check_of(current)
            module.exit_json(**result)

        before = shown(health_check_of(current) if current else None, attrs, tags, desired_attrs)
        result.update(
            changed=True,
            diff={"before": before, "after": shown(want_check, desired_attrs, after_tags, desired_attrs)},
        )
        if module.check_mode:
            module.exit_json(**result)

        if current is None:
            create = {
                "Name": name,
                "Protocol": p["protocol"],
                "Port": p["port"],
                "VpcId": p["vpc_id"],
                "TargetType": p["target_type"],
                **modify_target_group_params(want_check),
            }
            if p["tags"]:
                create["Tags"] = dict_to_tags(p["tags"])
            arn = elb.call("create_target_group", **create)["TargetGroups"][0]["TargetGroupArn"]
            result.update(target_group_arn=arn, arn_suffix=arn_suffix(arn))
            attrs_to_set = desired_attrs
        else:
            if diff_changes.get("health_check"):
                elb.call(
                    "modify_target_group",
                    TargetGroupArn=arn,
                    **modify_target_group_params(diff_changes["health_check"]),
                )
            attrs_to_set = diff_changes.get("attributes", {})
            if to_remove:
                elb.call("remove_tags", ResourceArns=[arn], TagKeys=to_remove)
            if to_set:
                elb.call("add_tags", ResourceArns=[arn], Tags=dict_to_tags(to_set))
        if attrs_to_set:
            elb.call(
                "modify_target_group_attributes",
                TargetGroupArn=arn,
                Attributes=[{"Key": k, "Value": v} for k, v in sorted(attrs_to_set.items())],
            )
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
