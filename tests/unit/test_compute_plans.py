"""The compute modules' plans on AWS API reference shapes (DescribeTaskDefinition,
DescribeServices, DescribeAutoScalingGroups, DescribeLaunchTemplateVersions): what a run would
change, what it would show, and what it refuses."""

from __future__ import annotations

import copy

import pytest
import vf_autoscaling_group
from ansible.module_utils.vf_autoscaling import group_plan
from ansible.module_utils.vf_ec2 import encode_user_data, launch_template_plan
from ansible.module_utils.vf_ecs import TASK_DEFINITION_OPTIONS, task_definition_plan
from ansible.module_utils.vf_ecs_services import SERVICE_OPTIONS, service_plan
from ansible.module_utils.vf_module import ReconcileError

from tests.unit.test_compute_ecs import AWS_SERVICE, DECLARED, DESCRIBED

FAMILY = "video-forge-dev-gallery"
TD_ARN = f"arn:aws:ecs:ap-southeast-2:123456789012:task-definition/{FAMILY}"


def defaults(options: dict) -> dict:
    """Module parameters as Ansible fills them from an argument spec's defaults."""
    return {k: v.get("default") for k, v in options.items()}


def td_params(**overrides) -> dict:
    p = {**defaults(TASK_DEFINITION_OPTIONS), "state": "present", "tags": {}, "purge_tags": True}
    p.update(
        family=FAMILY,
        container_definitions=DECLARED["containerDefinitions"],
        cpu="512",
        memory="1024",
        execution_role_arn=DECLARED["executionRoleArn"],
        task_role_arn=DECLARED["taskRoleArn"],
    )
    return {**p, **overrides}


def active(*revisions: int) -> list[str]:
    return [f"{TD_ARN}:{r}" for r in revisions]


def test_a_converged_family_registers_nothing():
    plan = task_definition_plan({"latest": DESCRIBED, "tags": {}, "active": active(7)}, td_params(), False)
    assert plan.changes == []
    assert plan.result["arn"] == f"{TD_ARN}:7" and plan.result["revision"] == 7


def test_an_environment_value_registers_one_revision_and_keeps_the_newest():
    containers = copy.deepcopy(DECLARED["containerDefinitions"])
    containers[0]["environment"][0]["value"] = "other-media"
    current = {"latest": DESCRIBED, "tags": {}, "active": active(7, 6, 5, 4, 3)}
    plan = task_definition_plan(current, td_params(container_definitions=containers), False)
    assert plan.changes[0] == "containerDefinitions.gallery.environment"
    # Five kept with the new one: the oldest of the five goes.
    assert plan.steps["deregister"] == [f"{TD_ARN}:3"]
    assert plan.changes[-1] == f"deregister {FAMILY}:3"
    assert plan.result["revision"] == 8 and plan.steps["register"]["family"] == FAMILY
    before = {e["name"]: e["value"] for e in plan.before["containerDefinitions"][0]["environment"]}
    after = {e["name"]: e["value"] for e in plan.after["containerDefinitions"][0]["environment"]}
    assert (before["S3_BUCKET"], after["S3_BUCKET"]) == ("media", "other-media")


def test_absent_deregisters_every_active_revision():
    plan = task_definition_plan(
        {"latest": DESCRIBED, "tags": {}, "active": active(7, 6)}, td_params(state="absent"), 0
    )
    assert plan.changes == ["delete"] and plan.steps["deregister"] == active(7, 6)


def service_params(**overrides) -> dict:
    p = {**defaults(SERVICE_OPTIONS), "state": "present", "tags": {}, "purge_tags": True}
    p.update(
        name="gallery",
        cluster="video-forge-dev",
        task_definition=f"{FAMILY}",
        subnets=["subnet-a", "subnet-b"],
        security_groups=["sg-1"],
        load_balancers=[
            {
                "target_group_arn": "arn:aws:elasticloadbalancing:tg/gallery",
                "container_name": "gallery",
                "container_port": 3000,
            }
        ],
        service_registries=[
            {"registry_arn": "arn:aws:servicediscovery:ap-southeast-2:123456789012:service/srv-1"}
        ],
        health_check_grace_period=60,
    )
    return {**p, **overrides}


def service_current(**overrides) -> dict:
    return {
        "service": AWS_SERVICE,
        "task_definition_arn": AWS_SERVICE["taskDefinition"],
        "scaled": True,
        **overrides,
    }


def test_a_converged_service_changes_nothing_and_leaves_the_scaled_count():
    scaled = {**AWS_SERVICE, "desiredCount": 3}
    plan = service_plan(service_current(service=scaled), service_params(), False)
    assert plan.changes == []
    assert plan.result["desired_count_managed_by_autoscaling"] is True
    assert plan.result["desired_count"] == 3


def test_a_new_revision_is_one_update_without_the_desired_count():
    plan = service_plan(service_current(task_definition_arn=f"{TD_ARN}:8"), service_params(), False)
    assert plan.changes == ["taskDefinition"]
    assert plan.steps["request"]["taskDefinition"] == f"{TD_ARN}:8"
    assert "desiredCount" not in plan.steps["request"]


def test_a_missing_task_definition_fails_outside_check_mode_only():
    missing = service_current(service=None, task_definition_arn=None, scaled=False)
    with pytest.raises(ReconcileError, match=f"task definition {FAMILY} does not exist"):
        service_plan(missing, service_params(), False)
    assert service_plan(missing, service_params(), True).changes == ["create"]


