"""The AWS path with the pieces a first real deployment lacked: DNS (the site's alias records)
and a database the model creates (RDS), run with dev's model against the emulator.

- ``site.yml --check --diff`` on an account that holds nothing of ours makes no mutating call
  (the emulator's request log shows none), DNS and RDS included;
- the whole site converges (behind CloudFront, as dev's model has it), a second run changes
  nothing, and neither the database's master password nor the origin secret appears in any
  output, even with ``-v --diff``;
- teardown removes the records, the distribution and the instance, and a second teardown is a
  no-op; a record of the site's or the origin's name that aliases another environment's
  distribution or load balancer survives both.

The only thing made beforehand is the person's own hosted zone, as it exists before any
deployment (made before the request log is read, so it is not counted as ours).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import boto3
import pytest
import yaml

from tests.support import compute, services

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "video.vf-test.example.com"
PATH = "/video-forge/dev"
NAME = "video-forge-dev"
RDS = {
    "instance_class": "db.t4g.micro",
    "engine_version": "16",
    "allocated_storage": 20,
    "max_allocated_storage": 0,
    "multi_az": False,
    "backup_retention_days": 7,
    "deletion_protection": False,
}


def dev_inventory(directory: Path, endpoint_url: str, zone_id: str) -> str:
    """inventories/dev with its REPLACE_ME values filled for the emulator: the default VPC, the
    person's zone for the certificate and the site's records, and a database to create."""
    shutil.copytree(ROOT / "inventories" / "dev", directory, symlinks=False)
    env_file = directory / "group_vars" / "all" / "environment.yml"
    env = yaml.safe_load(env_file.read_text())
    env["videoforge_aws_environment"] = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": env["videoforge_region"],
    }
    env["videoforge_network"].update(vpc_id="default", public_subnet_ids=[], private_subnet_ids=[])
    env["videoforge_domain"] = DOMAIN
    env["videoforge_dns_zone_id"] = zone_id
    env["videoforge_certificate"] = {"arn": "", "hosted_zone_id": zone_id}
    env["videoforge_bucket"] = "video-forge-dev-media-test"
    # The RDS CA bundle is fetched from the internet, which a test does not reach; the
    # instance is private, so its migrations would run as a one-off ECS task.
    env["videoforge_database"].update(host="", rds=RDS, ca_bundle_url="", migrate_from_control_host=False)
    # No image is pushed to this account: the ECR tag check is test_compute_modules' to prove.
    env["videoforge_images"].update(
        registry="000000000000.dkr.ecr.ap-southeast-2.amazonaws.com", tag="test", verify_pushed=False
    )
    env_file.write_text(yaml.safe_dump(env, sort_keys=False))
    # The emulator starts no ECS tasks, so a rollout never becomes steady there.
    compute_file = directory / "group_vars" / "all" / "compute.yml"
    settings = yaml.safe_load(compute_file.read_text())
    settings["videoforge_compute"]["wait_for_steady_state"] = False
    compute_file.write_text(yaml.safe_dump(settings, sort_keys=False))
    return str(directory)


# Another environment's distribution and load balancer (CloudFront's and ap-southeast-2's ALB zones).
OTHER_DISTRIBUTION = ("d3other5example.cloudfront.net.", "Z2FDTNDATAQYW2")
OTHER_ALB = ("dualstack.video-forge-prod-alb-1234567890.ap-southeast-2.elb.amazonaws.com.", "Z1GM3OXH4ZPM65")


def point_elsewhere(zone_id: str, name: str, record_type: str, target: tuple[str, str]) -> None:
    """What another environment (or a person) did to one record set of the name: alias it elsewhere."""
    alias = {"DNSName": target[0], "HostedZoneId": target[1], "EvaluateTargetHealth": False}
    change = {
        "Action": "UPSERT",
        "ResourceRecordSet": {"Name": name, "Type": record_type, "AliasTarget": alias},
    }
    boto3.client("route53").change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [change]}
    )


def writes(request_log: Path, start: int) -> list[dict]:
    lines = request_log.read_text().splitlines()[start:]
    return [entry for entry in map(json.loads, lines) if entry["write"]]


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dns-db")
    requests = tmp / "requests.jsonl"
    with services.aws_emulator(tmp, request_log=requests) as emulator:
        previous = services.set_aws_test_env(emulator.url)
        try:
            zone = boto3.client("route53").create_hosted_zone(
                Name="vf-test.example.com", CallerReference="vf-test"
            )
            zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
            inventory = dev_inventory(tmp / "inventory", emulator.url, zone_id)
            env = {**services.AWS_TEST_ENV, "AWS_ENDPOINT_URL": emulator.url}
            yield {"inventory": inventory, "env": env, "requests": requests, "zone_id": zone_id}
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def site_records(zone_id: str, name: str = DOMAIN) -> dict[str, dict]:
    sets = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {r["Type"]: r for r in sets if r["Name"] == f"{name}."}


@pytest.fixture(scope="module")
def site_check(account):
    """The whole ``site.yml --check --diff`` on the empty account (once for the two tests below):
    the run and the writes it made."""
    logged = len(account["requests"].read_text().splitlines())
    check = compute.run_playbooks(account["inventory"], "site.yml", "--check", "--diff", env=account["env"])
    return check, writes(account["requests"], logged)


def test_check_diff_on_an_empty_account_writes_nothing_with_dns_and_rds(account, site_check):
    # The database (RDS instance, subnet group, its security group) and the edge (DNS records)
    # among the rest of the site.
    check, found = site_check
    assert check.returncode == 0, check.stdout[-6000:]
    assert "Ensure the PostgreSQL RDS instance" in check.stdout
    assert "Point the site's name at the load balancer" in check.stdout
    # --diff shows the instance and the records that would be made (never the password).
    assert "+    instance_class: db.t4g.micro" in check.stdout
    assert "+    storage_encrypted: true" in check.stdout
    assert "dns_name: (the DNS name of a resource that would be created)" in check.stdout
    assert found == [], f"--check made mutating calls: {found[:5]}"
    assert site_records(account["zone_id"]) == {}
    assert boto3.client("rds").describe_db_instances()["DBInstances"] == []


def test_check_diff_of_the_whole_site_on_an_empty_account_runs_to_the_end(site_check):
    check, found = site_check
    assert check.returncode == 0, check.stdout[-6000:]
    assert found == [], f"--check made mutating calls: {found[:5]}"


@pytest.fixture(scope="module")
def deployed(account):
    first = compute.run_playbooks(account["inventory"], "site.yml", "-v", "--diff", env=account["env"])
    second = compute.run_playbooks(account["inventory"], "site.yml", "-v", "--diff", env=account["env"])
    ssm = boto3.client("ssm")
    password = ssm.get_parameter(Name=f"{PATH}/db-password", WithDecryption=True)["Parameter"]
    secret = ssm.get_parameter(Name=f"{PATH}/cdn-origin-secret", WithDecryption=True)["Parameter"]
    return {"first": first, "second": second, "password": password["Value"], "origin_secret": secret["Value"]}


def test_the_site_name_points_at_the_distribution_and_the_origin_name_at_the_load_balancer(account, deployed):
    assert deployed["first"].returncode == 0, deployed["first"].stdout[-6000:]
    lb = boto3.client("elbv2").describe_load_balancers(Names=[f"{NAME}-alb"])["LoadBalancers"][0]
    distribution = boto3.client("ssm").get_parameter(Name=f"{PATH}/distribution-domain")["Parameter"]["Value"]
    site, origin = site_records(account["zone_id"]), site_records(account["zone_id"], f"origin.{DOMAIN}")
    assert set(site) == set(origin) == {"A", "AAAA"}
    for record in site.values():
        assert record["AliasTarget"]["DNSName"].rstrip(".") == distribution
        assert record["AliasTarget"]["HostedZoneId"] == "Z2FDTNDATAQYW2"
    for record in origin.values():
        assert record["AliasTarget"]["DNSName"].rstrip(".").lower() == f"dualstack.{lb['DNSName']}".lower()
        assert record["AliasTarget"]["HostedZoneId"] == lb["CanonicalHostedZoneId"]
    # The load balancer's certificate is the origin name's, the site's is in us-east-1 for CloudFront.
    listener = boto3.client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    certificate = next(li for li in listener if li["Port"] == 443)["Certificates"][0]["CertificateArn"]
    assert boto3.client("acm").describe_certificate(CertificateArn=certificate)["Certificate"][
        "DomainName"
    ] == (f"origin.{DOMAIN}")
    east = boto3.client("acm", region_name="us-east-1").list_certificates()["CertificateSummaryList"]
    assert [c["DomainName"] for c in east] == [DOMAIN]


def test_the_bucket_policy_keeps_tls_only_beside_the_distributions_access(deployed):
    assert deployed["first"].returncode == 0
    policy = json.loads(boto3.client("s3").get_bucket_policy(Bucket="video-forge-dev-media-test")["Policy"])
    arn = boto3.client("ssm").get_parameter(Name=f"{PATH}/distribution-arn")["Parameter"]["Value"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {"DenyInsecureTransport", "CloudFrontReadsMedia", "CloudFrontListsMedia"}
    assert statements["CloudFrontReadsMedia"]["Condition"]["StringEquals"] == {"AWS:SourceArn": arn}


def test_the_database_is_private_encrypted_and_reached_only_from_the_services_and_processor(deployed):
    assert deployed["first"].returncode == 0, deployed["first"].stdout[-6000:]
    db = boto3.client("rds").describe_db_instances(DBInstanceIdentifier=f"{NAME}-db")["DBInstances"][0]
    ssm = boto3.client("ssm")
    param = {
        name: ssm.get_parameter(Name=f"{PATH}/{name}")["Parameter"]["Value"]
        for name in ("db-host", "db-port", "database-sg-id", "services-sg-id", "processor-sg-id")
    }
    assert db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == f"{NAME}-db"
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [param["database-sg-id"]]
    assert param["db-host"] == db["Endpoint"]["Address"]
    assert param["db-port"] == "5432"
    group = boto3.client("ec2").describe_security_groups(GroupIds=[param["database-sg-id"]])[
        "SecurityGroups"
    ][0]
    sources = {
        (rule["FromPort"], pair["GroupId"])
        for rule in group["IpPermissions"]
        for pair in rule["UserIdGroupPairs"]
    }
    assert sources == {(5432, param["services-sg-id"]), (5432, param["processor-sg-id"])}
    assert [r for r in group["IpPermissions"] if r.get("IpRanges")] == []


def test_a_second_run_changes_nothing_and_no_output_shows_the_password(deployed):
    assert deployed["second"].returncode == 0, deployed["second"].stdout[-6000:]
    assert compute.recap(deployed["second"].stdout)["changed"] == 0, deployed["second"].stdout[-6000:]
    assert len(deployed["password"]) >= 16
    assert len(deployed["origin_secret"]) >= 16
    for run in ("first", "second"):
        assert deployed["password"] not in deployed[run].stdout
        assert deployed["origin_secret"] not in deployed[run].stdout


def test_teardown_removes_its_records_and_the_instance_keeps_anothers_and_runs_twice(account, deployed):
    assert deployed["first"].returncode == 0
    zone = account["zone_id"]
    # Of each name, one record set now aliases another environment's target, one still ours.
    point_elsewhere(zone, DOMAIN, "AAAA", OTHER_DISTRIBUTION)
    point_elsewhere(zone, f"origin.{DOMAIN}", "A", OTHER_ALB)
    first = compute.run_playbooks(account["inventory"], "playbooks/teardown.yml", env=account["env"])
    assert first.returncode == 0, first.stdout[-6000:]
    site, origin = site_records(zone), site_records(zone, f"origin.{DOMAIN}")
    assert {t: r["AliasTarget"]["DNSName"] for t, r in site.items()} == {"AAAA": OTHER_DISTRIBUTION[0]}
    assert {t: r["AliasTarget"]["DNSName"] for t, r in origin.items()} == {"A": OTHER_ALB[0]}
    cloudfront = boto3.client("cloudfront")
    assert cloudfront.list_distributions()["DistributionList"].get("Items") in (None, [])
    assert cloudfront.list_key_groups()["KeyGroupList"].get("Items") in (None, [])
    assert cloudfront.list_public_keys()["PublicKeyList"].get("Items") in (None, [])
    assert cloudfront.list_cache_policies(Type="custom")["CachePolicyList"].get("Items") in (None, [])
    assert boto3.client("rds").describe_db_instances()["DBInstances"] == []
    assert boto3.client("rds").describe_db_subnet_groups()["DBSubnetGroups"] == []
    snapshots = boto3.client("rds").describe_db_snapshots()["DBSnapshots"]
    assert [
        s["DBSnapshotIdentifier"]
        for s in snapshots
        if s["DBSnapshotIdentifier"].startswith(f"{NAME}-db-final-")
    ]
    again = compute.run_playbooks(account["inventory"], "playbooks/teardown.yml", env=account["env"])
    assert again.returncode == 0, again.stdout[-6000:]
    assert compute.recap(again.stdout)["changed"] == 0, again.stdout[-6000:]
    assert set(site_records(zone)) == {"AAAA"} and set(site_records(zone, f"origin.{DOMAIN}")) == {"A"}
