"""playbooks/teardown.yml against a real moto server, after a full compute + processor
deployment (and the edge, messaging, storage, identity and network resources those read) whose
bucket holds media:

- with the user pool under deletion protection, the teardown stops before removing anything
  and says how to lift it;
- without ``videoforge_teardown_delete_data`` it removes everything but the bucket, which it
  keeps with its media and says so;
- with it, the bucket goes too: nothing of ours is left in any resource family, and a further
  teardown is a no-op."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
import yaml

from tests.support import compute, services

PATH = "/video-forge/local"
NAME = "video-forge-local"
BUCKET = "video-forge-storage-local"


def set_model(inventory: str, **variables) -> None:
    path = Path(inventory) / "group_vars" / "all" / "environment.yml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **variables}, sort_keys=False))


def protect_user_pool(protected: bool) -> None:
    cognito = boto3.client("cognito-idp")
    pool = next(
        p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == f"{NAME}-users"
    )
    cognito.update_user_pool(UserPoolId=pool["Id"], DeletionProtection="ACTIVE" if protected else "INACTIVE")


def active_clusters() -> list[str]:
    clusters = boto3.client("ecs").describe_clusters(clusters=[NAME])["clusters"]
    return [c["clusterName"] for c in clusters if c["status"] == "ACTIVE"]


@pytest.fixture(scope="module")
def torn_down(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("teardown")
    with services.aws_emulator(tmp) as emulator:
        env = {**services.AWS_TEST_ENV, "AWS_ENDPOINT_URL": emulator.url}
        previous = services.set_aws_test_env(emulator.url)
        try:
            compute.ensure(PATH, NAME, BUCKET, f"{NAME}-users")
            inventory = compute.make_inventory(tmp / "inventory", emulator.url)
            deploy = compute.run_playbooks(
                inventory, "playbooks/compute.yml", "playbooks/processor.yml", env=env
            )
            assert deploy.returncode == 0, deploy.stdout[-5000:]
            assert boto3.client("ecs").list_services(cluster=NAME)["serviceArns"], "nothing was deployed"
            # A platform that was used holds media.
            s3 = boto3.client("s3")
            s3.put_object(Bucket=BUCKET, Key="hls/v/master.m3u8", Body=b"#EXTM3U\n")
            s3.create_multipart_upload(Bucket=BUCKET, Key="uploads/u/v/source")
            protect_user_pool(True)
            protected = compute.run_playbooks(inventory, "playbooks/teardown.yml", env=env)
            after_protected = {"clusters": active_clusters(), "buckets": s3.list_buckets()["Buckets"]}
            protect_user_pool(False)
            kept = compute.run_playbooks(inventory, "playbooks/teardown.yml", env=env)
            after_kept = {
                "clusters": active_clusters(),
                "objects": [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])],
            }
            set_model(inventory, videoforge_teardown_delete_data=True)
            first = compute.run_playbooks(inventory, "playbooks/teardown.yml", env=env)
            yield {
                "inventory": inventory,
                "env": env,
                "protected": protected,
                "after_protected": after_protected,
                "kept": kept,
                "after_kept": after_kept,
                "first": first,
            }
        finally:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def test_a_protected_user_pool_stops_the_teardown_before_anything_is_removed(torn_down):
    run = torn_down["protected"]
    assert run.returncode != 0, run.stdout[-5000:]
    said = " ".join(run.stdout.split())
    assert f"The user pool {NAME}-users has deletion protection, so the teardown stopped" in said
    assert (
        "set identity_deletion_protection to false (the inventory's videoforge_user_pool_deletion_protection)"
        in said
    )
    assert compute.recap(run.stdout)["changed"] == 0, run.stdout[-5000:]
    assert torn_down["after_protected"]["clusters"] == [NAME]
    assert BUCKET in {b["Name"] for b in torn_down["after_protected"]["buckets"]}


def test_a_bucket_holding_media_is_kept_unless_the_model_says_delete_data(torn_down):
    run = torn_down["kept"]
    assert run.returncode == 0, run.stdout[-5000:]
    assert compute.recap(run.stdout)["changed"] > 0
    said = " ".join(run.stdout.split())
    assert f"KEPT: the media bucket {BUCKET} holds objects (videos), so it was not deleted" in said
    assert "videoforge_teardown_delete_data" in said
    # Everything else went; the media did not.
    assert torn_down["after_kept"]["clusters"] == []
    assert torn_down["after_kept"]["objects"] == ["hls/v/master.m3u8"]


def test_teardown_with_delete_data_succeeds(torn_down):
    assert torn_down["first"].returncode == 0, torn_down["first"].stdout[-5000:]
    assert compute.recap(torn_down["first"].stdout)["changed"] > 0


def test_nothing_of_ours_is_left(torn_down):
    ecs = boto3.client("ecs")
    clusters = ecs.describe_clusters(clusters=[NAME])["clusters"]
    assert [c for c in clusters if c["status"] == "ACTIVE"] == []
    assert [a for a in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] if NAME in a] == []
    aas = boto3.client("application-autoscaling")
    assert aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    asg = boto3.client("autoscaling")
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    ec2 = boto3.client("ec2")
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    ours = {f"{NAME}-alb-sg", f"{NAME}-services-sg", f"{NAME}-processor-sg"}
    assert [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] in ours] == []
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms if a["AlarmName"].startswith(NAME)] == []
    iam = boto3.client("iam")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(NAME)] == []
    assert [
        p
        for p in iam.list_instance_profiles()["InstanceProfiles"]
        if p["InstanceProfileName"].startswith(NAME)
    ] == []
    logs = boto3.client("logs")
    assert logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{NAME}")["logGroups"] == []
    assert logs.describe_log_groups(logGroupNamePrefix=f"/ec2/{NAME}")["logGroups"] == []
    assert boto3.client("servicediscovery").list_namespaces()["Namespaces"] == []
    elb = boto3.client("elbv2")
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert BUCKET not in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    pools = boto3.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
    assert [p for p in pools if p["Name"] == f"{NAME}-users"] == []
    params = boto3.client("ssm").get_parameters_by_path(Path=PATH, Recursive=True)["Parameters"]
    # Every published output is gone; the database password stays with the database it opens.
    assert [p["Name"] for p in params] == [f"{PATH}/db-password"]


def test_second_teardown_is_a_quiet_no_op(torn_down):
    again = compute.run_playbooks(torn_down["inventory"], "playbooks/teardown.yml", env=torn_down["env"])
    assert again.returncode == 0, again.stdout[-5000:]
    assert compute.recap(again.stdout)["changed"] == 0, again.stdout[-5000:]
