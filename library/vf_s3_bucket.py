#!/usr/bin/python
"""Reconcile one S3 bucket: public access block, policy, default encryption, CORS, lifecycle, tags."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_s3_bucket
short_description: Create, update or delete the media bucket with its access, encryption, CORS and lifecycle
description:
  - Reconciles one bucket, that is the public access block (all four settings), the bucket
    policy, default encryption, the CORS rules browsers need to upload straight to S3, the
    lifecycle rules and tags.
  - The lifecycle configuration is managed as a whole, made of at most two rules, one that
    aborts incomplete multipart uploads after I(abort_incomplete_multipart_days) and one that
    expires objects under I(expire_prefix) after I(expire_days) (abandoned raw uploads).
  - Each setting is compared normalized (sorted lists, legacy and current filter shapes), so
    a re-run makes no call that changes anything.
options:
  name:
    description: The bucket name (globally unique).
    type: str
    required: true
  block_public_access:
    description: Turn on all four public access block settings.
    type: bool
    default: true
  encryption:
    description: Default encryption algorithm.
    type: str
    choices: [AES256, aws:kms, aws:kms:dsse]
    default: AES256
  kms_key_id:
    description: KMS key of C(aws:kms) encryption (the AWS-managed key when unset).
    type: str
  cors_rules:
    description:
      - CORS rules, each C(allowed_origins), C(allowed_methods), C(allowed_headers),
        C(expose_headers), C(max_age). An empty list removes the CORS configuration.
    type: list
    elements: dict
    default: []
  abort_incomplete_multipart_days:
    description: Abort multipart uploads not completed after this many days (0 is off).
    type: int
    default: 7
  expire_prefix:
    description: Prefix of the objects I(expire_days) applies to.
    type: str
    default: uploads/
  expire_days:
    description: Expire objects under I(expire_prefix) after this many days (0 is off).
    type: int
    default: 0
  state:
    description:
      - C(present) or C(absent). A bucket that holds objects is kept by C(absent) unless I(force_delete).
    type: str
    choices: [present, absent]
    default: present
  policy:
    description:
      - The bucket policy (a dict, or its JSON), compared normalized. An empty dict removes the
        policy; unset leaves whatever policy the bucket has alone.
      - It is put after the public access block, which refuses a policy that grants public access.
    type: raw
  force_delete:
    description:
      - With I(state=absent), first delete every object, object version and unfinished
        multipart upload, so a bucket that holds media can be removed (teardown).
      - Without it, a bucket that holds any (objects, versions, delete markers or unfinished
        multipart uploads) is kept, unchanged, with a warning and C(kept) in the result.
    type: bool
    default: false
extends_documentation_fragment: [vf_aws, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the media bucket
  vf_s3_bucket:
    name: video-forge-storage-dev
    cors_rules:
      - allowed_origins: [https://video-forge.cab432.com]
        allowed_methods: [GET, PUT, HEAD]
        allowed_headers: ["*"]
        expose_headers: [ETag]
        max_age: 3600
    abort_incomplete_multipart_days: 2
    expire_prefix: uploads/
    expire_days: 7
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: DenyInsecureTransport
          Effect: Deny
          Principal: "*"
          Action: s3:*
          Resource: [arn:aws:s3:::video-forge-storage-dev, arn:aws:s3:::video-forge-storage-dev/*]
          Condition: {Bool: {aws:SecureTransport: "false"}}
"""

RETURN = r"""
name:
  description: The bucket name.
  returned: always
  type: str
arn:
  description: The bucket ARN.
  returned: always
  type: str
kept:
  description: With I(state=absent) and no I(force_delete), the bucket holds objects and was kept.
  returned: when kept
  type: bool
"""


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_s3 import bucket_plan
from ansible.module_utils.vf_s3_aws import apply_bucket, read_bucket

OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "block_public_access": {"type": "bool", "default": True},
    "encryption": {"type": "str", "choices": ["AES256", "aws:kms", "aws:kms:dsse"], "default": "AES256"},
    "kms_key_id": {"type": "str"},
    "cors_rules": {"type": "list", "elements": "dict", "default": []},
    "abort_incomplete_multipart_days": {"type": "int", "default": 7},
    "expire_prefix": {"type": "str", "default": "uploads/"},
    "expire_days": {"type": "int", "default": 0},
    "policy": {"type": "raw"},
    "force_delete": {"type": "bool", "default": False},
}


def main() -> None:
    """Reconcile one bucket."""
    module = AnsibleModule(**module_args(OPTIONS, state=False))
    reconcile(module, read_bucket, bucket_plan, apply_bucket)


if __name__ == "__main__":
    main()
