"""Pure comparison functions for S3 buckets: public access block, default encryption, CORS,
lifecycle, bucket policy.

Each ``*_of`` function turns an S3 response into a normalized value, each ``desired_*`` builds the
same shape from declared options, and ``bucket_changes`` lists the settings that differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import canonical_json
from ansible.module_utils.vf_module import Plan, deletion

PUBLIC_ACCESS_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ABORT_MULTIPART_RULE = "abort-incomplete-multipart-uploads"
EXPIRE_UPLOADS_RULE = "expire-abandoned-uploads"


def public_access_of(config: Mapping[str, Any] | None) -> dict[str, bool]:
    """get_public_access_block's ``PublicAccessBlockConfiguration`` (None when there is none)."""
    return {k: bool((config or {}).get(k, False)) for k in PUBLIC_ACCESS_KEYS}


def desired_public_access(block: bool) -> dict[str, bool]:
    return dict.fromkeys(PUBLIC_ACCESS_KEYS, bool(block))


def encryption_of(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """get_bucket_encryption's ``ServerSideEncryptionConfiguration`` as algorithm, kms_key_id, bucket_key."""
    rules = (config or {}).get("Rules") or []
    if not rules:
        return {"algorithm": None, "kms_key_id": None, "bucket_key": False}
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    return {
        "algorithm": default.get("SSEAlgorithm"),
        "kms_key_id": default.get("KMSMasterKeyID") or None,
        "bucket_key": bool(rules[0].get("BucketKeyEnabled", False)),
    }


def desired_encryption(algorithm: str, kms_key_id: str | None = None) -> dict[str, Any]:
    kms = algorithm.startswith("aws:kms")
    return {"algorithm": algorithm, "kms_key_id": (kms_key_id or None) if kms else None, "bucket_key": kms}


def aws_encryption(enc: Mapping[str, Any]) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": enc["algorithm"]}
    if enc["kms_key_id"]:
        default["KMSMasterKeyID"] = enc["kms_key_id"]
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if enc["bucket_key"]:
        rule["BucketKeyEnabled"] = True
    return {"Rules": [rule]}


def cors_of(rules: list[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """get_bucket_cors' ``CORSRules`` (or declared snake_case rules) normalized: sorted lists, no ids."""
    result = []
    for rule in rules or []:

        def pick(aws: str, snake: str, rule: Mapping[str, Any] = rule) -> list[str]:
            values = rule.get(aws, rule.get(snake)) or []
            return sorted({str(v) for v in ([values] if isinstance(values, str) else values)})

        max_age = rule.get("MaxAgeSeconds", rule.get("max_age"))
        result.append(
            {
                "allowed_origins": pick("AllowedOrigins", "allowed_origins"),
                "allowed_methods": sorted(m.upper() for m in pick("AllowedMethods", "allowed_methods")),
                "allowed_headers": pick("AllowedHeaders", "allowed_headers"),
                "expose_headers": pick("ExposeHeaders", "expose_headers"),
                "max_age": int(max_age) if max_age is not None else None,
            }
        )
    return result


def aws_cors(rules: list[Mapping[str, Any]]) -> dict[str, Any]:
    out = []
    for rule in rules:
        aws: dict[str, Any] = {
            "AllowedOrigins": rule["allowed_origins"],
            "AllowedMethods": rule["allowed_methods"],
        }
        if rule["allowed_headers"]:
            aws["AllowedHeaders"] = rule["allowed_headers"]
        if rule["expose_headers"]:
            aws["ExposeHeaders"] = rule["expose_headers"]
        if rule["max_age"] is not None:
            aws["MaxAgeSeconds"] = rule["max_age"]
        out.append(aws)
    return {"CORSRules": out}


def lifecycle_of(rules: list[Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """get_bucket_lifecycle_configuration's ``Rules`` by id, normalized.

    The prefix may be in ``Filter.Prefix``, ``Filter.And.Prefix`` or the legacy top-level ``Prefix``.
    """
    result = {}
    for rule in rules or []:
        flt = rule.get("Filter") or {}
        prefix = flt.get("Prefix", (flt.get("And") or {}).get("Prefix", rule.get("Prefix", "")))
        expiration = rule.get("Expiration") or {}
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        result[rule.get("ID", "")] = {
            "status": rule.get("Status"),
            "prefix": prefix or "",
            "expiration_days": expiration.get("Days"),
            "abort_incomplete_multipart_days": abort.get("DaysAfterInitiation"),
        }
    return result


def desired_lifecycle(abort_days: int | None, expire_days: int | None, expire_prefix: str) -> dict[str, dict]:
    rules = {}
    if abort_days:
        rules[ABORT_MULTIPART_RULE] = {
            "status": "Enabled",
            "prefix": "",
            "expiration_days": None,
            "abort_incomplete_multipart_days": int(abort_days),
        }
    if expire_days:
        rules[EXPIRE_UPLOADS_RULE] = {
            "status": "Enabled",
            "prefix": expire_prefix,
            "expiration_days": int(expire_days),
            "abort_incomplete_multipart_days": None,
        }
    return rules


def aws_lifecycle(rules: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    out = []
    for rule_id, rule in sorted(rules.items()):
        aws: dict[str, Any] = {"ID": rule_id, "Status": rule["status"], "Filter": {"Prefix": rule["prefix"]}}
        if rule["expiration_days"]:
            aws["Expiration"] = {"Days": rule["expiration_days"]}
        if rule["abort_incomplete_multipart_days"]:
            aws["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": rule["abort_incomplete_multipart_days"]
            }
        out.append(aws)
    return {"Rules": out}


def policy_of(document: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """get_bucket_policy's ``Policy`` (a JSON string), or a declared policy, in one comparable
    form: key order, whitespace, single-item lists and ``true``/``"true"`` do not matter. An
    empty dict is "no policy"."""
    if not document:
        return {}
    return json.loads(canonical_json(document))


def bucket_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """Settings (public_access, policy, encryption, cors, lifecycle, tags) whose current value
    differs.

    Both sides are dicts of normalized values; a desired value of None is not managed.
    """
    if current is None:
        return ["create"]
    return [
        key
        for key in SETTINGS
        if desired.get(key) is not None and current.get(key, {} if key == "policy" else None) != desired[key]
    ]


# --- the plan of vf_s3_bucket ---------------------------------------------------------------

# In the order they are put: the public access block before the policy it judges.
SETTINGS = ("public_access", "policy", "encryption", "cors", "lifecycle", "tags")


def bucket_plan(current: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one bucket. ``current``: its settings as ``read`` normalized them (the
    ``*_of`` functions, tags as a dict), or None when it does not exist."""
    name = p["name"]
    result = {"name": name, "arn": f"arn:aws:s3:::{name}"}
    if p["state"] == "absent":
        if current is not None and current.get("holds_objects") and not p["force_delete"]:
            # Media is never deleted by default: the bucket stays, and the run says so.
            kept = f"bucket {name} holds objects, so it is kept (force_delete empties and deletes it)"
            return Plan(result={**result, "kept": True}, warnings=[kept])
        return deletion(result, {"name": name} if current is not None else None)
    tags = dict(p["tags"]) if p["purge_tags"] or current is None else {**current["tags"], **p["tags"]}
    desired = {
        "public_access": desired_public_access(p["block_public_access"]),
        "encryption": desired_encryption(p["encryption"], p["kms_key_id"]),
        "cors": cors_of(p["cors_rules"]),
        "lifecycle": desired_lifecycle(
            p["abort_incomplete_multipart_days"], p["expire_days"], p["expire_prefix"]
        ),
        "tags": {k: str(v) for k, v in tags.items()},
        "policy": None if p.get("policy") is None else policy_of(p["policy"]),
    }
    changes = bucket_changes(current, desired)
    todo = set(changes)
    if current is None:  # a new bucket: everything is set, CORS and the policy only when declared
        todo = {"public_access", "encryption", "lifecycle", "tags"}
        todo |= {key for key in ("cors", "policy") if desired[key]}
    steps = {"create": current is None, "settings": [s for s in SETTINGS if s in todo], "desired": desired}
    return Plan(changes, current or {}, desired, result, steps)
