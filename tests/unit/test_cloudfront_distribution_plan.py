"""vf_cloudfront_distribution's plan on CloudFront's own shapes (API Reference:
GetDistributionConfig, ListDistributions): a distribution as AWS describes it after our create
is left alone, whatever order AWS lists methods, aliases or errors in; a field changed by hand is
named and put back; an update keeps what the model does not own; the origin secret never reaches
the diff; deletion disables first.
"""

from __future__ import annotations

import copy

import pytest
from ansible.module_utils.vf_cloudfront import MANAGED_POLICY_IDS, MASK, distribution_plan
from ansible.module_utils.vf_module import ReconcileError

SECRET = "kT3v9-secret-value"
MEDIA_POLICY = "a8f1c0de-0000-4000-8000-00000000med1"
SITE_POLICY = "a8f1c0de-0000-4000-8000-00000000site"
KEY_GROUP = "2c1d7a9e-5b0e-4d6c-9a3f-7f1e2d3c4b5a"
OAC = "E3QK7W9ZLMNOPQ"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
ALB = "video-forge-dev-alb-1234567890.ap-southeast-2.elb.amazonaws.com"
BUCKET = "video-forge-storage-dev.s3.ap-southeast-2.amazonaws.com"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]


def behaviour(**overrides) -> dict:
    b = {
        "path_pattern": None,
        "target_origin": "alb",
        "cache_policy": SITE_POLICY,
        "origin_request_policy": "",
        "trusted_key_groups": [],
        "allowed_methods": ["GET", "HEAD"],
        "cached_methods": ["GET", "HEAD"],
        "compress": True,
        "viewer_protocol_policy": "redirect-to-https",
    }
    return {**b, **overrides}


def params(**overrides) -> dict:
    p = {
        "name": "video-forge-dev",
        "state": "present",
        "enabled": True,
        "aliases": ["video.example.com"],
        "certificate_arn": CERT,
        "minimum_protocol_version": "TLSv1.2_2021",
        "price_class": "PriceClass_All",
        "http_version": "http2and3",
        "ipv6": True,
        "origins": [
            {
                "id": "alb",
                "domain_name": ALB,
                "kind": "custom",
                "origin_access_control_id": "",
                "https_port": 443,
                "ssl_protocols": ["TLSv1.2"],
                "custom_headers": {"X-Origin-Verify": SECRET},
            },
            {
                "id": "media",
                "domain_name": BUCKET,
                "kind": "s3",
                "origin_access_control_id": OAC,
                "https_port": 443,
                "ssl_protocols": ["TLSv1.2"],
                "custom_headers": {},
            },
        ],
        "default_behaviour": behaviour(),
        "behaviours": [
            behaviour(
                path_pattern="/hls/*",
                target_origin="media",
                cache_policy=MEDIA_POLICY,
                trusted_key_groups=[KEY_GROUP],
            ),
            behaviour(
                path_pattern="/api/*",
                cache_policy="CachingDisabled",
                origin_request_policy="AllViewerExceptHostHeader",
                allowed_methods=ALL_METHODS,
            ),
        ],
        "error_caching_min_ttl": {str(code): 10 for code in (403, 404, 500, 502, 503, 504)},
        "wait": False,
        "wait_timeout": 1800,
        "tags": {"Project": "VideoForge"},
        "purge_tags": True,
    }
    return {**p, **overrides}


def aws_behaviour(path: str | None, origin: str, policy: str, methods: list[str], **extra) -> dict:
    """A CacheBehavior as GetDistributionConfig returns it: every field, lists quantity-wrapped,
    methods in CloudFront's own order."""
    b = {
        "TargetOriginId": origin,
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "TrustedKeyGroups": {"Enabled": False, "Quantity": 0},
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {
            "Quantity": len(methods),
            "Items": list(reversed(methods)),
            "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
        },
        "SmoothStreaming": False,
        "Compress": True,
        "LambdaFunctionAssociations": {"Quantity": 0},
        "FunctionAssociations": {"Quantity": 0},
        "FieldLevelEncryptionId": "",
        "CachePolicyId": policy,
        "GrpcConfig": {"Enabled": False},
        **extra,
    }
    return {"PathPattern": path, **b} if path else b


