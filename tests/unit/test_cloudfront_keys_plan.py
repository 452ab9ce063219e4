"""The signer's plan (vf_cloudfront_signing_key), the cache policies' and the origin access
control's, on CloudFront's shapes (API Reference: ListPublicKeys, ListKeyGroups,
ListCachePolicies, ListOriginAccessControls): a signer is made once, replaced after its rotation
period, and its predecessor stays trusted exactly as long as a cookie it signed can live.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ansible.module_utils.vf_cloudfront_aws import marker_pages
from ansible.module_utils.vf_cloudfront_keys import signing_key_plan
from ansible.module_utils.vf_cloudfront_policies import cache_policy_plan, oac_plan

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
COOKIE = 6 * 3600  # the longest cookie lifetime (videoforge_playback_url_ttl)
PATH = "/video-forge/dev/streaming/cdn-signing-key"


def params(**overrides) -> dict:
    p = {
        "key_group": "video-forge-dev-signers",
        "public_key_prefix": "video-forge-dev-signer",
        "parameter_path": PATH,
        "rotation_days": 90,
        "retire_after_seconds": COOKIE,
        "tags": {},
        "state": "present",
    }
    return {**p, **overrides}


def public_key(key_id: str, made: datetime, name: str | None = None) -> dict:
    """A PublicKeySummary as ListPublicKeys returns it."""
    name = name or f"video-forge-dev-signer-{made:%Y%m%d%H%M%S}"
    pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg...\n-----END PUBLIC KEY-----\n"
    return {"Id": key_id, "Name": name, "CreatedTime": made, "EncodedKey": pem, "Comment": ""}


def key_group(*key_ids: str) -> dict:
    """A KeyGroup as ListKeyGroups returns it (inside KeyGroupSummary)."""
    config = {"Name": "video-forge-dev-signers", "Items": list(key_ids)}
    return {"Id": "2c1d7a9e-5b0e-4d6c", "LastModifiedTime": NOW, "KeyGroupConfig": config}


def current(keys: list[dict], group: dict | None, params_of: list[str] | None = None, now=NOW) -> dict:
    names = [k["Name"] for k in keys] if params_of is None else params_of
    return {"keys": keys, "parameters": names, "group": group, "now": now}


def test_the_first_run_makes_a_generation_and_the_group_that_trusts_it():
    plan = signing_key_plan(current([], None), params(), check_mode=False)
    assert plan.changes == ["create key group", "rotate: new key video-forge-dev-signer-20250601120000"]
    assert plan.steps["generate"] == "video-forge-dev-signer-20250601120000"
    assert plan.steps["trust"] == ["video-forge-dev-signer-20250601120000"]
    assert plan.result["signing_key_parameter"] == f"{PATH}/video-forge-dev-signer-20250601120000"
    assert plan.result["key_pair_id"] is None  # known once the public key is made


def test_a_signer_younger_than_its_rotation_is_left_alone():
    key = public_key("K2JCJMDEHXQW5F", NOW - timedelta(days=89))
    plan = signing_key_plan(current([key], key_group(key["Id"])), params(), check_mode=False)
    assert plan.changes == []
    assert plan.result["key_pair_id"] == "K2JCJMDEHXQW5F"
    assert plan.result["signing_key_parameter"] == f"{PATH}/{key['Name']}"


def test_rotation_adds_a_key_moves_the_signer_and_keeps_the_old_key_trusted():
    old = public_key("K2JCJMDEHXQW5F", NOW - timedelta(days=90))
    plan = signing_key_plan(current([old], key_group(old["Id"])), params(), check_mode=False)
    new = "video-forge-dev-signer-20250601120000"
    assert plan.changes == [f"rotate: new key {new}"]
    assert plan.steps["trust"] == sorted([new, old["Name"]])
    assert plan.steps["delete"] == []
    assert plan.after["signer"] == new and plan.before["signer"] == old["Name"]


@pytest.mark.parametrize(("since", "retired"), [(COOKIE - 1, False), (COOKIE, True)])
def test_the_old_key_goes_only_once_the_longest_cookie_it_signed_has_expired(since, retired):
    old = public_key("K2JCJMDEHXQW5F", NOW - timedelta(days=120))
    new = public_key("K3NEWKEYXQW5FA", NOW - timedelta(seconds=since))
    plan = signing_key_plan(current([old, new], key_group(old["Id"], new["Id"])), params(), check_mode=False)
    assert plan.result["key_pair_id"] == new["Id"]
    if retired:
        assert plan.changes == [f"retire {old['Name']}"]
        assert plan.steps["trust"] == [new["Name"]]
        assert plan.steps["delete"] == [
            {"name": old["Name"], "key_id": old["Id"], "parameter": f"{PATH}/{old['Name']}"}
        ]
    else:
        assert plan.changes == []


def test_a_half_without_its_other_half_is_removed_and_never_trusted():
    whole = public_key("K2JCJMDEHXQW5F", NOW - timedelta(days=3))
    lonely_key = public_key("KLONELYPUBKEY1", NOW - timedelta(days=1))
    params_of = [whole["Name"], "video-forge-dev-signer-20250531000000"]  # a private half alone
    plan = signing_key_plan(current([whole, lonely_key], key_group(whole["Id"]), params_of), params(), False)
    assert plan.steps["generate"] is None and plan.result["key_pair_id"] == whole["Id"]
    assert sorted(plan.changes) == sorted(
        [f"remove unpaired {lonely_key['Name']}", "remove unpaired video-forge-dev-signer-20250531000000"]
    )
    assert {d["name"]: (d["key_id"], d["parameter"]) for d in plan.steps["delete"]} == {
        lonely_key["Name"]: (lonely_key["Id"], None),
        "video-forge-dev-signer-20250531000000": (None, f"{PATH}/video-forge-dev-signer-20250531000000"),
    }


def test_a_key_added_to_the_group_by_hand_is_taken_out_and_other_keys_are_not_ours():
    ours = public_key("K2JCJMDEHXQW5F", NOW - timedelta(days=3))
    theirs = public_key("KSOMEONEELSE01", NOW - timedelta(days=3), name="another-app-key")
    plan = signing_key_plan(current([ours, theirs], key_group(ours["Id"], theirs["Id"])), params(), False)
    assert plan.changes == ["untrust KSOMEONEELSE01 (not ours)"]
    assert plan.steps["trust"] == [ours["Name"]] and plan.steps["delete"] == []


def test_absent_deletes_the_group_then_every_generation():
    key = public_key("K2JCJMDEHXQW5F", NOW - timedelta(days=3))
    plan = signing_key_plan(current([key], key_group(key["Id"])), params(state="absent"), check_mode=False)
    assert plan.changes == ["delete key group", f"delete {key['Name']}"]
    assert plan.steps["delete_group"]["Id"] == "2c1d7a9e-5b0e-4d6c"
    assert signing_key_plan(current([], None), params(state="absent"), check_mode=False).changes == []


# --- cache policies and the origin access control ----------------------------------------------


def policy_params(**overrides) -> dict:
    p = {
        "name": "video-forge-dev-media",
        "comment": "",
        "min_ttl": 0,
        "default_ttl": 86400,
        "max_ttl": 31536000,
        "headers": [],
        "cookies": [],
        "query_strings": [],
        "compress": True,
        "state": "present",
    }
    return {**p, **overrides}


def listed_policy(**config) -> dict:
    """A CachePolicy as ListCachePolicies returns it (Type custom)."""
    keys = {
        "EnableAcceptEncodingGzip": True,
        "EnableAcceptEncodingBrotli": True,
        "HeadersConfig": {"HeaderBehavior": "none"},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    }
    made = {"Name": "video-forge-dev-media", "MinTTL": 0, "DefaultTTL": 86400, "MaxTTL": 31536000}
    made["ParametersInCacheKeyAndForwardedToOrigin"] = keys
    return {"Id": "658327ea-aaaa", "LastModifiedTime": NOW, "CachePolicyConfig": {**made, **config}}


def test_a_cache_policy_as_listed_is_left_alone_and_a_ttl_changed_by_hand_is_put_back():
    assert cache_policy_plan(listed_policy(), policy_params(), False).changes == []
    plan = cache_policy_plan(listed_policy(DefaultTTL=5), policy_params(), False)
    assert plan.changes == ["default_ttl"]
    assert (plan.before["default_ttl"], plan.after["default_ttl"]) == (5, 86400)
    assert plan.steps["config"]["DefaultTTL"] == 86400 and plan.steps["id"] == "658327ea-aaaa"


def test_a_cache_key_of_named_headers_is_a_whitelist_in_cloudfronts_shape():
    config = cache_policy_plan(None, policy_params(headers=["Origin", "Accept"]), False).steps["config"]
    headers = config["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]
    assert headers == {
        "HeaderBehavior": "whitelist",
        "Headers": {"Quantity": 2, "Items": ["Accept", "Origin"]},
    }


def test_the_origin_access_control_always_signs_with_sigv4():
    summary = {
        "Id": "E3QK7W9ZLMNOPQ",
        "Description": "",
        "Name": "video-forge-dev-media-bucket",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "no-override",
        "OriginAccessControlOriginType": "s3",
    }
    p = {"name": "video-forge-dev-media-bucket", "description": "", "origin_type": "s3", "state": "present"}
    plan = oac_plan(summary, p, False)
    assert plan.changes == ["SigningBehavior"]
    assert plan.steps["config"]["SigningBehavior"] == "always"
    assert oac_plan({**summary, "SigningBehavior": "always"}, p, False).changes == []


class Pages:
    """A client whose listing answers page by page with NextMarker, as CloudFront's do."""

    def __init__(self, pages: list[dict]):
        self.pages, self.markers = pages, []

    def call(self, operation: str, **params):
        self.markers.append(params.get("Marker"))
        return self.pages[len(self.markers) - 1]


def test_a_listing_without_a_botocore_paginator_is_read_to_its_last_page():
    pages = [
        {
            "KeyGroupList": {
                "NextMarker": "m1",
                "MaxItems": 1,
                "Quantity": 1,
                "Items": [{"KeyGroup": {"Id": "a"}}],
            }
        },
        {"KeyGroupList": {"NextMarker": "m2", "MaxItems": 1, "Quantity": 0}},
        {"KeyGroupList": {"MaxItems": 1, "Quantity": 1, "Items": [{"KeyGroup": {"Id": "b"}}]}},
    ]
    client = Pages(pages)
    items = marker_pages(client, "list_key_groups", "KeyGroupList")
    assert [i["KeyGroup"]["Id"] for i in items] == ["a", "b"]
    assert client.markers == [None, "m1", "m2"]
