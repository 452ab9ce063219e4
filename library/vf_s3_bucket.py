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
    description: C(present) or C(absent) (an absent bucket must be empty unless I(force_delete)).
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
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import AwsError, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_module import ReconcileError, module_args, reconcile
from ansible.module_utils.vf_s3 import (
    PUBLIC_ACCESS_KEYS,
    aws_cors,
    aws_encryption,
    aws_lifecycle,
    bucket_plan,
    cors_of,
    encryption_of,
    lifecycle_of,
    policy_of,
    public_access_of,
)

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
# Each setting: (its get call, the error codes that mean "none set", the response key, to normal form).
SETTING_READS = {
    "public_access": (
        "get_public_access_block",
        ("NoSuchPublicAccessBlockConfiguration",),
        "PublicAccessBlockConfiguration",
        public_access_of,
    ),
    "encryption": (
        "get_bucket_encryption",
        ("ServerSideEncryptionConfigurationNotFoundError",),
        "ServerSideEncryptionConfiguration",
        encryption_of,
    ),
    "cors": ("get_bucket_cors", ("NoSuchCORSConfiguration",), "CORSRules", cors_of),
    "lifecycle": (
        "get_bucket_lifecycle_configuration",
        ("NoSuchLifecycleConfiguration",),
        "Rules",
        lifecycle_of,
    ),
    "tags": ("get_bucket_tagging", ("NoSuchTagSet", "NoSuchTagSetError"), "TagSet", tags_to_dict),
    "policy": ("get_bucket_policy", ("NoSuchBucketPolicy",), "Policy", policy_of),
}


def read(aws, p: dict) -> dict | None:
    """The bucket's settings, normalized; None when there is no such bucket."""
    s3, name = aws("s3"), p["name"]
    try:
        s3.call("head_bucket", Bucket=name)
    except AwsError as err:
        if err.code in ("404", "NoSuchBucket", "NotFound"):
            return None
        if err.code in ("403", "AccessDenied"):
            raise AwsError(
                "head_bucket", "BucketNameTaken", f"bucket {name} exists but is not yours"
            ) from err
        raise
    return {
        setting: of(optional(s3, call, missing, key, name))
        for setting, (call, missing, key, of) in SETTING_READS.items()
    }


def optional(s3, operation: str, missing: tuple[str, ...], key: str, name: str):
    """``operation``'s ``key`` for the bucket, or None when the setting is not there."""
    try:
        return s3.call(operation, Bucket=name).get(key)
    except AwsError as err:
        if err.code in missing:
            return None
        raise


def apply(aws, plan, p: dict) -> dict:
    """Delete (emptied first with force_delete), or create, then put each setting that differs."""
    s3, name, steps = aws("s3"), p["name"], plan.steps
    if steps.get("delete"):
        return delete(s3, name, p["force_delete"])
    if steps["create"]:
        create: dict = {"Bucket": name}
        region = s3.client.meta.region_name
        if region and region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.call("create_bucket", **create)
        s3.wait_until(lambda: read(aws, p), lambda r: r is not None, 60, f"bucket {name} to exist", 1.0)
    for setting in steps["settings"]:
        put_setting(s3, name, setting, steps["desired"][setting], existed=not steps["create"])
    return {}


def put_setting(s3, name: str, setting: str, value, existed: bool) -> None:
    """Put (or, for an empty value, delete) one bucket setting."""
    if setting == "public_access":
        if any(value.values()):
            config = {k: value[k] for k in PUBLIC_ACCESS_KEYS}
            s3.call("put_public_access_block", Bucket=name, PublicAccessBlockConfiguration=config)
        else:
            s3.call("delete_public_access_block", Bucket=name)
    elif setting == "policy":
        if value:
            s3.call("put_bucket_policy", Bucket=name, Policy=json.dumps(value))
        elif existed:
            s3.call("delete_bucket_policy", Bucket=name)
    elif setting == "encryption":
        s3.call("put_bucket_encryption", Bucket=name, ServerSideEncryptionConfiguration=aws_encryption(value))
    elif setting == "cors":
        if value:
            s3.call("put_bucket_cors", Bucket=name, CORSConfiguration=aws_cors(value))
        else:
            s3.call("delete_bucket_cors", Bucket=name)
    elif setting == "lifecycle":
        if value:
            s3.call(
                "put_bucket_lifecycle_configuration", Bucket=name, LifecycleConfiguration=aws_lifecycle(value)
            )
        elif existed:
            s3.call("delete_bucket_lifecycle", Bucket=name)
    elif value:
        s3.call("put_bucket_tagging", Bucket=name, Tagging={"TagSet": dict_to_tags(value)})
    elif existed:
        s3.call("delete_bucket_tagging", Bucket=name)


def delete(s3, name: str, force: bool) -> dict:
    """Delete the bucket; with ``force`` empty it first (S3 refuses a bucket with objects)."""
    out = {"objects_deleted": empty_bucket(s3, name)} if force else {}
    try:
        s3.call("delete_bucket", Bucket=name)
    except AwsError as err:
        if err.code == "BucketNotEmpty":
            raise ReconcileError(f"bucket {name} is not empty; empty it before deleting", **out) from err
        raise
    return out


def empty_bucket(s3, name: str) -> int:
    """Delete every object version, delete marker and unfinished multipart upload."""
    deleted = 0
    for page in s3.pages("list_object_versions", Bucket=name):
        batch = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(batch), 1000):  # delete_objects takes at most 1,000 keys
            objects = {"Objects": batch[start : start + 1000], "Quiet": True}
            s3.call("delete_objects", Bucket=name, Delete=objects)
        deleted += len(batch)
    for page in s3.pages("list_multipart_uploads", Bucket=name):
        for upload in page.get("Uploads", []):
            s3.call("abort_multipart_upload", Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    return deleted


def main() -> None:
    """Reconcile one bucket."""
    module = AnsibleModule(**module_args(OPTIONS, state=False))
    reconcile(module, read, bucket_plan, apply)


if __name__ == "__main__":
    main()