GROUP = {
    "AutoScalingGroupName": "video-forge-dev-processor",
    "AutoScalingGroupARN": "arn:aws:autoscaling:ap-southeast-2:123456789012:autoScalingGroup:1:x/p",
    "LaunchTemplate": {
        "LaunchTemplateId": "lt-0123",
        "LaunchTemplateName": "video-forge-dev-processor",
        "Version": "3",
    },
    "MinSize": 0,
    "MaxSize": 3,
    "DesiredCapacity": 2,
    "DefaultCooldown": 300,
    "AvailabilityZones": ["ap-southeast-2a"],
    "HealthCheckType": "EC2",
    "HealthCheckGracePeriod": 300,
    "Instances": [],
    "VPCZoneIdentifier": "subnet-a,subnet-b",
    "EnabledMetrics": [{"Metric": "GroupInServiceInstances", "Granularity": "1Minute"}],
    "Tags": [
        {
            "ResourceId": "p",
            "ResourceType": "auto-scaling-group",
            "Key": "Project",
            "Value": "VideoForge",
            "PropagateAtLaunch": True,
        }
    ],
}


def group_params(**overrides) -> dict:
    p = {**defaults(vf_autoscaling_group.OPTIONS), "state": "present", "purge_tags": True}
    p.update(
        name="video-forge-dev-processor",
        launch_template={"name": "video-forge-dev-processor", "version": "3"},
        max_size=3,
        desired_capacity=1,
        subnets=["subnet-b", "subnet-a"],
        metrics=["GroupInServiceInstances"],
        tags={"Project": "VideoForge"},
    )
    return {**p, **overrides}


def test_a_scaled_group_keeps_its_capacity_and_a_new_version_is_planned():
    found = {"group": GROUP, "refreshes": [], "refresh_supported": True}
    assert group_plan(found, group_params(), False).changes == []
    newer = group_params(launch_template={"name": "video-forge-dev-processor", "version": "4"})
    # No instances yet: nothing to refresh.
    assert group_plan(found, newer, False).changes == ["launch_template"]
    plan = group_plan(found, newer, False)
    assert plan.result["desired_capacity"] == 2 and "DesiredCapacity" not in plan.steps["request"]


def lt_params(**overrides) -> dict:
    p = {
        "name": "video-forge-dev-processor",
        "instance_type": "c6i.large",
        "user_data": "#!/bin/bash\necho hi\n",
        "iam_instance_profile": "video-forge-dev-processor",
        "security_group_ids": ["sg-2", "sg-1"],
        "key_name": None,
        "require_imdsv2": True,
        "monitoring": False,
        "instance_tags": {},
        "state": "present",
    }
    return {**p, **overrides}


# DescribeLaunchTemplateVersions' LaunchTemplateData as AWS returns it for the default version.
TEMPLATE = {"LaunchTemplateId": "lt-0123", "DefaultVersionNumber": 3, "LatestVersionNumber": 3}
DATA = {
    "ImageId": "ami-0abc",
    "InstanceType": "c6i.large",
    "UserData": encode_user_data("#!/bin/bash\necho hi\n"),
    "IamInstanceProfile": {"Name": "video-forge-dev-processor"},
    "SecurityGroupIds": ["sg-1", "sg-2"],
    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
}


def test_a_launch_template_change_plans_the_next_version():
    same = launch_template_plan(
        {"template": TEMPLATE, "data": DATA, "image_id": "ami-0abc"}, lt_params(), False
    )
    assert same.changes == [] and same.result["default_version"] == 3
    newer = launch_template_plan(
        {"template": TEMPLATE, "data": DATA, "image_id": "ami-0def"}, lt_params(), False
    )
    assert newer.changes == ["ImageId"]
    assert (newer.result["default_version"], newer.result["latest_version"]) == (4, 4)


# --- block devices (the processor's work volume) --------------------------------------------

WORK_VOLUME = {"device_name": "/dev/xvdb", "volume_size": 100}


def test_a_declared_work_volume_is_an_encrypted_gp3_volume_deleted_with_the_instance():
    plan = launch_template_plan(
        {"template": TEMPLATE, "data": DATA, "image_id": "ami-0abc"},
        lt_params(block_devices=[WORK_VOLUME]),
        False,
    )
    assert plan.changes == ["BlockDeviceMappings"]
    assert plan.steps["data"]["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvdb",
            "Ebs": {"VolumeSize": 100, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True},
        }
    ]


def test_the_volume_as_aws_describes_it_is_no_change():
    # DescribeLaunchTemplateVersions answers the mapping as given (keys in its own order).
    described = {
        **DATA,
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvdb",
                "Ebs": {
                    "Encrypted": True,
                    "DeleteOnTermination": True,
                    "VolumeSize": 100,
                    "VolumeType": "gp3",
                },
            }
        ],
    }
    current = {"template": TEMPLATE, "data": described, "image_id": "ami-0abc"}
    assert launch_template_plan(current, lt_params(block_devices=[WORK_VOLUME]), False).changes == []
    bigger = [{**WORK_VOLUME, "volume_size": 200}]
    assert launch_template_plan(current, lt_params(block_devices=bigger), False).changes == [
        "BlockDeviceMappings"
    ]


def test_deregistering_a_family_makes_only_deregister_calls():
    from ansible.module_utils.vf_ecs_aws import apply_task_definition

    class Ecs:
        def __init__(self):
            self.calls = []

        def deregister_task_definition(self, **params):
            self.calls.append(params["taskDefinition"])
            return {}

    ecs = Ecs()
    plan = task_definition_plan(
        {"latest": DESCRIBED, "tags": {}, "active": active(7, 6)}, td_params(state="absent"), 0
    )
    from ansible.module_utils.vf_aws import AwsClient

    apply_task_definition(lambda service: AwsClient(ecs), plan, td_params(state="absent"))
    assert ecs.calls == active(7, 6)
