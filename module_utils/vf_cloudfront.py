"""Pure functions for CloudFront: the plans of vf_cloudfront_distribution, vf_cloudfront_cache_policies
and vf_cloudfront_origin_access_control. Nothing here calls AWS (vf_cloudfront_aws does).

CloudFront's API wraps every list as ``{"Quantity": n, "Items": [...]}`` (Items absent when n is
0) and versions every resource with an ETag that an update or delete must name (IfMatch). An
update replaces the whole config: what the model does not manage (logging, geo restriction, a
web ACL ...) is carried over from the config read back, everything the model declares is written
whole, so a field changed by hand is both shown by ``--diff`` and put back.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Plan, ReconcileError, deletion, tag_plan

# Route 53's hosted zone of every CloudFront alias target (Route 53 API Reference, AliasTarget).
ALIAS_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
# AWS managed policies (Amazon CloudFront Developer Guide: Use managed cache policies; and the
# AWS CDK's OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER).
MANAGED_POLICY_IDS = {
    "CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
}
MASK = "********"


def wrapped(items: list[Any]) -> dict[str, Any]:
    """A list as CloudFront takes it: ``Quantity`` and (when not empty) ``Items``."""
    return {"Quantity": len(items), "Items": list(items)} if items else {"Quantity": 0}


def items_of(value: Mapping[str, Any] | None) -> list[Any]:
    """The ``Items`` of a quantity-wrapped list (none when absent)."""
    return list((value or {}).get("Items") or [])


def policy_id(ref: str) -> str:
    """A policy reference as CloudFront takes it: a managed policy's name becomes its id."""
    return MANAGED_POLICY_IDS.get(ref, ref)


# --- the distribution ------------------------------------------------------------------------

