"""The S3 read and apply steps of vf_s3_bucket (what it compares is pure, in vf_s3)."""

from __future__ import annotations

import json

from ansible.module_utils.vf_aws import AwsError, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_module import ReconcileError
from ansible.module_utils.vf_s3 import (
    PUBLIC_ACCESS_KEYS,
    aws_cors,
    aws_encryption,
    aws_lifecycle,
    cors_of,
    encryption_of,
    lifecycle_of,
    policy_of,
    public_access_of,
)

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


def read_bucket(aws, p: dict) -> dict | None:
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
    if p["state"] == "absent":
        return {"holds_objects": holds_objects(s3, name)}
    return {
        setting: of(optional(s3, call, missing, key, name))
        for setting, (call, missing, key, of) in SETTING_READS.items()
    }


def holds_objects(s3, name: str) -> bool:
    """Whether the bucket holds anything S3 would refuse to delete it with, or media on its way in."""
    versions = s3.call("list_object_versions", Bucket=name, MaxKeys=1)
    uploads = s3.call("list_multipart_uploads", Bucket=name, MaxUploads=1)
    return bool(versions.get("Versions") or versions.get("DeleteMarkers") or uploads.get("Uploads"))


def optional(s3, operation: str, missing: tuple[str, ...], key: str, name: str):
    """``operation``'s ``key`` for the bucket, or None when the setting is not there."""
    try:
        return s3.call(operation, Bucket=name).get(key)
    except AwsError as err:
        if err.code in missing:
            return None
        raise


def apply_bucket(aws, plan, p: dict) -> dict:
    """Delete (emptied first with force_delete), or create, then put each setting that differs."""
    s3, name, steps = aws("s3"), p["name"], plan.steps
    if steps.get("delete"):
        return delete_bucket(s3, name, p["force_delete"])
    if steps["create"]:
        create: dict = {"Bucket": name}
        region = s3.client.meta.region_name
        if region and region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.call("create_bucket", **create)
        s3.wait_until(
            lambda: read_bucket(aws, p), lambda r: r is not None, 60, f"bucket {name} to exist", 1.0
        )
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


def delete_bucket(s3, name: str, force: bool) -> dict:
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
