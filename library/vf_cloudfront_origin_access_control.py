#!/usr/bin/python
"""Reconcile one CloudFront origin access control (SigV4, always signed)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_cloudfront_origin_access_control
short_description: Create, update or delete a CloudFront origin access control
description:
  - Reconciles one origin access control, found by name, that is the way CloudFront reads a
    private bucket. It always signs its origin requests with SigV4, so the bucket's policy can
    admit the service principal C(cloudfront.amazonaws.com) for one distribution's ARN and
    nobody else.
  - An update or delete names the ETag read just before it (IfMatch); a deletion waits (up to
    ten minutes) while CloudFront answers C(OriginAccessControlInUse).
options:
  name:
    description: The name (unique in the account, at most 64 characters).
    type: str
    required: true
  description:
    description: A description.
    type: str
    default: ""
  origin_type:
    description: What kind of origin it signs for.
    type: str
    choices: [s3, mediastore, lambda, mediapackagev2]
    default: s3
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the media bucket's origin access control
  vf_cloudfront_origin_access_control:
    name: video-forge-dev-media
    description: CloudFront reads the media bucket
"""

RETURN = r"""
id:
  description: The origin access control's id (what an C(s3) origin names).
  returned: when it exists
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_cloudfront_aws import apply_origin_access_control, read_origin_access_control
from ansible.module_utils.vf_cloudfront_policies import OAC_OPTIONS, oac_plan
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one origin access control."""
    module = AnsibleModule(**module_args(OAC_OPTIONS, tags=False))
    reconcile(module, read_origin_access_control, oac_plan, apply_origin_access_control)


if __name__ == "__main__":
    main()
