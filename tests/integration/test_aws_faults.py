"""The endpoint's hostile mode against a real moto server: what a module must survive on AWS."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from tests.support import services
from twin.emulator import faults

KW = {"region_name": "ap-southeast-2", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("VF_AWS_FAULTS", "paging,consistency")
    with services.aws_emulator(tmp_path_factory.mktemp("hostile")) as aws:
        yield aws


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def client(aws, name: str, attempts: int = 1):
    return boto3.client(name, endpoint_url=aws.url, config=Config(retries={"max_attempts": attempts}), **KW)


def page_sizes(api, operation: str, key: str, **params) -> list[int]:
    return [len(page.get(key, [])) for page in api.get_paginator(operation).paginate(**params)]


def test_every_paginated_read_answers_one_item_per_page_with_the_apis_own_tokens(hostile):
    sqs, ssm, logs, iam, cw = (client(hostile, n) for n in ("sqs", "ssm", "logs", "iam", "cloudwatch"))
    elb, ecs, ec2 = client(hostile, "elbv2"), client(hostile, "ecs"), client(hostile, "ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for i in range(3):
        sqs.create_queue(QueueName=f"page-{i}")
        ssm.put_parameter(Name=f"/page/p{i}", Value="v", Type="String")
        logs.create_log_group(logGroupName=f"/page/{i}")
        iam.create_role(RoleName=f"page-{i}", AssumeRolePolicyDocument="{}")
        cw.put_metric_alarm(
            AlarmName=f"page-{i}",
            MetricName="m",
            Namespace="n",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        elb.create_target_group(Name=f"page-{i}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
        ecs.create_cluster(clusterName=f"page-{i}")
    # moto pages some of these itself; the others (DescribeParameters, DescribeAlarms) are cut.
    assert page_sizes(sqs, "list_queues", "QueueUrls", QueueNamePrefix="page-") == [1, 1, 1]
    assert page_sizes(ssm, "describe_parameters", "Parameters") == [1, 1, 1]
    assert page_sizes(ssm, "get_parameters_by_path", "Parameters", Path="/page")[:3] == [1, 1, 1]
    assert page_sizes(logs, "describe_log_groups", "logGroups", logGroupNamePrefix="/page/") == [1, 1, 1]
    assert page_sizes(iam, "list_roles", "Roles") == [1, 1, 1]
    assert page_sizes(cw, "describe_alarms", "MetricAlarms", AlarmNamePrefix="page-") == [1, 1, 1]
    assert page_sizes(elb, "describe_target_groups", "TargetGroups") == [1, 1, 1]
    assert page_sizes(ecs, "list_clusters", "clusterArns") == [1, 1, 1]
    names = [g["Name"] for p in ssm.get_paginator("describe_parameters").paginate() for g in p["Parameters"]]
    assert sorted(names) == ["/page/p0", "/page/p1", "/page/p2"]  # every item once, none twice


def test_a_new_role_and_profile_are_refused_for_a_moment_as_on_aws(hostile):
    iam, ecs, ec2, asg = (client(hostile, n) for n in ("iam", "ecs", "ec2", "autoscaling"))
    arn = iam.create_role(RoleName="fresh-exec", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = {"family": "fresh", "executionRoleArn": arn}
    definition["containerDefinitions"] = [{"name": "c", "image": "i", "memory": 128}]
    with pytest.raises(ecs.exceptions.ClientException, match="Role is not valid"):
        ecs.register_task_definition(**definition)
    iam.create_instance_profile(InstanceProfileName="fresh-profile")
    ec2.create_launch_template(
        LaunchTemplateName="fresh-lt",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "IamInstanceProfile": {"Name": "fresh-profile"}},
    )
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = {"AutoScalingGroupName": "fresh", "LaunchTemplate": {"LaunchTemplateName": "fresh-lt"}}
    group |= {"MinSize": 0, "MaxSize": 1, "VPCZoneIdentifier": subnet}
    with pytest.raises(asg.exceptions.ClientError, match="Invalid IAM Instance Profile name"):
        asg.create_auto_scaling_group(**group)
    time.sleep(5.2)
    assert ecs.register_task_definition(**definition)["taskDefinition"]["revision"] == 1
    asg.create_auto_scaling_group(**group)
    state = json.load(urllib.request.urlopen(f"{hostile.url}/_videoforge/state", timeout=5))
    assert state["faults"]["counters"]["refused"] >= 2


def test_throttled_calls_carry_the_real_codes_and_standard_retries_get_through(tmp_path, monkeypatch):
    monkeypatch.setenv("VF_AWS_FAULTS", "throttle")
    monkeypatch.setenv("VF_AWS_FAULT_RATE", "0.3")
    with services.aws_emulator(tmp_path) as aws:
        ssm = boto3.client(
            "ssm", endpoint_url=aws.url, config=Config(retries={"mode": "standard", "max_attempts": 10}), **KW
        )
        for i in range(20):
            ssm.put_parameter(Name=f"/throttled/{i}", Value=str(i), Type="String")
        stored = [
            p
            for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/throttled")
            for p in page["Parameters"]
        ]
        assert sorted(int(p["Value"]) for p in stored) == list(range(20))  # every write got through, once
        codes = set()
        bare = client(aws, "ssm")
        for _ in range(30):
            try:
                bare.get_parameter(Name="/throttled/1")
            except bare.exceptions.ClientError as exc:
                codes.add(exc.response["Error"]["Code"])
        state = json.load(urllib.request.urlopen(f"{aws.url}/_videoforge/state", timeout=5))
    counters = state["faults"]["counters"]
    assert counters["throttled"] > 0 and codes <= {
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
    }
    assert "ThrottlingException" in codes


def test_latency_delays_every_call_by_a_seeded_draw_and_writes_wait_longer(tmp_path, monkeypatch):
    monkeypatch.setenv("VF_AWS_FAULTS", "latency")
    calls = 200
    with services.aws_emulator(tmp_path) as aws:
        ssm = boto3.client("ssm", endpoint_url=aws.url, config=Config(max_pool_connections=20), **KW)
        # Side by side, as calls over a network overlap: the draws follow each kind's own
        # sequence, so the delays recorded do not depend on how the threads interleave.
        with ThreadPoolExecutor(20) as pool:
            names = [f"/latency/{i}" for i in range(calls)]
            list(pool.map(lambda n: ssm.put_parameter(Name=n, Value="v", Type="String"), names))
            list(pool.map(lambda n: ssm.get_parameter(Name=n), names))
        state = json.load(urllib.request.urlopen(f"{aws.url}/_videoforge/state", timeout=5))
    counters, drawn = state["faults"]["counters"], state["faults"]["latency"]
    assert counters["delayed"] == counters["requests"] == 2 * calls
    reads, writes = drawn["read"], drawn["write"]
    assert reads["calls"] == writes["calls"] == calls
    assert abs(counters["delay_ms"] - reads["total_ms"] - writes["total_ms"]) <= 2 * calls  # ms rounding
    # The declared shape: a read's median about 60 ms, its 95th percentile about 150 ms.
    assert drawn["declared"]["read"] == {"median_ms": 60.0, "p95_ms": 150.0}
    assert 50 <= reads["median_ms"] <= 70 and 125 <= reads["p95_ms"] <= 180
    assert writes["median_ms"] > reads["median_ms"] and writes["p95_ms"] > reads["p95_ms"]
    assert writes["total_ms"] > 1.3 * reads["total_ms"]
    # Seeded: the same seed draws the same delays, whichever thread asked first.
    again = faults.Delays(1, faults.LATENCY)
    for _ in range(calls):
        again.draw(read=True)
    assert again.summary["read"] == reads
