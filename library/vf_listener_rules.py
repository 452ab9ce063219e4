#!/usr/bin/python
"""Reconcile the named rules of one ALB listener: identity by name, priority by order."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_listener_rules
short_description: Reconcile the rules of one ALB listener, identified by name
description:
  - Reconciles a map of named rules on one listener. A rule's identity is its name, kept in the
    tag I(name_tag) on the rule, never its priority.
  - Priorities follow declaration order (I(priority_start), then every I(priority_step)).
    Inserting a rule between two others creates only that rule and moves the others with
    C(set_rule_priorities); no existing rule is deleted and recreated, so rule ARNs stay.
  - A rule whose conditions or action differ is changed in place with C(modify_rule).
  - Rules on the listener that the map does not declare are kept unless I(purge_rules=true);
    the default, C(false), never deletes a rule someone else added.
  - Conditions are C(path_patterns), C(host_headers) and C(http_headers) (all must match);
    the action is exactly one of C(forward_to), C(redirect) or C(fixed_response).
  - A rule that forwards to a target group that does not exist fails, naming both.
options:
  listener_arn:
    description:
      - The listener. Give this or I(load_balancer) and I(port).
      - In check mode an empty value means the listener would be created by an earlier task.
    type: str
  load_balancer:
    description: The load balancer's name (with I(port)) when I(listener_arn) is not given.
    type: str
  port:
    description: The listener's port (with I(load_balancer)).
    type: int
  rules:
    description:
      - Rule name -> rule, in evaluation order. Each rule has conditions C(path_patterns)
        (list), C(host_headers) (list), C(http_headers) (dict header name -> list of values)
        and one action C(forward_to) (a key of I(target_groups), a target group name or ARN),
        C(redirect) (C(protocol), C(port), C(host), C(path), C(query), C(status_code)) or
        C(fixed_response) (C(status_code), C(content_type), C(message_body)).
    type: dict
    default: {}
  target_groups:
    description:
      - Alias -> target group ARN or name, so rules can forward to a service name.
    type: dict
    default: {}
  purge_rules:
    description: Delete the listener's rules that I(rules) does not declare (also untagged ones).
    type: bool
    default: false
  priority_start:
    description: Priority of the first declared rule.
    type: int
    default: 10
  priority_step:
    description: Distance between the priorities of consecutive rules.
    type: int
    default: 10
  name_tag:
    description: The tag that holds a rule's name.
    type: str
    default: videoforge:rule
  tags:
    description: Further tags set on every rule this module creates.
    type: dict
    default: {}
  state:
    description: C(present) to reconcile, C(absent) to delete the declared rules (by name).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Route the APIs to their services
  vf_listener_rules:
    listener_arn: "{{ alb.listeners['443'] }}"
    target_groups:
      gallery: "{{ gallery_tg.target_group_arn }}"
      streaming: "{{ streaming_tg.target_group_arn }}"
    rules:
      gallery-api:
        path_patterns: ["/api/gallery/*"]
        forward_to: gallery
      streaming-api:
        path_patterns: ["/api/stream/*"]
        forward_to: streaming
      maintenance:
        http_headers: {X-Maintenance: ["on"]}
        fixed_response: {status_code: 503, message_body: back soon}
"""

