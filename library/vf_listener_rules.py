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
  secrets:
    description:
      - Values masked wherever they appear in the result and the diff, such as the value of a
        header a condition requires that only the load balancer's one client may know (CloudFront's
        origin secret).
    type: list
    elements: str
    default: []
  state:
    description: C(present) to reconcile, C(absent) to delete the declared rules (by name).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment: [vf_aws]
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
kept_undeclared:
  description: Rules on the listener the map does not declare, left in place (I(purge_rules=false)).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_elbv2_aws import (
    apply_listener_rules,
    read_listener_rules,
)
from ansible.module_utils.vf_elbv2_rules import listener_rules_plan
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "listener_arn": {"type": "str"},
    "load_balancer": {"type": "str"},
    "port": {"type": "int"},
    "rules": {"type": "dict", "default": {}},
    "target_groups": {"type": "dict", "default": {}},
    "purge_rules": {"type": "bool", "default": False},
    "priority_start": {"type": "int", "default": 10},
    "priority_step": {"type": "int", "default": 10},
    "name_tag": {"type": "str", "default": "videoforge:rule"},
    "tags": {"type": "dict", "default": {}},
    # Masked wherever they appear in the output (Ansible's no_log values).
    "secrets": {"type": "list", "elements": "str", "default": [], "no_log": True},
}


def main() -> None:
    """Reconcile the named rules of one listener."""
    module = AnsibleModule(
        **module_args(
            OPTIONS,
            tags=False,
            mutually_exclusive=[("listener_arn", "load_balancer")],
            required_together=[("load_balancer", "port")],
        )
    )
    reconcile(module, read_listener_rules, listener_rules_plan, apply_listener_rules)


if __name__ == "__main__":
    main()