ORIGIN_OPTIONS = {
    "id": {"type": "str", "required": True},
    "domain_name": {"type": "str", "required": True},
    "kind": {"type": "str", "choices": ["custom", "s3"], "default": "custom"},
    "origin_access_control_id": {"type": "str", "default": ""},
    "https_port": {"type": "int", "default": 443},
    "ssl_protocols": {"type": "list", "elements": "str", "default": ["TLSv1.2"]},
    # Values are secrets (the header the load balancer's rules require): never in any output.
    "custom_headers": {"type": "dict", "default": {}, "no_log": True},
}
BEHAVIOUR_OPTIONS = {
    "path_pattern": {"type": "str"},
    "target_origin": {"type": "str", "required": True},
    "cache_policy": {"type": "str", "required": True},
    "origin_request_policy": {"type": "str", "default": ""},
    "trusted_key_groups": {"type": "list", "elements": "str", "default": []},
    "allowed_methods": {"type": "list", "elements": "str", "default": ["GET", "HEAD"]},
    "cached_methods": {"type": "list", "elements": "str", "default": ["GET", "HEAD"]},
    "compress": {"type": "bool", "default": True},
    "viewer_protocol_policy": {
        "type": "str",
        "choices": ["redirect-to-https", "https-only", "allow-all"],
        "default": "redirect-to-https",
    },
}
DISTRIBUTION_OPTIONS = {
    "name": {"type": "str", "required": True},
    "enabled": {"type": "bool", "default": True},
    "aliases": {"type": "list", "elements": "str", "default": []},
    "certificate_arn": {"type": "str", "default": ""},
    "minimum_protocol_version": {"type": "str", "default": "TLSv1.2_2021"},
    "price_class": {
        "type": "str",
        "choices": ["PriceClass_All", "PriceClass_200", "PriceClass_100"],
        "default": "PriceClass_All",
    },
    "http_version": {
        "type": "str",
        "choices": ["http1.1", "http2", "http3", "http2and3"],
        "default": "http2and3",
    },
    "ipv6": {"type": "bool", "default": True},
    "origins": {"type": "list", "elements": "dict", "default": [], "options": ORIGIN_OPTIONS},
    "default_behaviour": {"type": "dict", "options": BEHAVIOUR_OPTIONS},
    "behaviours": {"type": "list", "elements": "dict", "default": [], "options": BEHAVIOUR_OPTIONS},
    "error_caching_min_ttl": {"type": "dict", "default": {}},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 1800},
}
# What the model owns of a DistributionConfig; every other field is carried over as read.
MANAGED_FIELDS = (
    "Comment", "Enabled", "Aliases", "Origins", "DefaultCacheBehavior", "CacheBehaviors",
    "CustomErrorResponses", "PriceClass", "ViewerCertificate", "HttpVersion", "IsIPV6Enabled",
)  # fmt: skip
# What a new distribution gets of the fields the model does not own (CloudFront's defaults).
NEW_DISTRIBUTION = {
    "DefaultRootObject": "",
    "OriginGroups": {"Quantity": 0},
    "Logging": {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
    "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
    "WebACLId": "",
}


def aws_origin(origin: Mapping[str, Any]) -> dict[str, Any]:
    """One declared origin as a DistributionConfig ``Origin``: a custom origin over HTTPS only,
    or a bucket read through its origin access control."""
    headers = [{"HeaderName": k, "HeaderValue": str(v)} for k, v in sorted(origin["custom_headers"].items())]
    made: dict[str, Any] = {
        "Id": origin["id"],
        "DomainName": origin["domain_name"],
        "OriginPath": "",
        "CustomHeaders": wrapped(headers),
        "ConnectionAttempts": 3,
        "ConnectionTimeout": 10,
        "OriginShield": {"Enabled": False},
        "OriginAccessControlId": origin["origin_access_control_id"] if origin["kind"] == "s3" else "",
    }
    if origin["kind"] == "s3":
        made["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    else:
        made["CustomOriginConfig"] = {
            "HTTPPort": 80,
            "HTTPSPort": origin["https_port"],
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": wrapped(list(origin["ssl_protocols"])),
            "OriginReadTimeout": 30,
            "OriginKeepaliveTimeout": 5,
        }
    return made


def aws_behaviour(behaviour: Mapping[str, Any]) -> dict[str, Any]:
    """One declared behaviour as a ``CacheBehavior`` (or the ``DefaultCacheBehavior``)."""
    groups = list(behaviour["trusted_key_groups"])
    made: dict[str, Any] = {
        "TargetOriginId": behaviour["target_origin"],
        "ViewerProtocolPolicy": behaviour["viewer_protocol_policy"],
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "TrustedKeyGroups": {"Enabled": bool(groups), **wrapped(groups)},
        "AllowedMethods": {
            **wrapped(list(behaviour["allowed_methods"])),
            "CachedMethods": wrapped(list(behaviour["cached_methods"])),
        },
        "SmoothStreaming": False,
        "Compress": behaviour["compress"],
        "LambdaFunctionAssociations": {"Quantity": 0},
        "FunctionAssociations": {"Quantity": 0},
        "FieldLevelEncryptionId": "",
        "CachePolicyId": policy_id(behaviour["cache_policy"]),
    }
    if behaviour["origin_request_policy"]:
        made["OriginRequestPolicyId"] = policy_id(behaviour["origin_request_policy"])
    if behaviour.get("path_pattern"):
        made = {"PathPattern": behaviour["path_pattern"], **made}
    return made


def viewer_certificate(p: Mapping[str, Any]) -> dict[str, Any]:
    """An ACM certificate (in us-east-1, as CloudFront requires) over SNI; without one, CloudFront's own."""
    if not p["certificate_arn"]:
        return {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"}
    return {
        "CloudFrontDefaultCertificate": False,
        "ACMCertificateArn": p["certificate_arn"],
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": p["minimum_protocol_version"],
    }


def managed_config(p: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a DistributionConfig the model owns, as the options declare them."""
    errors = [
        {"ErrorCode": int(code), "ErrorCachingMinTTL": int(seconds)}
        for code, seconds in sorted(p["error_caching_min_ttl"].items(), key=lambda kv: int(kv[0]))
    ]
    behaviours = [aws_behaviour(b) for b in p["behaviours"]]
    return {
        "Comment": p["name"],
        "Enabled": p["enabled"],
        "Aliases": wrapped(sorted(p["aliases"])),
        "Origins": wrapped([aws_origin(o) for o in p["origins"]]),
        "DefaultCacheBehavior": aws_behaviour(p["default_behaviour"]),
        "CacheBehaviors": wrapped(behaviours),
        "CustomErrorResponses": wrapped(errors),
        "PriceClass": p["price_class"],
        "ViewerCertificate": viewer_certificate(p),
        "HttpVersion": p["http_version"],
        "IsIPV6Enabled": p["ipv6"],
    }


def distribution_config(
    p: Mapping[str, Any], current: Mapping[str, Any] | None, caller_reference: str
) -> dict:
    """The whole DistributionConfig to send: the model's fields over what CloudFront holds (or its
    defaults for a new distribution), so an update never resets a field the model does not own."""
    base = (
        copy.deepcopy(dict(current)) if current else {**NEW_DISTRIBUTION, "CallerReference": caller_reference}
    )
    return {**base, **managed_config(p)}


# --- what plans compare and --diff shows --------------------------------------------------------


def origin_view(origin: Mapping[str, Any], reveal: bool) -> dict[str, Any]:
    """An ``Origin`` as compared (``reveal``: the custom headers' values as they are) or shown (masked)."""
    custom = origin.get("CustomOriginConfig")
    headers = {
        h["HeaderName"]: h["HeaderValue"] if reveal else MASK for h in items_of(origin.get("CustomHeaders"))
    }
    view = {
        "domain_name": origin.get("DomainName", ""),
        "origin_path": origin.get("OriginPath") or "",
        "kind": "custom" if custom else "s3",
        "origin_access_control_id": origin.get("OriginAccessControlId") or "",
        "custom_headers": headers,
    }
    if custom:
        view["https_port"] = int(custom.get("HTTPSPort") or 0)
        view["protocol_policy"] = custom.get("OriginProtocolPolicy", "")
        view["ssl_protocols"] = sorted(items_of(custom.get("OriginSslProtocols")))
    return view


def behaviour_view(behaviour: Mapping[str, Any]) -> dict[str, Any]:
    """A ``CacheBehavior`` (or the default one) as compared and shown."""
    methods = behaviour.get("AllowedMethods") or {}
    trusted = behaviour.get("TrustedKeyGroups") or {}

    def associations(key: str, arn: str) -> list[str]:
        return sorted(f"{a.get('EventType')} {a.get(arn)}" for a in items_of(behaviour.get(key)))

    return {
        "path_pattern": behaviour.get("PathPattern", ""),
        "target_origin": behaviour.get("TargetOriginId", ""),
        "viewer_protocol_policy": behaviour.get("ViewerProtocolPolicy", ""),
        "allowed_methods": sorted(items_of(methods)),
        "cached_methods": sorted(items_of(methods.get("CachedMethods"))),
        "compress": bool(behaviour.get("Compress")),
        "cache_policy_id": behaviour.get("CachePolicyId") or "",
        "origin_request_policy_id": behaviour.get("OriginRequestPolicyId") or "",
        "response_headers_policy_id": behaviour.get("ResponseHeadersPolicyId") or "",
        "trusted_key_groups": sorted(items_of(trusted)) if trusted.get("Enabled") else [],
        "trusted_signers": sorted(items_of(behaviour.get("TrustedSigners"))),
        "function_associations": associations("FunctionAssociations", "FunctionARN"),
        "lambda_function_associations": associations("LambdaFunctionAssociations", "LambdaFunctionARN"),
    }


def certificate_view(cert: Mapping[str, Any]) -> dict[str, Any]:
    if cert.get("CloudFrontDefaultCertificate") in (True, "true"):
        return {"cloudfront_default_certificate": True}
    return {
        "acm_certificate_arn": cert.get("ACMCertificateArn") or "",
        "ssl_support_method": cert.get("SSLSupportMethod") or "",
        "minimum_protocol_version": cert.get("MinimumProtocolVersion") or "",
    }


def config_view(config: Mapping[str, Any], reveal: bool = False) -> dict[str, Any]:
    """A DistributionConfig as plans compare it (``reveal``) and ``--diff`` shows it (secrets masked)."""
    errors = {
        str(e["ErrorCode"]): {
            "error_caching_min_ttl": int(e.get("ErrorCachingMinTTL") or 0),
            "response_page_path": e.get("ResponsePagePath") or "",
            "response_code": str(e.get("ResponseCode") or ""),
        }
        for e in items_of(config.get("CustomErrorResponses"))
    }
    return {
        "enabled": config.get("Enabled") in (True, "true"),
        "aliases": sorted(items_of(config.get("Aliases"))),
        "price_class": config.get("PriceClass", ""),
        "http_version": config.get("HttpVersion", ""),
        "ipv6": config.get("IsIPV6Enabled") in (True, "true"),
        "viewer_certificate": certificate_view(config.get("ViewerCertificate") or {}),
        "custom_error_responses": errors,
        "origins": {o["Id"]: origin_view(o, reveal) for o in items_of(config.get("Origins"))},
        "default_behaviour": behaviour_view(config.get("DefaultCacheBehavior") or {}),
        "behaviours": [behaviour_view(b) for b in items_of(config.get("CacheBehaviors"))],
    }


def config_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What differs between two compared views: a field, ``origin <id>``, ``behaviour <path>``,
    ``behaviour order`` (precedence is the order: the first pattern that matches wins)."""
    changes = [k for k in after if k not in ("origins", "behaviours") and before.get(k) != after[k]]
    origins_before, origins_after = before.get("origins", {}), after["origins"]
    changes += [
        f"origin {o}"
        for o in sorted({*origins_before, *origins_after})
        if origins_before.get(o) != origins_after.get(o)
    ]
    paths_before = {b["path_pattern"]: b for b in before.get("behaviours", [])}
    paths_after = {b["path_pattern"]: b for b in after["behaviours"]}
    changes += [
        f"behaviour {path}"
        for path in dict.fromkeys([*paths_after, *paths_before])
        if paths_before.get(path) != paths_after.get(path)
    ]
    common = [path for path in paths_after if path in paths_before]
    if [path for path in paths_before if path in paths_after] != common:
        changes.append("behaviour order")
    return changes


def unresolved(p: Mapping[str, Any]) -> list[str]:
    """References an earlier task makes (empty in check mode when it would create them)."""
    missing = [f"origin {o['id']} domain_name" for o in p["origins"] if not o["domain_name"]]
    missing += [
        f"origin {o['id']} origin_access_control_id"
        for o in p["origins"]
        if o["kind"] == "s3" and not o["origin_access_control_id"]
    ]
    for b in [p["default_behaviour"], *p["behaviours"]]:
        where = f"behaviour {b.get('path_pattern') or 'default'}"
        if not b["cache_policy"]:
            missing.append(f"{where} cache_policy")
        if not all(b["trusted_key_groups"]):
            missing.append(f"{where} trusted_key_groups")
    return missing


def distribution_plan(current: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to the distribution named ``p["name"]`` (its Comment). ``current``: ``summary``
    (list_distributions' entry), ``config`` and ``etag`` (get_distribution_config) and ``tags``;
    None when there is none."""
    summary = (current or {}).get("summary") or {}
    config = (current or {}).get("config")
    result = {
        "name": p["name"],
        "id": summary.get("Id"),
        "arn": summary.get("ARN"),
        "domain_name": summary.get("DomainName"),
        "status": summary.get("Status"),
        "hosted_zone_id": ALIAS_HOSTED_ZONE_ID,
    }
    before = {**config_view(config), "tags": current["tags"]} if config else {}
    if p["state"] == "absent":
        steps = {"id": summary.get("Id"), "etag": (current or {}).get("etag"), "config": config}
        plan = deletion(result, before if config else None, **steps)
        if config and before["enabled"]:
            plan.changes.insert(0, "disable")
        return plan
    if p["default_behaviour"] is None:
        raise ReconcileError("default_behaviour is required with state=present", **result)
    ids = {o["id"] for o in p["origins"]}
    strays = [
        b["target_origin"]
        for b in [p["default_behaviour"], *p["behaviours"]]
        if b["target_origin"] not in ids
    ]
    if strays:
        raise ReconcileError(f"behaviours aimed at undeclared origins: {', '.join(strays)}", **result)
    missing = unresolved(p)
    if missing and not check_mode:
        raise ReconcileError(
            f"distribution {p['name']}: nothing to point at for {', '.join(missing)}", **result
        )
    desired = distribution_config(p, config, "")
    tags = tag_plan((current or {}).get("tags", {}), p["tags"], p["purge_tags"])
    after = {**config_view(desired), "tags": tags["after"]}
    if config is None:
        return Plan(["create"], {}, after, result, {"config": desired, "tags": tags})
    changes = config_changes(config_view(config, reveal=True), config_view(desired, reveal=True))
    steps = {
        "config": desired,
        "id": summary["Id"],
        "etag": current["etag"],
        "tags": tags,
        "update": bool(changes),
    }
    changes += ["tags"] if tags["set"] or tags["remove"] else []
    return Plan(changes, before, after, result, steps)
