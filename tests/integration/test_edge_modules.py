"""The edge and messaging roles against a real moto server: idempotence, drift, rule insertion,
an honest --check, and clear failures.

The deployment tests run the project's own playbooks (network, storage, messaging, identity,
edge) with the local inventory's model; only the AWS endpoint is pointed at the test emulator.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.support.ansible_runner import ROOT, PlaybookResult, run_playbook

PLAYBOOKS = ["network", "storage", "messaging", "identity", "edge"]
DRIFTED = ["messaging", "edge"]
PREFIX = "video-forge-local"  # the local model's names (inventories/*/group_vars/all/names.yml)
PARAMETER_PATH = "/video-forge/local"
QUEUE = "video-forge-local-video-processing-queue"


def aws_environment(aws) -> dict:
    return {
        "AWS_ENDPOINT_URL": aws.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-southeast-2",
    }


def deploy(aws, tmp_path: Path, playbooks=PLAYBOOKS, check=False, diff=False, **extra) -> PlaybookResult:
    plays = [
        {"ansible.builtin.import_playbook": str(ROOT / "playbooks" / f"{name}.yml")} for name in playbooks
    ]
    return run_playbook(
        tmp_path,
        plays,
        check=check,
        diff=diff,
        inventory=str(ROOT / "inventories" / "local"),
        # The edge as without a CDN (tests/integration/test_cdn_modules.py has it behind CloudFront).
        extra_vars={
            "videoforge_aws_environment": aws_environment(aws),
            "videoforge_cdn": {"enabled": False},
            **extra,
        },
    )


def changed_items(result: PlaybookResult) -> list[str]:
    """``task`` or ``task[item]`` for everything that reported a change."""
    found = []
    for task in result.tasks:
        if not task.changed:
            continue
        if "results" in task.result:
            for item in task.result["results"]:
                if item.get("changed"):
                    label = item.get("item")
                    label = label.get("key") if isinstance(label, dict) else label
                    found.append(f"{task.task}[{label}]")
        else:
            found.append(task.task)
    return sorted(found)


def listener_rules(elb) -> dict[str, dict]:
    """Rule name (from its tag) -> {arn, priority, paths} on the HTTPS listener."""
    lb = elb.describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    https = next(li for li in listeners if li["Port"] == 443)
    rules = [r for r in elb.describe_rules(ListenerArn=https["ListenerArn"])["Rules"] if not r["IsDefault"]]
    tags = {
        d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]}
        for d in elb.describe_tags(ResourceArns=[r["RuleArn"] for r in rules])["TagDescriptions"]
    }
    named = {}
    for rule in rules:
        paths = [v for c in rule["Conditions"] for v in (c.get("PathPatternConfig") or {}).get("Values", [])]
        named[tags[rule["RuleArn"]]["videoforge:rule"]] = {
            "arn": rule["RuleArn"],
            "priority": int(rule["Priority"]),
            "paths": paths,
        }
    return named


@pytest.fixture(scope="module")
def deployment(aws, tmp_path_factory):
    """The five playbooks applied once to an empty emulator."""
    aws.reset()
    result = deploy(aws, tmp_path_factory.mktemp("deploy"))
    assert result.ok, result.output[-5000:]
    return result


def test_check_against_an_empty_account_creates_nothing(aws, tmp_path):
    aws.reset()
    result = deploy(aws, tmp_path, check=True, diff=True)
    assert result.ok, result.output[-5000:]
    # It reports what it would do...
    would = changed_items(result)
    assert "edge : Ensure the load balancer and its listeners" in would
    assert "messaging : Ensure the job queue" in would
    assert "edge : Ensure a target group per service[gallery]" in would
    # ...and did none of it.
    ec2 = boto3.client("ec2")
    groups = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert groups and set(groups) == {"default"}
    elb = boto3.client("elbv2")
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
    assert boto3.client("acm").list_certificates()["CertificateSummaryList"] == []
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []
    assert boto3.client("ssm").describe_parameters()["Parameters"] == []


def test_second_run_changes_nothing(aws, deployment, tmp_path):
    assert changed_items(deployment)  # the first run did create everything
    again = deploy(aws, tmp_path)
    assert again.ok, again.output[-5000:]
    assert changed_items(again) == []


def test_deployment_publishes_the_outputs_the_services_need(aws, deployment):
    pages = (
        boto3.client("ssm")
        .get_paginator("get_parameters_by_path")
        .paginate(Path=PARAMETER_PATH, Recursive=True)
    )
    params = {
        p["Name"].removeprefix(PARAMETER_PATH + "/"): p["Value"] for page in pages for p in page["Parameters"]
    }
    expected = {
        "vpc-id",
        "public-subnet-ids",
        "private-subnet-ids",
        "alb-sg-id",
        "services-sg-id",
        "processor-sg-id",
        "bucket",
        "queue-name",
        "queue-url",
        "queue-arn",
        "dlq-url",
        "dlq-arn",
        "user-pool-id",
        "user-pool-client-id",
        "certificate-arn",
        "alb-arn",
        "alb-arn-suffix",
        "alb-dns-name",
        "https-listener-arn",
    }
    for service in ("client", "gallery", "streaming"):
        expected |= {f"target-group-arn-{service}", f"target-group-arn-suffix-{service}"}
    assert expected <= set(params)
    sqs = boto3.client("sqs")
    assert params["queue-url"] == sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    assert params["alb-arn-suffix"].startswith(f"app/{PREFIX}-alb/")
    assert params["target-group-arn-suffix-gallery"].startswith(f"targetgroup/{PREFIX}-gallery-tg/")
    elb = boto3.client("elbv2")
    lb = elb.describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"][0]
    assert params["alb-dns-name"] == lb["DNSName"]
    assert lb["SecurityGroups"] == [params["alb-sg-id"]]
    listeners = {
        li["Port"]: li for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    }
    assert listeners[443]["Certificates"][0]["CertificateArn"] == params["certificate-arn"]
    assert listeners[443]["DefaultActions"][0]["TargetGroupArn"] == params["target-group-arn-client"]
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    rules = listener_rules(elb)
    assert rules["gallery-api"]["paths"] == ["/api/gallery/*"]
    assert rules["gallery-api"]["priority"] < rules["streaming-api"]["priority"]
    services = ec2_group(params["services-sg-id"])
    sources = {
        (p["FromPort"], g["GroupId"]) for p in services["IpPermissions"] for g in p["UserIdGroupPairs"]
    }
    assert sources == {(80, params["alb-sg-id"]), (3000, params["alb-sg-id"]), (4000, params["alb-sg-id"])}
    assert all(not p.get("IpRanges") for p in services["IpPermissions"])
    assert ec2_group(params["processor-sg-id"])["IpPermissions"] == []


def ec2_group(group_id: str) -> dict:
    return boto3.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def test_drift_is_reported_exactly_and_repaired(aws, deployment, tmp_path):
    elb, sqs = boto3.client("elbv2"), boto3.client("sqs")
    rules = listener_rules(elb)
    gallery_tg = elb.describe_target_groups(Names=[f"{PREFIX}-gallery-tg"])["TargetGroups"][0]
    queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    # Three changes by hand, in the emulator.
    elb.modify_rule(
        RuleArn=rules["gallery-api"]["arn"],
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/hacked/*"]}}],
    )
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "45"})
    elb.modify_target_group(TargetGroupArn=gallery_tg["TargetGroupArn"], HealthCheckPath="/broken")

    # The drift is in the edge and the queue; the other playbooks' stability is the second-run test's.
    checked = deploy(aws, tmp_path, playbooks=DRIFTED, check=True, diff=True)
    assert checked.ok, checked.output[-5000:]
    assert changed_items(checked) == [
        "edge : Ensure a target group per service[gallery]",
        "edge : Ensure the listener rules",
        "messaging : Ensure the job queue",
    ]
    assert checked.task("Ensure the listener rules").result["changes"] == ["modify gallery-api conditions"]
    assert checked.task("Ensure the job queue").result["changes"] == ["VisibilityTimeout 45 -> 300"]
    gallery_item = next(i for i in checked.task("Ensure a target group per service").items() if i["changed"])
    assert gallery_item["changes"] == ["health_check.path"]
    assert gallery_item["diff"]["before"]["health_check"]["path"] == "/broken"
    assert gallery_item["diff"]["after"]["health_check"]["path"] == "/health"
    # Check mode left the drift in place.
    assert listener_rules(elb)["gallery-api"]["paths"] == ["/hacked/*"]

    repaired = deploy(aws, tmp_path, playbooks=DRIFTED)
    assert repaired.ok, repaired.output[-5000:]
    assert changed_items(repaired) == changed_items(checked)
    after = listener_rules(elb)
    assert after["gallery-api"] == {**rules["gallery-api"], "paths": ["/api/gallery/*"]}
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "300"
    tg = elb.describe_target_groups(Names=[f"{PREFIX}-gallery-tg"])["TargetGroups"][0]
    assert tg["HealthCheckPath"] == "/health"
    assert tg["TargetGroupArn"] == gallery_tg["TargetGroupArn"]

    settled = deploy(aws, tmp_path, playbooks=DRIFTED)
    assert settled.ok, settled.output[-5000:]
    assert changed_items(settled) == []


def test_inserting_a_rule_creates_only_that_rule(aws, deployment, tmp_path):
    elb = boto3.client("elbv2")
    before = listener_rules(elb)
    model = {
        "gallery-api": {"path_patterns": ["/api/gallery/*"], "forward_to": "gallery"},
        "uploads-api": {"path_patterns": ["/api/uploads/*"], "forward_to": "gallery"},
        "streaming-api": {"path_patterns": ["/api/stream/*"], "forward_to": "streaming"},
    }
    inserted = deploy(aws, tmp_path, playbooks=["edge"], videoforge_listener_rules=model)
    assert inserted.ok, inserted.output[-5000:]
    assert changed_items(inserted) == ["edge : Ensure the listener rules"]
    assert inserted.task("Ensure the listener rules").result["changes"] == [
        "create uploads-api (priority 20)",
        "reprioritise streaming-api 20 -> 30",
    ]
    after = listener_rules(elb)
    assert after["gallery-api"]["arn"] == before["gallery-api"]["arn"]
    assert after["streaming-api"]["arn"] == before["streaming-api"]["arn"]
    assert [after[n]["priority"] for n in model] == [10, 20, 30]

    # Back to the catalog: the extra rule is undeclared now; by default it would be kept, and its
    # priority is wanted by streaming-api, so the run fails naming both...
    kept = deploy(aws, tmp_path, playbooks=["edge"])
    assert not kept.ok
    message = kept.task("Ensure the listener rules").result["msg"]
    assert "priority 20" in message and "uploads-api" in message and "purge_rules" in message
    assert listener_rules(elb).keys() == after.keys()
    # ...and purging removes exactly that rule.
    purged = deploy(aws, tmp_path, playbooks=["edge"], edge_purge_rules=True)
    assert purged.ok, purged.output[-5000:]
    assert purged.task("Ensure the listener rules").result["changes"] == [
        "reprioritise streaming-api 30 -> 20",
        "delete uploads-api",
    ]
    assert listener_rules(elb) == before


def test_rule_forwarding_to_a_missing_target_group_fails_clearly(aws, deployment, tmp_path):
    elb = boto3.client("elbv2")
    before = listener_rules(elb)
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Route to a service that has no target group",
                "vf_listener_rules": {
                    "load_balancer": f"{PREFIX}-alb",
                    "port": 443,
                    "rules": {
                        "gallery-api": {
                            "path_patterns": ["/api/gallery/*"],
                            "forward_to": f"{PREFIX}-gallery-tg",
                        },
                        "thumbnails": {"path_patterns": ["/thumbs/*"], "forward_to": "no-such-tg"},
                    },
                },
            }
        ],
    }
    result = run_playbook(tmp_path, [play])
    assert not result.ok
    assert (
        result.tasks[-1].result["msg"]
        == "rule thumbnails forwards to target group no-such-tg, which does not exist"
    )
    assert listener_rules(elb) == before


def test_target_group_change_keeps_registered_targets(aws, deployment, tmp_path):
    elb = boto3.client("elbv2")
    vpc_id = elb.describe_target_groups(Names=[f"{PREFIX}-streaming-tg"])["TargetGroups"][0]["VpcId"]

    def target_group(interval: int) -> list[dict]:
        group = {
            "name": "vf-test-keep-tg",
            "port": 4000,
            "deregistration_delay": 30,
            "health_check": {"path": "/health", "interval": interval},
        }
        module = {"vpc_id": vpc_id, "target_groups": [group]}
        return [
            {
                "hosts": "localhost",
                "gather_facts": False,
                "tasks": [{"name": "Ensure the target group", "vf_target_groups": module}],
            }
        ]

    made = run_playbook(tmp_path, target_group(30))
    assert made.ok, made.output[-3000:]
    arn = made.tasks[-1].result["results"][0]["target_group_arn"]
    # ECS registers the task IPs; the module must never take them out.
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "172.31.0.10", "Port": 4000}])
    changed = run_playbook(tmp_path, target_group(15))
    assert changed.ok, changed.output[-3000:]
    assert changed.tasks[-1].result["results"][0]["changes"] == ["health_check.interval"]
    assert (
        elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]["HealthCheckIntervalSeconds"]
        == 15
    )
    health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    assert [t["Target"]["Id"] for t in health] == ["172.31.0.10"]


def test_requested_certificate_is_validated_through_the_hosted_zone(aws, tmp_path):
    route53 = boto3.client("route53")
    zone_id = route53.create_hosted_zone(Name="video.example.com", CallerReference="vf-test-dns")[
        "HostedZone"
    ]["Id"]
    task = {
        "name": "Ensure the site certificate",
        "vf_acm_certificate": {
            "name": "vf-test-dns",
            "domain_name": "video.example.com",
            "hosted_zone_id": zone_id.rsplit("/", 1)[-1],
            # The emulator issues after MOTO_ACM_VALIDATION_WAIT; do not wait for it here.
            "wait_timeout": 0,
        },
    }
    plays = [{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]
    first = run_playbook(tmp_path, plays)
    assert first.ok, first.output[-3000:]
    result = first.tasks[-1].result
    assert result["changes"] == ["request certificate", "write validation records"]
    cert = boto3.client("acm").describe_certificate(CertificateArn=result["certificate_arn"])["Certificate"]
    record = cert["DomainValidationOptions"][0]["ResourceRecord"]
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    cnames = {
        r["Name"].rstrip("."): r["ResourceRecords"][0]["Value"] for r in records if r["Type"] == "CNAME"
    }
    assert cnames == {record["Name"].rstrip("."): record["Value"]}
    again = run_playbook(tmp_path, plays)
    assert again.ok and again.changed_tasks() == []
    assert again.tasks[-1].result["certificate_arn"] == result["certificate_arn"]
