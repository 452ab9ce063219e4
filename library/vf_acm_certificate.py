#!/usr/bin/python
"""Provide the ALB's ACM certificate: a given ARN, a DNS-validated request, or a self-signed import."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_acm_certificate
short_description: Use, request (DNS-validated) or import the ACM certificate of a domain
description:
  - With I(certificate_arn), checks that the certificate exists and returns it.
  - With I(hosted_zone_id), requests an ACM certificate for I(domain_name), writes its
    validation CNAME records into the Route 53 zone and waits until ACM issues it. A re-run
    finds the same certificate by its I(name) tag and changes nothing.
  - With neither, generates a self-signed certificate (the C(cryptography) package) and imports
    it into ACM; a re-run keeps it until it is within I(renew_before_days) of expiry, then
    re-imports onto the same ARN, so listeners keep pointing at it. This is what the local
    inventory uses.
options:
  name:
    description: Identity of the certificate, kept in the tag C(videoforge:certificate).
    type: str
    required: true
  domain_name:
    description: The domain (or, for a self-signed certificate, an IP address).
    type: str
  subject_alternative_names:
    description: Further names.
    type: list
    elements: str
    default: []
  certificate_arn:
    description: Use this issued certificate.
    type: str
    default: ""
  hosted_zone_id:
    description: Route 53 zone for DNS validation of a requested certificate.
    type: str
    default: ""
  validity_days:
    description: Lifetime of a self-signed certificate.
    type: int
    default: 365
  renew_before_days:
    description: Re-import a self-signed certificate this many days before it expires.
    type: int
    default: 30
  wait_timeout:
    description: Seconds to wait for ACM to issue a requested certificate (0 to not wait).
    type: int
    default: 900
  state:
    description: C(present) or C(absent) (deletes the certificate carrying the I(name) tag).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of a requested or imported certificate.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Request and validate the site's certificate
  vf_acm_certificate:
    name: video-forge-site
    domain_name: video-forge.cab432.com
    hosted_zone_id: Z0123456789
  register: certificate

- name: Self-signed certificate for the local stack
  vf_acm_certificate:
    name: video-forge-site
    domain_name: 127.0.0.1
"""

RETURN = r"""
certificate_arn:
  description: The certificate's ARN (empty in check mode when it would be created).
  returned: always
  type: str
status:
  description: ACM's status (C(ISSUED), C(PENDING_VALIDATION)...).
  returned: always
  type: str
source:
  description: C(given), C(requested) or C(imported).
  returned: always
  type: str
"""


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_acm import certificate_plan
from ansible.module_utils.vf_acm_aws import apply_certificate, read_certificate
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "domain_name": {"type": "str"},
    "subject_alternative_names": {"type": "list", "elements": "str", "default": []},
    "certificate_arn": {"type": "str", "default": ""},
    "hosted_zone_id": {"type": "str", "default": ""},
    "validity_days": {"type": "int", "default": 365},
    "renew_before_days": {"type": "int", "default": 30},
    "wait_timeout": {"type": "int", "default": 900},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "tags": {"type": "dict", "default": {}},
}


def main() -> None:
    """Use, request or import the site's certificate."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    reconcile(module, read_certificate, certificate_plan, apply_certificate)


if __name__ == "__main__":
    main()
