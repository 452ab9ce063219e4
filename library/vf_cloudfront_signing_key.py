#!/usr/bin/python
"""Reconcile the key CloudFront trusts for signed cookies: generations, rotation, the key group."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_cloudfront_signing_key
short_description: Make, rotate and retire the signing key a CloudFront key group trusts
description:
  - Keeps one signer for CloudFront signed URLs and cookies. A key generation is an RSA 2048 key
    pair made here, named C(<public_key_prefix>-<UTC yyyymmddHHMMSS>) - its private half an SSM
    C(SecureString) C(<parameter_path>/<name>) (PEM, PKCS#8), its public half a CloudFront public
    key of that name - and the key group I(key_group) trusts it.
  - The private key is written once and never read back, returned or logged; results name its
    parameter. Who may read it is IAM's business (only the signing service's role).
  - The newest whole generation signs (C(key_pair_id), C(signing_key_parameter)). When it is
    I(rotation_days) old, a run makes a new one, adds it to the group and returns it as the
    signer; the previous public key stays trusted until I(retire_after_seconds) (the longest
    lifetime of a signed cookie or URL) after that, then a run removes it from the group and
    deletes both halves.
  - A half without the other (a run stopped between the two writes, or one deleted by hand) is
    never trusted anew and is removed; a key in the group that is not a generation of
    I(public_key_prefix) is removed from it.
  - With I(state=absent) the key group (waited for while a distribution still trusts it), then
    every generation, are deleted.
options:
  key_group:
    description: The key group's name.
    type: str
    required: true
  public_key_prefix:
    description: The prefix of the generations' names (public keys and parameters).
    type: str
    required: true
  parameter_path:
    description: The SSM path under which each generation's private half is a SecureString.
    type: str
    required: true
  rotation_days:
    description: Age of the signing generation at which a run makes a new one.
    type: int
    default: 90
  retire_after_seconds:
    description: Seconds a replaced public key stays trusted (the longest signed cookie lifetime).
    type: int
    default: 86400
  tags:
    description: Tags of each private half's parameter, set when it is made.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the signer of the streaming service's cookies
  vf_cloudfront_signing_key:
    key_group: video-forge-dev-signers
    public_key_prefix: video-forge-dev-signer
    parameter_path: /video-forge/dev/streaming/cdn-signing-key
    rotation_days: 90
    retire_after_seconds: 21600
"""

RETURN = r"""
key_group_id:
  description: The key group's id (what a cache behaviour trusts).
  returned: when it exists
  type: str
signer:
  description: The name of the signing generation.
  returned: with state=present
  type: str
key_pair_id:
  description: The signing generation's public key id (a signed cookie's C(CloudFront-Key-Pair-Id)).
  returned: with state=present (empty in check mode for a generation not made yet)
  type: str
signing_key_parameter:
  description: The SSM parameter that holds the signing generation's private half.
  returned: with state=present
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_cloudfront_keys import SIGNING_KEY_OPTIONS, signing_key_plan
from ansible.module_utils.vf_cloudfront_keys_aws import apply_signing_key, read_signing_key
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile the signer."""
    module = AnsibleModule(**module_args(SIGNING_KEY_OPTIONS, tags=False))
    reconcile(module, read_signing_key, signing_key_plan, apply_signing_key)


if __name__ == "__main__":
    main()
