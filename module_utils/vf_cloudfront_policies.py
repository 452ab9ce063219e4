"""Pure functions for CloudFront's cache policies and origin access controls: the plans of
vf_cloudfront_cache_policies and vf_cloudfront_origin_access_control (their calls are in
vf_cloudfront_aws). Both are versioned by an ETag that an update or delete must name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_cloudfront import items_of, wrapped
from ansible.module_utils.vf_module import Plan, deletion

# --- cache policies ---------------------------------------------------------------------------

CACHE_POLICY_OPTIONS = {
    "name": {"type": "str", "required": True},
    "comment": {"type": "str", "default": ""},
    "min_ttl": {"type": "int", "default": 0},
    "default_ttl": {"type": "int", "default": 86400},
    "max_ttl": {"type": "int", "default": 31536000},
    "headers": {"type": "list", "elements": "str", "default": []},
    "cookies": {"type": "list", "elements": "str", "default": []},
    "query_strings": {"type": "list", "elements": "str", "default": []},
    "compress": {"type": "bool", "default": True},
}


def _keys(kind: str, behaviour_key: str, names: list[str]) -> dict[str, Any]:
    plural = {"Header": "Headers", "Cookie": "Cookies", "QueryString": "QueryStrings"}[kind]
    config: dict[str, Any] = {behaviour_key: "whitelist" if names else "none"}
    if names:
        config[plural] = wrapped(sorted(names))
    return config


def cache_policy_config(p: Mapping[str, Any]) -> dict[str, Any]:
    """The CachePolicyConfig the options declare (the objects' Cache-Control decides within the TTLs)."""
    return {
        "Name": p["name"],
        "Comment": p["comment"],
        "MinTTL": p["min_ttl"],
        "DefaultTTL": p["default_ttl"],
        "MaxTTL": p["max_ttl"],
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": p["compress"],
            "EnableAcceptEncodingBrotli": p["compress"],
            "HeadersConfig": _keys("Header", "HeaderBehavior", p["headers"]),
            "CookiesConfig": _keys("Cookie", "CookieBehavior", p["cookies"]),
            "QueryStringsConfig": _keys("QueryString", "QueryStringBehavior", p["query_strings"]),
        },
    }


def cache_policy_view(config: Mapping[str, Any]) -> dict[str, Any]:
    """A CachePolicyConfig as plans compare it and ``--diff`` shows it."""
    keys = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}

    def names(section: str, behaviour: str, plural: str) -> dict[str, Any]:
        part = keys.get(section) or {}
        return {"behavior": part.get(behaviour, "none"), "names": sorted(items_of(part.get(plural)))}

    return {
        "comment": config.get("Comment") or "",
        "min_ttl": int(config.get("MinTTL") or 0),
        "default_ttl": int(config.get("DefaultTTL") or 0),
        "max_ttl": int(config.get("MaxTTL") or 0),
        "gzip": bool(keys.get("EnableAcceptEncodingGzip")),
        "brotli": bool(keys.get("EnableAcceptEncodingBrotli")),
        "headers": names("HeadersConfig", "HeaderBehavior", "Headers"),
        "cookies": names("CookiesConfig", "CookieBehavior", "Cookies"),
        "query_strings": names("QueryStringsConfig", "QueryStringBehavior", "QueryStrings"),
    }


def cache_policy_plan(policy: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one cache policy. ``policy``: list_cache_policies' ``CachePolicy`` of that
    name (custom policies only), or None. ``apply`` reads the ETag just before it writes."""
    before = cache_policy_view(policy["CachePolicyConfig"]) if policy else {}
    result = {"name": p["name"], "id": policy["Id"] if policy else None}
    if p["state"] == "absent":
        return deletion(result, before if policy else None, id=result["id"])
    config = cache_policy_config(p)
    after = cache_policy_view(config)
    if policy is None:
        return Plan(["create"], {}, after, result, {"config": config})
    changes = [key for key in after if before.get(key) != after[key]]
    return Plan(changes, before, after, result, {"config": config, "id": policy["Id"]})


# --- origin access control --------------------------------------------------------------------

OAC_OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": ""},
    "origin_type": {
        "type": "str",
        "choices": ["s3", "mediastore", "lambda", "mediapackagev2"],
        "default": "s3",
    },
}


def oac_config(p: Mapping[str, Any]) -> dict[str, str]:
    """An OriginAccessControlConfig: CloudFront signs every origin request with SigV4."""
    return {
        "Name": p["name"],
        "Description": p["description"],
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": p["origin_type"],
    }


def oac_view(config: Mapping[str, Any]) -> dict[str, str]:
    """An OriginAccessControlConfig (or list summary) as plans compare it."""
    keys = ("Description", "SigningProtocol", "SigningBehavior", "OriginAccessControlOriginType")
    return {key: str(config.get(key) or "") for key in keys}


def oac_plan(summary: Mapping[str, Any] | None, p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one origin access control. ``summary``: its list_origin_access_controls entry
    (found by name), or None. ``apply`` reads the ETag just before it writes."""
    before = oac_view(summary) if summary else {}
    result = {"name": p["name"], "id": summary["Id"] if summary else None}
    if p["state"] == "absent":
        return deletion(result, before if summary else None, id=result["id"])
    config = oac_config(p)
    after = oac_view(config)
    if summary is None:
        return Plan(["create"], {}, after, result, {"config": config})
    changes = [key for key in after if before[key] != after[key]]
    return Plan(changes, before, after, result, {"config": config, "id": summary["Id"]})
