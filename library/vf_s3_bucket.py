#!/usr/bin/python
"""Reconcile one S3 bucket: public access block, default encryption, CORS, lifecycle, tags."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_s3_bucket
short_description: Create, update or delete the media bucket with its access, encryption, CORS and lifecycle
description:
  - Reconciles one bucket, that is the public access block (all four settings), default encryption,
    the CORS rules browsers need to upload straight to S3, the lifecycle rules and tags.
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
  force_delete:
    description:
      - With I(state=absent), first delete every object, object version and unfinished
        multipart upload, so a bucket that holds media can be removed (teardown).
    type: bool
    default: false
  tags:
    description: Tags of the bucket.
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
changes:
  description: The settings that differ (create, public_access, encryption, cors, lifecycle, tags).
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
    tags_to_dict,
)
from ansible.module_utils.vf_s3 import (
    PUBLIC_ACCESS_KEYS,
    aws_cors,
    aws_encryption,
    aws_lifecycle,
    bucket_changes,
    cors_of,
    desired_encryption,
    desired_lifecycle,
    desired_public_access,
    encryption_of,
    lifecycle_of,
    public_access_of,
)


def optional(s3, operation: str, missing: tuple[str, ...], key: str, **params):
    try:
        return s3.call(operation, **params).get(key)
    except AwsError as err:
        if err.code in missing:
            return None
        raise


def read(s3, name: str) -> dict | None:
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
        "public_access": public_access_of(
            optional(
                s3,
                "get_public_access_block",
                ("NoSuchPublicAccessBlockConfiguration",),
                "PublicAccessBlockConfiguration",
                Bucket=name,
            )
        ),
        "encryption": encryption_of(
            optional(
                s3,
                "get_bucket_encryption",
                ("ServerSideEncryptionConfigurationNotFoundError",),
                "ServerSideEncryptionConfiguration",
                Bucket=name,
            )
        ),
        "cors": cors_of(
            optional(s3, "get_bucket_cors", ("NoSuchCORSConfiguration",), "CORSRules", Bucket=name)
        ),
        "lifecycle": lifecycle_of(
            optional(
                s3,
                "get_bucket_lifecycle_configuration",
                ("NoSuchLifecycleConfiguration",),
                "Rules",
                Bucket=name,
            )
        ),
        "tags": tags_to_dict(
            optional(s3, "get_bucket_tagging", ("NoSuchTagSet", "NoSuchTagSetError"), "TagSet", Bucket=name)
        ),
    }


def empty_bucket(s3, name: str) -> int:
    """Delete every object version, delete marker and unfinished multipart upload."""
    deleted = 0
    for page in s3.pages("list_object_versions", Bucket=name):
        batch = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(batch), 1000):  # delete_objects takes at most 1,000 keys
            s3.call(
                "delete_objects", Bucket=name, Delete={"Objects": batch[start : start + 1000], "Quiet": True}
            )
        deleted += len(batch)
    for page in s3.pages("list_multipart_uploads", Bucket=name):
        for upload in page.get("Uploads", []):
            s3.call("abort_multipart_upload", Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    return deleted


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        block_public_access={"type": "bool", "default": True},
        encryption={"type": "str", "choices": ["AES256", "aws:kms", "aws:kms:dsse"], "default": "AES256"},
        kms_key_id={"type": "str"},
        cors_rules={"type": "list", "elements": "dict", "default": []},
        abort_incomplete_multipart_days={"type": "int", "default": 7},
        expire_prefix={"type": "str", "default": "uploads/"},
        expire_days={"type": "int", "default": 0},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        force_delete={"type": "bool", "default": False},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    s3 = connect_from_params("s3", p)
    result: dict = {"name": name, "arn": f"arn:aws:s3:::{name}", "changed": False, "changes": []}
    try:
        current = read(s3, name)
        if p["state"] == "absent":
            if current is not None:
                result.update(changed=True, changes=["delete"], diff={"before": {"name": name}, "after": {}})
                if not module.check_mode:
                    if p["force_delete"]:
                        result["objects_deleted"] = empty_bucket(s3, name)
                    try:
                        s3.call("delete_bucket", Bucket=name)
                    except AwsError as err:
                        if err.code == "BucketNotEmpty":
                            module.fail_json(
                                msg=f"bucket {name} is not empty; empty it before deleting", **result
                            )
                        raise
            module.exit_json(**result)

        tags = dict(p["tags"]) if p["purge_tags"] or current is None else {**current["tags"], **p["tags"]}
        desired = {
            "public_access": desired_public_access(p["block_public_access"]),
            "encryption": desired_encryption(p["encryption"], p["kms_key_id"]),
            "cors": cors_of(p["cors_rules"]),
            "lifecycle": desired_lifecycle(
                p["abort_incomplete_multipart_days"], p["expire_days"], p["expire_prefix"]
            ),
            "tags": {k: str(v) for k, v in tags.items()},
        }
        changes = bucket_changes(current, desired)
        result["changes"] = changes
        if not changes:
            module.exit_json(**result)
        result.update(changed=True, diff={"before": current or {}, "after": desired})
        if module.check_mode:
            module.exit_json(**result)

        todo = set(changes)
        if current is None:
            create: dict = {"Bucket": name}
            region = s3.client.meta.region_name
            if region and region != "us-east-1":
                create["CreateBucketConfiguration"] = {"LocationConstraint": region}
            s3.call("create_bucket", **create)
            s3.wait_until(lambda: read(s3, name), lambda r: r is not None, 60, f"bucket {name} to exist", 1.0)
            todo = {"public_access", "encryption", "lifecycle", "tags"}
            if desired["cors"]:
                todo.add("cors")
        if "public_access" in todo:
            config = desired["public_access"]
            if any(config.values()):
                s3.call(
                    "put_public_access_block",
                    Bucket=name,
                    PublicAccessBlockConfiguration={k: config[k] for k in PUBLIC_ACCESS_KEYS},
                )
            else:
                s3.call("delete_public_access_block", Bucket=name)
        if "encryption" in todo:
            s3.call(
                "put_bucket_encryption",
                Bucket=name,
                ServerSideEncryptionConfiguration=aws_encryption(desired["encryption"]),
            )
        if "cors" in todo:
            if desired["cors"]:
                s3.call("put_bucket_cors", Bucket=name, CORSConfiguration=aws_cors(desired["cors"]))
            else:
                s3.call("delete_bucket_cors", Bucket=name)
        if "lifecycle" in todo:
            if desired["lifecycle"]:
                s3.call(
                    "put_bucket_lifecycle_configuration",
                    Bucket=name,
                    LifecycleConfiguration=aws_lifecycle(desired["lifecycle"]),
                )
            elif current is not None:
                s3.call("delete_bucket_lifecycle", Bucket=name)
        if "tags" in todo:
            if desired["tags"]:
                s3.call("put_bucket_tagging", Bucket=name, Tagging={"TagSet": dict_to_tags(desired["tags"])})
            elif current is not None:
                s3.call("delete_bucket_tagging", Bucket=name)
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