def described() -> dict:
    """get_distribution_config's answer for the distribution ``params()`` declares, as CloudFront
    gives it back: fields the model does not set (logging, restrictions, staging...) included."""
    config = {
        "CallerReference": "video-forge-dev-5e0c1f2a9b8d7c6e",
        "Aliases": {"Quantity": 1, "Items": ["video.example.com"]},
        "DefaultRootObject": "",
        "Origins": {
            "Quantity": 2,
            "Items": [
                {
                    "Id": "alb",
                    "DomainName": ALB,
                    "OriginPath": "",
                    "CustomHeaders": {
                        "Quantity": 1,
                        "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": SECRET}],
                    },
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                        "OriginReadTimeout": 30,
                        "OriginKeepaliveTimeout": 5,
                    },
                    "ConnectionAttempts": 3,
                    "ConnectionTimeout": 10,
                    "OriginShield": {"Enabled": False},
                    "OriginAccessControlId": "",
                },
                {
                    "Id": "media",
                    "DomainName": BUCKET,
                    "OriginPath": "",
                    "CustomHeaders": {"Quantity": 0},
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "ConnectionAttempts": 3,
                    "ConnectionTimeout": 10,
                    "OriginShield": {"Enabled": False},
                    "OriginAccessControlId": OAC,
                },
            ],
        },
        "OriginGroups": {"Quantity": 0},
        "DefaultCacheBehavior": aws_behaviour(None, "alb", SITE_POLICY, ["GET", "HEAD"]),
        "CacheBehaviors": {
            "Quantity": 2,
            "Items": [
                aws_behaviour(
                    "/hls/*",
                    "media",
                    MEDIA_POLICY,
                    ["GET", "HEAD"],
                    TrustedKeyGroups={"Enabled": True, "Quantity": 1, "Items": [KEY_GROUP]},
                ),
                aws_behaviour(
                    "/api/*",
                    "alb",
                    MANAGED_POLICY_IDS["CachingDisabled"],
                    ALL_METHODS,
                    OriginRequestPolicyId=MANAGED_POLICY_IDS["AllViewerExceptHostHeader"],
                ),
            ],
        },
        "CustomErrorResponses": {
            "Quantity": 6,
            "Items": [
                {"ErrorCode": code, "ResponsePagePath": "", "ResponseCode": "", "ErrorCachingMinTTL": 10}
                for code in (504, 503, 502, 500, 404, 403)
            ],
        },
        "Comment": "video-forge-dev",
        "Logging": {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""},
        "PriceClass": "PriceClass_All",
        "Enabled": True,
        "ViewerCertificate": {
            "CloudFrontDefaultCertificate": False,
            "ACMCertificateArn": CERT,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
            "Certificate": CERT,
            "CertificateSource": "acm",
        },
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "ContinuousDeploymentPolicyId": "",
        "Staging": False,
    }
    summary = {
        "Id": "E2QWRUHAPOMQZL",
        "ARN": "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
        "Status": "Deployed",
        "DomainName": "d111111abcdef8.cloudfront.net",
        "Comment": "video-forge-dev",
        "Enabled": True,
    }
    return {"summary": summary, "config": config, "etag": "E2QWRUHAPOMQZL", "tags": {"Project": "VideoForge"}}


def test_the_distribution_as_cloudfront_describes_it_is_left_alone():
    plan = distribution_plan(described(), params(), check_mode=False)
    assert plan.changes == []
    assert plan.result["domain_name"] == "d111111abcdef8.cloudfront.net"
    assert plan.result["arn"].endswith(":distribution/E2QWRUHAPOMQZL")
    assert plan.result["hosted_zone_id"] == "Z2FDTNDATAQYW2"


def drifted(edit) -> dict:
    current = copy.deepcopy(described())
    edit(current["config"])
    return current


