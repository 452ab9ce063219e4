#!/usr/bin/python
"""Reconcile the Route 53 record sets of one name (alias or plain), waiting until they are in sync."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_route53_record
short_description: Create, update or delete the Route 53 record sets of one name
description:
  - Reconciles the record sets of one name in one hosted zone, one per type in I(types), each
    an alias to an AWS resource (a load balancer, typically C(A) and C(AAAA)) or plain values with a TTL.
  - A record set is identified by its name and type; names compare as Route 53 stores them
    (lower case, fully qualified). A run that finds them as declared calls nothing that changes them.
  - All changes go in one change batch (atomic in Route 53); the module then waits until the
    change is C(INSYNC) on the authoritative servers.
  - Record sets with a routing policy (weighted, latency, failover...) are not managed; the task fails on one.
options:
  hosted_zone_id:
    description: The hosted zone (C(Z...), with or without C(/hostedzone/)).
    type: str
    required: true
  name:
    description: The record name (C(video.example.com); the final dot is optional).
    type: str
    required: true
  types:
    description: The record types to reconcile for I(name).
    type: list
    elements: str
    default: [A, AAAA]
  alias:
    description:
      - The alias target, for every type in I(types). Mutually exclusive with I(values).
      - For an Application Load Balancer, its C(DNSName) (prefixed C(dualstack.) for IPv6) and its
        C(CanonicalHostedZoneId).
    type: dict
    suboptions:
      dns_name: {description: The target's DNS name., type: str, required: true}
      hosted_zone_id: {description: The target's hosted zone (not the record's)., type: str, required: true}
      evaluate_target_health:
        description: Answer only while the target is healthy.
        type: bool
        default: false
  values:
    description: Plain record values (with I(ttl)), when there is no I(alias).
    type: list
    elements: str
  ttl:
    description: TTL of plain records, seconds.
    type: int
    default: 300
  only_aliasing:
    description:
      - With I(state=absent), delete a record set only when it is an alias to one of these DNS
        names (a C(dualstack.) prefix and the final dot do not matter), so that a teardown
        removes the records that point at its own distribution or load balancer and no other.
        Unset deletes the record sets of the name whatever they point at.
    type: list
    elements: str
  wait:
    description: Wait until Route 53 reports the change C(INSYNC).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for C(INSYNC).
    type: int
    default: 300
extends_documentation_fragment: [vf_aws, vf_aws.state]
notes:
  - Route 53 record sets have no tags.
  - In check mode an alias target that an earlier task would create (an empty I(alias.dns_name)) is
    accepted and reported as a change, so a whole deployment can be checked against an empty account.
author: VideoForge
"""

EXAMPLES = r"""
- name: Point the site's name at the load balancer (IPv4 and IPv6)
  vf_route53_record:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    name: video.example.com
    types: [A, AAAA]
    alias:
      dns_name: "dualstack.{{ alb.dns_name }}"
      hosted_zone_id: "{{ alb.canonical_hosted_zone_id }}"

- name: Remove them
  vf_route53_record:
    hosted_zone_id: Z0123456789ABCDEFGHIJ
    name: video.example.com
    state: absent
"""

RETURN = r"""
name:
  description: The record name, fully qualified.
  returned: always
  type: str
hosted_zone_id:
  description: The hosted zone.
  returned: always
  type: str
records:
  description: Type -> the record set after the run (C(alias) or C(ttl) and C(values)).
  returned: always
  type: dict
change_id:
  description: The Route 53 change that was submitted.
  returned: when something changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_route53 import record_plan
from ansible.module_utils.vf_route53_aws import apply_record, read_record

OPTIONS = {
    "hosted_zone_id": {"type": "str", "required": True},
    "name": {"type": "str", "required": True},
    "types": {"type": "list", "elements": "str", "default": ["A", "AAAA"]},
    "alias": {
        "type": "dict",
        "options": {
            "dns_name": {"type": "str", "required": True},
            "hosted_zone_id": {"type": "str", "required": True},
            "evaluate_target_health": {"type": "bool", "default": False},
        },
    },
    "values": {"type": "list", "elements": "str"},
    "ttl": {"type": "int", "default": 300},
    "only_aliasing": {"type": "list", "elements": "str"},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 300},
}


def main() -> None:
    """Reconcile the record sets of one name."""
    module = AnsibleModule(
        **module_args(
            OPTIONS,
            tags=False,
            mutually_exclusive=[("alias", "values")],
            required_if=[("state", "present", ("alias", "values"), True)],
        )
    )
    reconcile(module, read_record, record_plan, apply_record)


if __name__ == "__main__":
    main()
