#!/usr/bin/python
"""Reconcile one Application Load Balancer and its listeners."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_load_balancer
short_description: Create, update or delete an Application Load Balancer and its listeners
description:
  - Reconciles one ALB (scheme, subnets, security groups, tags) and its listeners (port,
    protocol, certificate, TLS policy, default action).
  - The usual shape is HTTPS on 443 with an ACM certificate forwarding to a default target
    group, and HTTP on 80 answering a 301 redirect to HTTPS.
  - Listener rules are not managed here; see M(vf_listener_rules).
  - Waits until a new load balancer is C(active).
options:
  name:
    description: The load balancer's name (at most 32 characters).
    type: str
    required: true
  scheme:
    description: C(internet-facing) or C(internal). Cannot change on an existing ALB.
    type: str
    choices: [internet-facing, internal]
    default: internet-facing
  subnets:
    description: Subnet ids (at least two availability zones on AWS). Required with I(state=present).
    type: list
    elements: str
  security_groups:
    description: Security group ids.
    type: list
    elements: str
    default: []
  listeners:
    description:
      - The listeners, one per port.
      - I(default_action) takes exactly one of C(forward_to) (a target group ARN or name),
        C(redirect) (C(protocol), C(port), C(host), C(path), C(query), C(status_code)) or
        C(fixed_response) (C(status_code), C(content_type), C(message_body)).
    type: list
    elements: dict
    default: []
    suboptions:
      port: {description: The port., type: int, required: true}
      protocol: {description: C(HTTP) or C(HTTPS); C(HTTPS) when a certificate is given., type: str}
      certificate_arn: {description: The ACM certificate of an HTTPS listener., type: str}
      ssl_policy: {description: TLS policy of an HTTPS listener., type: str}
      default_action:
        description: What the listener does with requests no rule matches.
        type: dict
        required: true
  purge_listeners:
    description: Delete listeners on ports that I(listeners) does not declare.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a new load balancer to become active.
    type: int
    default: 600
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
notes:
  - In check mode, references to resources that earlier tasks would create (empty strings)
    are accepted, so a whole deployment can be checked against an empty account.
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the ALB with HTTPS and an HTTP redirect
  vf_load_balancer:
    name: video-forge-alb
    subnets: [subnet-aaa, subnet-bbb]
    security_groups: [sg-0123]
    listeners:
      - port: 443
        certificate_arn: "{{ certificate.certificate_arn }}"
        default_action:
          forward_to: video-forge-client-tg
      - port: 80
        default_action:
          redirect: {protocol: HTTPS, port: 443, status_code: HTTP_301}
"""

RETURN = r"""
load_balancer_arn:
  description: The ARN (empty in check mode when it would be created).
  returned: always
  type: str
arn_suffix:
  description: The C(app/name/id) part (the CloudWatch C(LoadBalancer) dimension).
  returned: always
  type: str
dns_name:
  description: The DNS name.
  returned: always
  type: str
canonical_hosted_zone_id:
  description: The hosted zone of the DNS name (for alias records).
  returned: always
  type: str
listeners:
  description: Port (as a string) -> listener ARN.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_elbv2 import load_balancer_plan
from ansible.module_utils.vf_elbv2_aws import (
    apply_load_balancer,
    read_load_balancer,
)
from ansible.module_utils.vf_module import module_args, reconcile

LISTENER_OPTIONS = {
    "port": {"type": "int", "required": True},
    "protocol": {"type": "str"},
    "certificate_arn": {"type": "str"},
    "ssl_policy": {"type": "str"},
    "default_action": {"type": "dict", "required": True},
}
OPTIONS = {
    "name": {"type": "str", "required": True},
    "scheme": {"type": "str", "choices": ["internet-facing", "internal"], "default": "internet-facing"},
    "subnets": {"type": "list", "elements": "str"},
    "security_groups": {"type": "list", "elements": "str", "default": []},
    "listeners": {"type": "list", "elements": "dict", "default": [], "options": LISTENER_OPTIONS},
    "purge_listeners": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}


def main() -> None:
    """Reconcile one ALB and its listeners."""
    module = AnsibleModule(**module_args(OPTIONS, required_if=[("state", "present", ["subnets"])]))
    reconcile(module, read_load_balancer, load_balancer_plan, apply_load_balancer)


if __name__ == "__main__":
    main()