def _edge(path: str):
    def at(config: dict) -> dict:
        return next(b for b in config["CacheBehaviors"]["Items"] if b["PathPattern"] == path)

    return at


def _origin(index: int, *path: str):
    def at(config: dict) -> dict:
        found = config["Origins"]["Items"][index]
        for key in path:
            found = found[key]
        return found

    return at


ONE_FUNCTION = {"Quantity": 1, "Items": [{"EventType": "viewer-request", "FunctionARN": "arn:f"}]}
TWO_ALIASES = {"Quantity": 2, "Items": ["video.example.com", "evil.example.com"]}
DRIFTS = {
    "error ttl": (
        lambda c: c["CustomErrorResponses"]["Items"][4].update(ErrorCachingMinTTL=300),
        "custom_error_responses",
    ),
    "unsigned hls": (
        lambda c: _edge("/hls/*")(c).update(TrustedKeyGroups={"Enabled": False, "Quantity": 0}),
        "behaviour /hls/*",
    ),
    "api cached": (lambda c: _edge("/api/*")(c).update(CachePolicyId=SITE_POLICY), "behaviour /api/*"),
    "api headers": (lambda c: _edge("/api/*")(c).pop("OriginRequestPolicyId"), "behaviour /api/*"),
    "a function": (
        lambda c: c["DefaultCacheBehavior"].update(FunctionAssociations=ONE_FUNCTION),
        "default_behaviour",
    ),
    "plain http": (
        lambda c: c["DefaultCacheBehavior"].update(ViewerProtocolPolicy="allow-all"),
        "default_behaviour",
    ),
    "http origin": (
        lambda c: _origin(0, "CustomOriginConfig")(c).update(OriginProtocolPolicy="match-viewer"),
        "origin alb",
    ),
    "secret": (
        lambda c: _origin(0, "CustomHeaders", "Items")(c)[0].update(HeaderValue="guessed"),
        "origin alb",
    ),
    "no oac": (lambda c: _origin(1)(c).update(OriginAccessControlId=""), "origin media"),
    "price class": (lambda c: c.update(PriceClass="PriceClass_100"), "price_class"),
    "http2 only": (lambda c: c.update(HttpVersion="http2"), "http_version"),
    "no ipv6": (lambda c: c.update(IsIPV6Enabled=False), "ipv6"),
    "old tls": (
        lambda c: c["ViewerCertificate"].update(MinimumProtocolVersion="TLSv1"),
        "viewer_certificate",
    ),
    "an alias": (lambda c: c.update(Aliases=TWO_ALIASES), "aliases"),
}


@pytest.mark.parametrize(("edit", "change"), DRIFTS.values(), ids=DRIFTS.keys())
def test_a_field_changed_by_hand_is_named_and_put_back(edit, change):
    plan = distribution_plan(drifted(edit), params(), check_mode=False)
    assert plan.changes == [change]
    # The update sends the declared value back, whole, with the ETag it read.
    assert plan.steps["update"] and plan.steps["etag"] == "E2QWRUHAPOMQZL"
    again = distribution_plan({**described(), "config": plan.steps["config"]}, params(), check_mode=False)
    assert again.changes == []


def test_the_behaviours_precedence_is_their_order():
    def swap(config):
        config["CacheBehaviors"]["Items"].reverse()

    plan = distribution_plan(drifted(swap), params(), check_mode=False)
    assert plan.changes == ["behaviour order"]
    assert [b["PathPattern"] for b in plan.steps["config"]["CacheBehaviors"]["Items"]] == ["/hls/*", "/api/*"]