RETURN = r"""
listener_arn:
  description: The listener's ARN.
  returned: always
  type: str
rules:
  description: Rule name -> C(arn), C(priority) after the run (ARN empty for a rule check mode would create).
  returned: always
  type: dict
changes:
  description: What differs (create, modify, reprioritise, delete), one entry each.
  returned: always
  type: list
  elements: str
kept_undeclared:
  description: Rules on the listener the map does not declare, left in place (I(purge_rules=false)).
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
)
from ansible.module_utils.vf_elbv2 import aws_actions, desired_action
from ansible.module_utils.vf_elbv2_rules import (
    aws_conditions,
    desired_conditions,
    priority_moves,
    rule_priorities,
    rules_by_name,
    rules_plan,
)


def find_listener(elb, load_balancer: str, port: int) -> str:
    try:
        lb = elb.call("describe_load_balancers", Names=[load_balancer])["LoadBalancers"][0]
    except AwsError as err:
        if err.code == "LoadBalancerNotFound":
            return ""
        raise
    for listener in elb.paginate("describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]):
        if int(listener["Port"]) == port:
            return listener["ListenerArn"]
    return ""


def read_rules(elb, listener_arn: str) -> tuple[list[dict], dict[str, dict]]:
    rules = elb.paginate("describe_rules", "Rules", ListenerArn=listener_arn)
    arns = [r["RuleArn"] for r in rules if not r.get("IsDefault")]
    tags: dict[str, dict] = {}
    for i in range(0, len(arns), 20):  # describe_tags takes at most 20 ARNs
        for described in elb.call("describe_tags", ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            tags[described["ResourceArn"]] = {t["Key"]: t["Value"] for t in described.get("Tags") or []}
    return rules, tags


def resolver(elb, aliases: dict, check_mode: bool, rule_name: list):
    cache: dict[str, str] = {}

    def resolve(ref: str) -> str:
        target = str(aliases.get(ref, ref))
        if target.startswith("arn:"):
            return target
        if not target:
            if check_mode and ref in aliases:  # an earlier task would create it
                return f"(new target group {ref})"
            raise LookupError(f"rule {rule_name[0]} forwards to target group {ref}, which has no ARN")
        if target not in cache:
            try:
                cache[target] = elb.call("describe_target_groups", Names=[target])["TargetGroups"][0][
                    "TargetGroupArn"
                ]
            except AwsError as err:
                if err.code not in ("TargetGroupNotFound", "ValidationError"):
                    raise
                raise LookupError(
                    f"rule {rule_name[0]} forwards to target group {target}, which does not exist"
                ) from None
        return cache[target]

    return resolve


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        listener_arn={"type": "str"},
        load_balancer={"type": "str"},
        port={"type": "int"},
        rules={"type": "dict", "default": {}},
        target_groups={"type": "dict", "default": {}},
        purge_rules={"type": "bool", "default": False},
        priority_start={"type": "int", "default": 10},
        priority_step={"type": "int", "default": 10},
        name_tag={"type": "str", "default": "videoforge:rule"},
        tags={"type": "dict", "default": {}},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        mutually_exclusive=[("listener_arn", "load_balancer")],
        required_together=[("load_balancer", "port")],
    )
    require_boto3(module.fail_json)
    p = module.params
    elb = connect_from_params("elbv2", p)
    result: dict = {"changed": False, "changes": [], "rules": {}, "kept_undeclared": []}
    try:
        listener_arn = p["listener_arn"]
        if listener_arn is None:
            if not p["load_balancer"]:
                module.fail_json(msg="give listener_arn, or load_balancer and port")
            listener_arn = find_listener(elb, p["load_balancer"], p["port"])
        result["listener_arn"] = listener_arn or ""
        if not listener_arn and not module.check_mode:
            module.fail_json(msg="the listener does not exist (listener_arn is empty or not found)", **result)

        rules, tags = read_rules(elb, listener_arn) if listener_arn else ([], {})
        current, unnamed = rules_by_name(rules, tags, p["name_tag"])

        if p["state"] == "absent":
            doomed = [name for name in p["rules"] if name in current]
            result["changes"] = [f"delete {name}" for name in doomed]
            if doomed:
                before = {n: _view(current[n]) for n in doomed}
                result.update(changed=True, diff={"before": before, "after": {}})
                if not module.check_mode:
                    for name in doomed:
                        elb.call("delete_rule", RuleArn=current[name]["arn"])
            module.exit_json(**result)

        priorities = rule_priorities(list(p["rules"]), p["priority_start"], p["priority_step"])
        rule_name = [""]
        resolve = resolver(elb, p["target_groups"], module.check_mode, rule_name)
        desired: dict[str, dict] = {}
        for name, rule in p["rules"].items():
            rule_name[0] = name
            rule = rule or {}
            conditions = desired_conditions(rule)
            if not conditions:
                module.fail_json(
                    msg=f"rule {name} has no condition (path_patterns, host_headers, http_headers)"
                )
            try:
                action = desired_action(rule, resolve)
            except ValueError as exc:
                module.fail_json(msg=f"rule {name}: {exc}", **result)
            except LookupError as exc:
                module.fail_json(msg=str(exc), **result)
            desired[name] = {"priority": priorities[name], "conditions": conditions, "action": action}

        plan = rules_plan(current, unnamed, desired, p["purge_rules"])
        result["kept_undeclared"] = plan["kept_undeclared"]
        if plan["conflicts"]:
            module.fail_json(msg="; ".join(plan["conflicts"]), **result)
        changes = [f"create {n} (priority {desired[n]['priority']})" for n in plan["create"]]
        changes += [f"modify {n} {', '.join(f)}" for n, f in plan["modify"].items()]
        changes += [f"reprioritise {n} {a} -> {b}" for n, (a, b) in plan["reprioritise"].items()]
        changes += [f"delete {r.get('name') or r['arn']}" for r in plan["delete"]]
        result["changes"] = changes
        result["rules"] = {
            n: {"arn": current[n]["arn"] if n in current else "", "priority": desired[n]["priority"]}
            for n in desired
        }
        if not changes:
            module.exit_json(**result)

        before = {n: _view(r) for n, r in current.items()}
        before.update({r["arn"]: _view(r) for r in unnamed})
        after = {n: _view(r) for n, r in desired.items()}
        after.update({r["arn"]: _view(r) for r in unnamed if not p["purge_rules"]})
        for name, rule in current.items():
            if name not in desired and not p["purge_rules"]:
                after[name] = _view(rule)
        result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)

        # 1. purge, so freed priorities can be reused; 2. move the kept rules; 3. create; 4. modify.
        for rule in plan["delete"]:
            elb.call("delete_rule", RuleArn=rule["arn"])
        held = [r["priority"] for r in unnamed] if not p["purge_rules"] else []
        if not p["purge_rules"]:
            held += [r["priority"] for n, r in current.items() if n not in desired]
        moving = {n: current[n]["priority"] for n in current if n in desired}
        for name, priority in priority_moves(moving, {n: desired[n]["priority"] for n in moving}, held):
            elb.call(
                "set_rule_priorities",
                RulePriorities=[{"RuleArn": current[name]["arn"], "Priority": priority}],
            )
        for name in plan["create"]:
            want = desired[name]
            made = elb.call(
                "create_rule",
                ListenerArn=listener_arn,
                Priority=want["priority"],
                Conditions=aws_conditions(want["conditions"]),
                Actions=aws_actions(want["action"]),
                Tags=dict_to_tags({**p["tags"], p["name_tag"]: name}),
            )["Rules"][0]
            result["rules"][name]["arn"] = made["RuleArn"]
        for name, fields in plan["modify"].items():
            params = {"RuleArn": current[name]["arn"]}
            if "conditions" in fields:
                params["Conditions"] = aws_conditions(desired[name]["conditions"])
            if "action" in fields:
                params["Actions"] = aws_actions(desired[name]["action"])
            elb.call("modify_rule", **params)
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err)


def _view(rule: dict) -> dict:
    return {"priority": rule["priority"], "conditions": rule["conditions"], "action": rule["action"]}


if __name__ == "__main__":
    main()
