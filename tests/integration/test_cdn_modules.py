"""CloudFront in front of the site, against a real moto server (with twin/emulator/cloudfront.py):
the local model's network, edge, cdn and storage playbooks converge once (with --diff); the load
balancer then answers CloudFront only (prefix list, origin secret header, 403 for the rest), the
bucket admits the distribution only, the distribution is the declared one, and the signer
rotates and retires keys without its private key ever showing. A second run of the whole site
changing nothing is tests/integration/test_dns_and_database.py's (dev's model, CDN on).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.support.ansible_runner import ROOT, PlaybookResult, run_playbook

PLAYBOOKS = [
    "network",
    "edge",
    "cdn",
    "storage",
]  # site.yml's order: the bucket policy names the distribution
PATH = "/video-forge/local"
PREFIX = "video-forge-local"
BUCKET = "video-forge-storage-local"


def deploy(aws, tmp_path: Path, playbooks=PLAYBOOKS, **kwargs) -> PlaybookResult:
    plays = [
        {"ansible.builtin.import_playbook": str(ROOT / "playbooks" / f"{name}.yml")} for name in playbooks
    ]
    env = {"AWS_ENDPOINT_URL": aws.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return run_playbook(
        tmp_path,
        plays,
        inventory=str(ROOT / "inventories" / "local"),
        extra_vars={"videoforge_aws_environment": {**env, "AWS_DEFAULT_REGION": "ap-southeast-2"}},
        **kwargs,
    )


@pytest.fixture(scope="module")
def site(aws, tmp_path_factory):
    """The four playbooks applied to an empty account."""
    aws.reset()
    first = deploy(aws, tmp_path_factory.mktemp("cdn"), diff=True)
    assert first.ok, first.output[-5000:]
    outputs = {
        p["Name"].removeprefix(PATH + "/"): p["Value"]
        for page in boto3.client("ssm").get_paginator("get_parameters_by_path").paginate(Path=PATH)
        for p in page["Parameters"]
    }
    secret = boto3.client("ssm").get_parameter(Name=f"{PATH}/cdn-origin-secret", WithDecryption=True)
    return {"first": first, "outputs": outputs, "secret": secret["Parameter"]["Value"]}


def test_the_load_balancer_answers_cloudfront_with_the_secret_only(site):
    ec2, elb = boto3.client("ec2"), boto3.client("elbv2")
    group = ec2.describe_security_groups(GroupIds=[site["outputs"]["alb-sg-id"]])["SecurityGroups"][0]
    cloudfront = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.global.cloudfront.origin-facing"]}]
    )["PrefixLists"][0]["PrefixListId"]
    assert [(p["FromPort"], p.get("IpRanges"), p["PrefixListIds"]) for p in group["IpPermissions"]] == [
        (443, [], [{"PrefixListId": cloudfront, "Description": "HTTPS from CloudFront"}])
    ]
    listener = site["outputs"]["https-listener-arn"]
    default = elb.describe_listeners(ListenerArns=[listener])["Listeners"][0]["DefaultActions"][0]
    assert (default["Type"], default["FixedResponseConfig"]["StatusCode"]) == ("fixed-response", "403")
    rules = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    assert len(rules) == 3  # gallery-api, streaming-api, and the default service behind the secret
    for rule in rules:
        headers = [c["HttpHeaderConfig"] for c in rule["Conditions"] if c["Field"] == "http-header"]
        # Header names are case-insensitive; the rules keep them lower case.
        assert headers == [{"HttpHeaderName": "x-origin-verify", "Values": [site["secret"]]}]
    client = next(r for r in rules if len(r["Conditions"]) == 1)
    assert client["Actions"][0]["TargetGroupArn"] == site["outputs"]["target-group-arn-client"]
    assert site["secret"] not in site["first"].output
    assert site["secret"] not in json.dumps([t.result for t in site["first"].tasks])


def test_the_private_bucket_admits_the_distribution_and_nobody_else(site):
    s3 = boto3.client("s3")
    arn = site["outputs"]["distribution-arn"]
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {
        "CloudFrontReadsMedia",
        "CloudFrontListsMedia",
    }  # locally no TLS-only statement
    for statement in statements.values():
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {"AWS:SourceArn": arn}
    assert sorted(statements["CloudFrontReadsMedia"]["Resource"]) == [
        f"arn:aws:s3:::{BUCKET}/hls/*",
        f"arn:aws:s3:::{BUCKET}/thumbnails/*",
    ]
    assert statements["CloudFrontListsMedia"]["Condition"]["StringLike"] == {"s3:prefix": "hls/*"}
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_the_distribution_is_the_declared_one(site):
    cf, outputs = boto3.client("cloudfront"), site["outputs"]
    dist = cf.get_distribution(Id=outputs["distribution-id"])["Distribution"]
    assert dist["ARN"] == outputs["distribution-arn"] and dist["DomainName"] == outputs["distribution-domain"]
    config = dist["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["alb"]["DomainName"] == "origin.localhost"  # videoforge_cdn.origin_domain
    assert origins["alb"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origins["alb"]["CustomHeaders"]["Items"] == [
        {"HeaderName": "X-Origin-Verify", "HeaderValue": site["secret"]}
    ]
    assert origins["media"]["DomainName"] == f"{BUCKET}.s3.ap-southeast-2.amazonaws.com"
    oac = cf.get_origin_access_control(Id=origins["media"]["OriginAccessControlId"])["OriginAccessControl"]
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    behaviours = [b["PathPattern"] for b in config["CacheBehaviors"]["Items"]]
    assert behaviours == ["/hls/*", "/api/*"]
    hls = config["CacheBehaviors"]["Items"][0]
    assert hls["TrustedKeyGroups"]["Items"] == [outputs["cdn-key-group-id"]]
    group = cf.get_key_group(Id=outputs["cdn-key-group-id"])["KeyGroup"]["KeyGroupConfig"]
    assert group["Items"] == [outputs["cdn-key-pair-id"]]
    assert {e["ErrorCode"]: e["ErrorCachingMinTTL"] for e in config["CustomErrorResponses"]["Items"]} == {
        code: 10 for code in (403, 404, 500, 502, 503, 504)
    }
    certificate = config["ViewerCertificate"]["ACMCertificateArn"]
    assert certificate.startswith("arn:aws:acm:us-east-1:")  # CloudFront reads certificates there only


def signer(aws, tmp_path: Path, **options) -> PlaybookResult:
    module = {
        "key_group": "vf-test-signers",
        "public_key_prefix": "vf-test-signer",
        "parameter_path": "/vf-test/streaming/cdn-signing-key",
        **options,
    }
    return run_playbook(
        tmp_path,
        [{"hosts": "localhost", "gather_facts": False, "tasks": [{"vf_cloudfront_signing_key": module}]}],
    )


def trusted(group_id: str) -> list[str]:
    return boto3.client("cloudfront").get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]["Items"]


def private_keys() -> dict[str, str]:
    params = boto3.client("ssm").get_parameters_by_path(
        Path="/vf-test/streaming/cdn-signing-key", WithDecryption=True
    )
    return {p["Name"]: p["Value"] for p in params["Parameters"]}


def test_the_signer_rotates_keeps_the_old_key_for_the_cookie_lifetime_then_retires_it(aws, site, tmp_path):
    first = signer(aws, tmp_path)
    assert first.ok, first.output[-3000:]
    made = first.tasks[-1].result
    assert trusted(made["key_group_id"]) == [made["key_pair_id"]]
    # Rotation due (0 days): a new key signs, the old one stays trusted while its cookies live.
    rotated = signer(aws, tmp_path, rotation_days=0, retire_after_seconds=3600)
    assert rotated.ok, rotated.output[-3000:]
    new = rotated.tasks[-1].result
    assert new["key_pair_id"] != made["key_pair_id"]
    assert sorted(trusted(made["key_group_id"])) == sorted([made["key_pair_id"], new["key_pair_id"]])
    both = private_keys()
    assert sorted(both) == sorted([made["signing_key_parameter"], new["signing_key_parameter"]])
    # Once the longest cookie has expired (0 s here) the old key goes, its private half with it.
    retired = signer(aws, tmp_path, retire_after_seconds=0)
    assert retired.ok, retired.output[-3000:]
    assert retired.tasks[-1].result["changes"] == [f"retire {made['signer']}"]
    assert trusted(made["key_group_id"]) == [new["key_pair_id"]]
    assert list(private_keys()) == [new["signing_key_parameter"]]
    # No private key ever shows in any output (a line of its base64 stands for all of it).
    for pem in both.values():
        assert pem.startswith("-----BEGIN PRIVATE KEY-----")
        for run in (first, rotated, retired):
            assert pem.splitlines()[1] not in run.output
            assert pem.splitlines()[1] not in json.dumps([t.result for t in run.tasks])


def distribution_task(state: str) -> dict:
    return {
        "vf_cloudfront_distribution": {
            "name": "vf-test-teardown",
            "origins": [{"id": "site", "domain_name": "origin.teardown.example.com"}],
            "default_behaviour": {"target_origin": "site", "cache_policy": "CachingDisabled"},
            "state": state,
            "wait_timeout": 60,
        }
    }


def test_a_distribution_is_disabled_and_deployed_before_it_is_deleted(aws, tmp_path):
    made = run_playbook(
        tmp_path, [{"hosts": "localhost", "gather_facts": False, "tasks": [distribution_task("present")]}]
    )
    assert made.ok, made.output[-3000:]
    cf, dist_id = boto3.client("cloudfront"), made.tasks[-1].result["id"]
    # The emulator refuses what CloudFront refuses: an enabled distribution, and a disabled one
    # whose change has not yet reached the edges (InProgress), cannot be deleted.
    got = cf.get_distribution_config(Id=dist_id)
    with pytest.raises(cf.exceptions.DistributionNotDisabled):
        cf.delete_distribution(Id=dist_id, IfMatch=got["ETag"])
    disabled = cf.update_distribution(
        Id=dist_id, IfMatch=got["ETag"], DistributionConfig={**got["DistributionConfig"], "Enabled": False}
    )
    assert disabled["Distribution"]["Status"] == "InProgress"
    with pytest.raises(cf.exceptions.DistributionNotDisabled):
        cf.delete_distribution(Id=dist_id, IfMatch=disabled["ETag"])
    got = cf.get_distribution_config(Id=dist_id)
    cf.update_distribution(
        Id=dist_id, IfMatch=got["ETag"], DistributionConfig={**got["DistributionConfig"], "Enabled": True}
    )
    # The module disables it, waits until it is Deployed, then deletes it.
    gone = run_playbook(
        tmp_path, [{"hosts": "localhost", "gather_facts": False, "tasks": [distribution_task("absent")]}]
    )
    assert gone.ok, gone.output[-3000:]
    assert gone.tasks[-1].changed
    with pytest.raises(cf.exceptions.NoSuchDistribution):
        cf.get_distribution(Id=dist_id)