def test_an_update_keeps_what_the_model_does_not_own():
    def owned_elsewhere(config):
        config["Logging"] = {
            "Enabled": True,
            "IncludeCookies": False,
            "Bucket": "logs.s3.amazonaws.com",
            "Prefix": "cf/",
        }
        config["Restrictions"] = {
            "GeoRestriction": {"RestrictionType": "blacklist", "Quantity": 1, "Items": ["KP"]}
        }
        config["WebACLId"] = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/1"
        config["PriceClass"] = "PriceClass_100"  # and one field the model owns

    plan = distribution_plan(drifted(owned_elsewhere), params(), check_mode=False)
    assert plan.changes == ["price_class"]
    sent = plan.steps["config"]
    assert sent["Logging"]["Bucket"] == "logs.s3.amazonaws.com"
    assert sent["Restrictions"]["GeoRestriction"]["Items"] == ["KP"]
    assert sent["WebACLId"].endswith("/webacl/site/1")
    assert sent["CallerReference"] == "video-forge-dev-5e0c1f2a9b8d7c6e"  # never changes
    assert sent["Staging"] is False and sent["PriceClass"] == "PriceClass_All"


def test_the_origin_secret_never_reaches_the_diff_or_the_result():
    plan = distribution_plan(None, params(), check_mode=False)
    assert plan.changes == ["create"]
    assert SECRET not in repr(plan.after) and SECRET not in repr(plan.result)
    assert plan.after["origins"]["alb"]["custom_headers"] == {"X-Origin-Verify": MASK}
    # ...while the config sent carries it.
    headers = plan.steps["config"]["Origins"]["Items"][0]["CustomHeaders"]
    assert headers == {"Quantity": 1, "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": SECRET}]}


def test_a_new_distribution_is_declared_whole_in_cloudfronts_shapes():
    config = distribution_plan(None, params(), check_mode=False).steps["config"]
    api = next(b for b in config["CacheBehaviors"]["Items"] if b["PathPattern"] == "/api/*")
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert api["AllowedMethods"]["Quantity"] == 7
    hls = config["CacheBehaviors"]["Items"][0]
    assert hls["TrustedKeyGroups"] == {"Enabled": True, "Quantity": 1, "Items": [KEY_GROUP]}
    assert "OriginRequestPolicyId" not in hls
    media = config["Origins"]["Items"][1]
    assert media["S3OriginConfig"] == {"OriginAccessIdentity": ""} and media["OriginAccessControlId"] == OAC
    alb = config["Origins"]["Items"][0]["CustomOriginConfig"]
    assert alb["OriginProtocolPolicy"] == "https-only"
    assert config["CustomErrorResponses"]["Items"][0] == {"ErrorCode": 403, "ErrorCachingMinTTL": 10}
    assert config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"
    assert (config["HttpVersion"], config["IsIPV6Enabled"]) == ("http2and3", True)
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_check_mode_plans_around_what_earlier_tasks_would_make_but_a_run_refuses_it():
    pending = params(origins=[{**params()["origins"][0], "domain_name": ""}, params()["origins"][1]])
    plan = distribution_plan(None, pending, check_mode=True)
    assert plan.changes == ["create"]
    with pytest.raises(ReconcileError, match="origin alb domain_name"):
        distribution_plan(None, pending, check_mode=False)


def test_a_behaviour_aimed_at_an_undeclared_origin_fails_even_in_check_mode():
    stray = params(behaviours=[behaviour(path_pattern="/x/*", target_origin="nowhere")])
    with pytest.raises(ReconcileError, match="nowhere"):
        distribution_plan(None, stray, check_mode=True)


def test_deletion_disables_first_and_nothing_is_done_when_it_is_gone():
    plan = distribution_plan(described(), params(state="absent"), check_mode=False)
    assert plan.changes == ["disable", "delete"]
    assert plan.steps["delete"] and plan.steps["etag"] == "E2QWRUHAPOMQZL"
    assert plan.after == {}
    assert distribution_plan(None, params(state="absent"), check_mode=False).changes == []


def test_tags_are_reconciled_without_an_update_of_the_config():
    current = {**described(), "tags": {"Project": "VideoForge", "Owner": "someone"}}
    plan = distribution_plan(current, params(), check_mode=False)
    assert plan.changes == ["tags"]
    assert not plan.steps["update"] and plan.steps["tags"]["remove"] == ["Owner"]
