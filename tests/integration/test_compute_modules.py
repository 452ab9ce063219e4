"""The compute playbooks against a real moto server over HTTP: what a deployer relies on.

One emulator and one deployment (compute.yml + processor.yml from the local model) for the
module; the tests then re-run, change the model, fight the autoscaler and read state back.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml

from tests.support import compute, model, services

ROOT = Path(__file__).resolve().parents[2]
PATH = "/video-forge/local"
FAMILIES = ["video-forge-local-client", "video-forge-local-gallery", "video-forge-local-streaming"]
CLUSTER = "video-forge-local"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compute")
    requests = tmp / "requests.jsonl"  # the emulator logs every request it answers here
    with services.aws_emulator(tmp, request_log=requests) as emulator:
        env = {**services.AWS_TEST_ENV, "AWS_ENDPOINT_URL": emulator.url}
        previous = services.set_aws_test_env(emulator.url)
        try:
            compute.ensure(PATH, "video-forge-local", "video-forge-storage-local", "video-forge-local-users")
            inventory = compute.make_inventory(tmp / "inventory", emulator.url)
            first = compute.run_playbooks(
                inventory, "playbooks/compute.yml", "playbooks/processor.yml", env=env
            )
            assert first.returncode == 0, first.stdout[-5000:]
            yield {"inventory": inventory, "env": env, "first": first, "requests": requests}
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def revisions() -> dict[str, list[int]]:
    ecs = boto3.client("ecs")
    arns = ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    out: dict[str, list[int]] = {}
    for arn in arns:
        family, rev = arn.rsplit("/", 1)[1].rsplit(":", 1)
        out.setdefault(family, []).append(int(rev))
    return {f: sorted(v) for f, v in out.items()}


def writes(request_log: Path, start: int = 0) -> list[dict]:
    """The state-changing requests the emulator answered, from line ``start`` of its log."""
    lines = request_log.read_text().splitlines()[start:]
    return [entry for entry in map(json.loads, lines) if entry["write"]]


def service(name: str) -> dict:
    return boto3.client("ecs").describe_services(cluster=CLUSTER, services=[name])["services"][0]


def test_second_run_changes_nothing_and_registers_no_revision(stack):
    before = revisions()
    assert {f: before.get(f) for f in FAMILIES} == {f: [1] for f in FAMILIES}
    again = compute.run_playbooks(
        stack["inventory"], "playbooks/compute.yml", "playbooks/processor.yml", env=stack["env"]
    )
    assert again.returncode == 0, again.stdout[-5000:]
    assert compute.recap(again.stdout)["changed"] == 0, again.stdout[-5000:]
    assert revisions() == before
    print("revisions after two runs:", {f: before[f] for f in FAMILIES})


def test_services_run_their_task_definitions_behind_their_target_groups(stack):
    gallery = service("gallery")
    assert gallery["taskDefinition"].endswith("task-definition/video-forge-local-gallery:1")
    assert gallery["launchType"] == "FARGATE"
    assert [lb["containerPort"] for lb in gallery["loadBalancers"]] == [3000]
    assert gallery["loadBalancers"][0]["targetGroupArn"].split("/")[1] == "video-forge-local-gallery-tg"
    assert len(gallery["serviceRegistries"]) == 1
    td = boto3.client("ecs").describe_task_definition(taskDefinition="video-forge-local-gallery")[
        "taskDefinition"
    ]
    container = td["containerDefinitions"][0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["S3_BUCKET"] == "video-forge-storage-local"
    assert env["SQS_QUEUE_URL"].endswith("/video-forge-local-video-processing-queue")
    assert "DB_PASSWORD" not in env
    assert [s["name"] for s in container["secrets"]] == ["DB_PASSWORD"]
    assert container["secrets"][0]["valueFrom"].endswith(":parameter/video-forge/local/db-password")
    streaming = boto3.client("ecs").describe_task_definition(taskDefinition="video-forge-local-streaming")
    assert "SQS_QUEUE_URL" not in {
        e["name"] for e in streaming["taskDefinition"]["containerDefinitions"][0]["environment"]
    }


def container_environment(family: str) -> dict[str, str]:
    td = boto3.client("ecs").describe_task_definition(taskDefinition=family)["taskDefinition"]
    return {e["name"]: e["value"] for e in td["containerDefinitions"][0]["environment"]}


def test_task_definitions_carry_the_upload_and_playback_settings_of_the_model(stack):
    uploads = model.catalog()["videoforge_uploads"]
    gallery = container_environment("video-forge-local-gallery")
    assert gallery["UPLOAD_MAX_BYTES"] == str(uploads["max_bytes"])
    assert gallery["UPLOAD_MULTIPART_THRESHOLD"] == str(uploads["multipart_threshold"])
    assert gallery["UPLOAD_PART_SIZE"] == str(uploads["part_size"])
    assert gallery["UPLOAD_URL_TTL"] == str(uploads["url_ttl"])
    assert gallery["UPLOAD_ALLOWED_TYPES"].split(",") == uploads["allowed_content_types"]
    assert gallery["UPLOAD_MAX_CONCURRENT_PER_USER"] == str(uploads["max_concurrent_per_user"])
    assert gallery["UPLOAD_MAX_BYTES_IN_FLIGHT_PER_USER"] == str(uploads["max_bytes_in_flight_per_user"])
    streaming = container_environment("video-forge-local-streaming")
    assert streaming["PLAYBACK_URL_TTL"] == str(model.catalog()["videoforge_playback_url_ttl"])
    assert not {name for name in streaming if name.startswith("UPLOAD_")}
    assert container_environment("video-forge-local-client") == {}


def test_environment_change_shows_in_check_diff_then_registers_exactly_one_revision(stack, tmp_path):
    compute_yml = Path(stack["inventory"]) / "group_vars" / "all" / "compute.yml"
    model = yaml.safe_load(compute_yml.read_text())
    model["videoforge_compute"]["log_level"] = "DEBUG"
    compute_yml.write_text(yaml.safe_dump(model))
    before = revisions()
    logged_before = len(stack["requests"].read_text().splitlines())
    assert writes(stack["requests"]), "the emulator logged none of the deployment's writes"

    check = compute.run_playbooks(
        stack["inventory"],
        "playbooks/compute.yml",
        "--tags",
        "ecs_services",
        "--check",
        "--diff",
        env=stack["env"],
    )
    assert check.returncode == 0, check.stdout[-5000:]
    assert "-            value: INFO" in check.stdout and "+            value: DEBUG" in check.stdout, (
        check.stdout[-5000:]
    )
    assert revisions() == before, "check mode registered a revision"
    check_writes = writes(stack["requests"], logged_before)
    assert check_writes == [], f"check mode made mutating calls: {check_writes[:3]}"

    run = compute.run_playbooks(
        stack["inventory"], "playbooks/compute.yml", "--tags", "ecs_services", env=stack["env"]
    )
    assert run.returncode == 0, run.stdout[-5000:]
    after = revisions()
    # LOG_LEVEL is application environment: gallery and streaming change, the static client does not.
    assert after["video-forge-local-gallery"] == [1, 2]
    assert after["video-forge-local-streaming"] == [1, 2]
    assert after["video-forge-local-client"] == [1]
    assert service("gallery")["taskDefinition"].endswith(":2")
    assert service("client")["taskDefinition"].endswith(":1")


REGISTERABLE = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "requiresCompatibilities",
    "cpu",
    "memory",
)


def test_a_revision_registered_out_of_band_is_diffed_per_service_then_replaced(stack):
    """Someone registers a gallery revision with another bucket and points the service at it: the
    family run shows that one service's diff under its name, --check writes nothing, and the run
    registers the declared definition again and puts the service back on it."""
    ecs = boto3.client("ecs")
    latest = ecs.describe_task_definition(taskDefinition="video-forge-local-gallery")["taskDefinition"]
    tampered = {k: copy.deepcopy(latest[k]) for k in REGISTERABLE if k in latest}
    for variable in tampered["containerDefinitions"][0]["environment"]:
        if variable["name"] == "S3_BUCKET":
            variable["value"] = "tampered-bucket"
    by_hand = ecs.register_task_definition(**tampered)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=CLUSTER, service="gallery", taskDefinition=by_hand)
    before = revisions()
    logged_before = len(stack["requests"].read_text().splitlines())

    args = ("playbooks/compute.yml", "--tags", "ecs_services")
    check = compute.run_playbooks(stack["inventory"], *args, "--check", "--diff", env=stack["env"])
    assert check.returncode == 0, check.stdout[-5000:]
    assert "--- before: gallery" in check.stdout, check.stdout[-5000:]
    assert "-            value: tampered-bucket" in check.stdout, check.stdout[-5000:]
    assert "+            value: video-forge-storage-local" in check.stdout, check.stdout[-5000:]
    assert "before: streaming" not in check.stdout and "before: client" not in check.stdout
    assert revisions() == before and writes(stack["requests"], logged_before) == []

    run = compute.run_playbooks(stack["inventory"], *args, env=stack["env"])
    assert run.returncode == 0, run.stdout[-5000:]
    repaired = revisions()["video-forge-local-gallery"]
    assert repaired[-1] == int(by_hand.rsplit(":", 1)[1]) + 1
    assert container_environment("video-forge-local-gallery")["S3_BUCKET"] == "video-forge-storage-local"
    assert service("gallery")["taskDefinition"].endswith(f":{repaired[-1]}")
    again = compute.run_playbooks(stack["inventory"], *args, env=stack["env"])
    assert compute.recap(again.stdout)["changed"] == 0, again.stdout[-5000:]


def test_desired_count_set_by_the_scaler_is_left_alone(stack):
    ecs = boto3.client("ecs")
    targets = boto3.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{CLUSTER}/gallery"]
    )["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(1, 3)]
    ecs.update_service(cluster=CLUSTER, service="gallery", desiredCount=3)  # as the scaler would
    run = compute.run_playbooks(
        stack["inventory"], "playbooks/compute.yml", "--tags", "ecs_services", env=stack["env"]
    )
    assert run.returncode == 0, run.stdout[-5000:]
    assert compute.recap(run.stdout)["changed"] == 0, run.stdout[-5000:]
    assert service("gallery")["desiredCount"] == 3


def test_rendered_user_data_passes_shellcheck(stack, tmp_path):
    ec2 = boto3.client("ec2")
    version = ec2.describe_launch_template_versions(
        LaunchTemplateName="video-forge-local-processor", Versions=["$Default"]
    )["LaunchTemplateVersions"][0]
    script = tmp_path / "user-data.sh"
    script.write_bytes(base64.b64decode(version["LaunchTemplateData"]["UserData"]))
    assert script.read_text().startswith("#!/bin/bash")
    assert "python -m processor" in script.read_text()
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run(
        [str(shellcheck), "--severity=style", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_processor_work_volume_is_sized_from_the_upload_limit(stack):
    ec2 = boto3.client("ec2")
    data = ec2.describe_launch_template_versions(
        LaunchTemplateName="video-forge-local-processor", Versions=["$Default"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    max_upload_gib = model.catalog()["videoforge_uploads"]["max_bytes"] / 2**30
    (volume,) = data["BlockDeviceMappings"]
    assert volume["DeviceName"] == "/dev/xvdb"
    assert volume["Ebs"]["VolumeSize"] >= max_upload_gib * 1.25
    assert (volume["Ebs"]["Encrypted"], volume["Ebs"]["DeleteOnTermination"]) == (True, True)


def test_processor_scales_on_the_backlog_and_from_zero_not_on_cpu(stack):
    asg = boto3.client("autoscaling")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["video-forge-local-processor"])[
        "AutoScalingGroups"
    ][0]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 3, 1)
    policies = {
        p["PolicyName"]: p
        for p in asg.describe_policies(AutoScalingGroupName=group["AutoScalingGroupName"])["ScalingPolicies"]
    }
    # FFmpeg keeps a busy instance at 100% CPU: a CPU policy would only add idle instances.
    assert "cpu" not in policies
    metrics = policies["backlog-per-instance"]["TargetTrackingConfiguration"][
        "CustomizedMetricSpecification"
    ]["Metrics"]
    expression = next(m["Expression"] for m in metrics if m.get("Expression"))
    assert "IF(instances > 0, instances, 1)" in expression
    # One job on an empty fleet: the alarm sets the group to exactly one instance.
    zero = policies["scale-from-zero"]
    assert (zero["AdjustmentType"], zero["ScalingAdjustment"]) == ("ExactCapacity", 1)
    alarm = boto3.client("cloudwatch").describe_alarms(
        AlarmNames=["video-forge-local-processor-waiting-on-empty-fleet"]
    )["MetricAlarms"][0]
    assert alarm["AlarmActions"] == [zero["PolicyARN"]] and alarm["EvaluationPeriods"] == 1
    assert {m["Id"]: m.get("MetricStat", {}).get("Period") for m in alarm["Metrics"]}["visible"] == 60


# Actions AWS offers no resource-level permission for: "*" is their only Resource.
UNSCOPED_ACTIONS = {"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}  # fmt: skip


def _policy_resources(role: str) -> list[str]:
    iam = boto3.client("iam")
    out: list[str] = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        for statement in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if set([actions] if isinstance(actions, str) else actions) <= UNSCOPED_ACTIONS:
                assert role.endswith("-processor")  # Session Manager on the instances only
                continue
            resource = statement["Resource"]
            out.extend([resource] if isinstance(resource, str) else resource)
    return out


def _list_bucket_prefixes(role: str) -> list[set[str]]:
    """The s3:prefix values each statement that grants s3:ListBucket allows (empty: any)."""
    iam, found = boto3.client("iam"), []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        for statement in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if "s3:ListBucket" in ([actions] if isinstance(actions, str) else actions):
                prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix", [])
                found.append({prefixes} if isinstance(prefixes, str) else set(prefixes))
    return found


@pytest.mark.parametrize(
    ("role", "prefixes"),
    [
        ("video-forge-local-gallery-task", [{"uploads/*", "hls/*", "thumbnails/*"}]),
        ("video-forge-local-streaming-task", [{"hls/*"}]),
        ("video-forge-local-client-task", []),
        ("video-forge-local-processor", [{"hls/*", "thumbnails/*"}]),
    ],
)
def test_listing_the_bucket_is_granted_only_under_the_prefixes_a_role_lists(stack, role, prefixes):
    assert _list_bucket_prefixes(role) == prefixes


@pytest.mark.parametrize(
    ("role", "prefixes", "queue"),
    [
        ("video-forge-local-gallery-task", {"uploads/*", "hls/*", "thumbnails/*"}, True),
        ("video-forge-local-streaming-task", {"hls/*", "thumbnails/*"}, False),
        ("video-forge-local-client-task", set(), False),
        ("video-forge-local-processor", {"uploads/*", "hls/*", "thumbnails/*"}, True),
    ],
)
def test_iam_policies_name_only_their_prefixes_and_queue(stack, role, prefixes, queue):
    resources = _policy_resources(role)
    bucket = "arn:aws:s3:::video-forge-storage-local"
    objects = {r.removeprefix(bucket + "/") for r in resources if r.startswith(bucket + "/")}
    assert objects == prefixes
    assert all(r == bucket or r.startswith(bucket + "/") for r in resources if ":s3:::" in r)
    queues = {r for r in resources if ":sqs:" in r}
    assert queues == (
        {"arn:aws:sqs:ap-southeast-2:123456789012:video-forge-local-video-processing-queue"}
        if queue
        else set()
    )
    assert "*" not in resources
    service_name = role.removeprefix("video-forge-local-").removesuffix("-task")
    for r in resources:
        if ":ssm:" in r:
            assert r.split(":parameter", 1)[1].startswith(PATH + "/")
            if service_name != "processor":
                assert r.split(":parameter", 1)[1].startswith(f"{PATH}/{service_name}")


def test_no_service_is_touched_until_every_image_it_would_run_is_in_ecr(stack):
    """Last in this file: it points the model at a registry of the emulator's own account. (That
    the role goes on once every image is pushed, the ecs_services molecule scenario shows.)"""
    environment_yml = Path(stack["inventory"]) / "group_vars" / "all" / "environment.yml"
    env = yaml.safe_load(environment_yml.read_text())
    env["videoforge_images"].update(
        registry="123456789012.dkr.ecr.ap-southeast-2.amazonaws.com", verify_pushed=True
    )
    environment_yml.write_text(yaml.safe_dump(env, sort_keys=False))
    before = revisions()
    compute.push_images("video-forge-local", "test", "gallery")  # one of the three pushed

    refused = compute.run_playbooks(
        stack["inventory"], "playbooks/compute.yml", "--tags", "ecs_services", env=stack["env"]
    )
    assert refused.returncode != 0
    registry = "not in 123456789012.dkr.ecr.ap-southeast-2.amazonaws.com: "
    assert registry in refused.stdout, refused.stdout[-3000:]
    named = refused.stdout.split(registry, 1)[1]
    assert named.startswith("video-forge-local/client:test, video-forge-local/streaming:test ("), named[:200]
    assert revisions() == before, "a task definition was registered for an image that is not there"
