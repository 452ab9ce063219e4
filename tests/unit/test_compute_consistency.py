"""What real AWS answers right after IAM made a role or instance profile, and on an account where
the compute was never deployed, from the API reference's error shapes:

- ECS RegisterTaskDefinition: ClientException "Role is not valid";
- EC2 Auto Scaling CreateAutoScalingGroup / UpdateAutoScalingGroup: ValidationError "You must
  use a valid fully-formed launch template. Value (...) for parameter iamInstanceProfile.name is
  invalid. Invalid IAM Instance Profile name";
- EC2 (a launch template naming the profile): InvalidParameterValue "... iamInstanceProfile ...";
- ECS DescribeServices of a cluster that does not exist: ClusterNotFoundException.

The first three are retried for the time IAM needs to settle; the last is "no service".
"""

from __future__ import annotations

import boto3
import pytest
from ansible.module_utils import vf_aws
from ansible.module_utils.vf_autoscaling import group_plan
from ansible.module_utils.vf_autoscaling_aws import apply_group
from ansible.module_utils.vf_ec2_aws import apply_launch_template
from ansible.module_utils.vf_ecs_aws import apply_task_definition, read_service
from ansible.module_utils.vf_ecs_services import service_plan
from ansible.module_utils.vf_module import Plan
from botocore.stub import ANY, Stubber

from tests.unit.test_compute_plans import group_params, service_params

ACCOUNT = "123456789012"
TD_ARN = f"arn:aws:ecs:ap-southeast-2:{ACCOUNT}:task-definition/video-forge-dev-gallery:1"
PROFILE_MESSAGE = (
    "Value (video-forge-dev-processor) for parameter iamInstanceProfile.name is invalid. "
    "Invalid IAM Instance Profile name"
)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(vf_aws.time, "sleep", lambda _s: None)


class Clients:
    """``aws(service)`` over stubbed boto3 clients: the calls are checked against the service model."""

    def __init__(self, *services: str):
        self.raw = {
            s: boto3.session.Session().client(
                s, region_name="ap-southeast-2", aws_access_key_id="k", aws_secret_access_key="s"
            )
            for s in services
        }
        self.stubs = {s: Stubber(c) for s, c in self.raw.items()}
        self.clients = {s: vf_aws.AwsClient(c, retries=0) for s, c in self.raw.items()}

    def __call__(self, service: str) -> vf_aws.AwsClient:
        return self.clients[service]

    def __enter__(self):
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc):
        for stub in self.stubs.values():
            stub.deactivate()
        if exc[0] is None:
            for stub in self.stubs.values():
                stub.assert_no_pending_responses()


# --- a role made a moment ago ---------------------------------------------------------------


def test_a_task_definition_whose_role_is_not_yet_valid_is_registered_once_it_is():
    register = {
        "family": "video-forge-dev-gallery",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/video-forge-dev-gallery-task",
        "containerDefinitions": [{"name": "gallery", "image": "gallery:1"}],
    }
    plan = Plan(["create"], steps={"register": register, "deregister": []})
    with Clients("ecs") as aws:
        for _ in range(3):
            aws.stubs["ecs"].add_client_error(
                "register_task_definition", "ClientException", "Role is not valid", 400
            )
        aws.stubs["ecs"].add_response(
            "register_task_definition",
            {"taskDefinition": {"taskDefinitionArn": TD_ARN, "revision": 1}},
            register,
        )
        out = apply_task_definition(aws, plan, {"tags": {}})
    assert out == {"arn": TD_ARN, "revision": 1}


def test_a_task_definition_refused_for_another_reason_fails_at_once():
    plan = Plan(["create"], steps={"register": {"family": "f", "containerDefinitions": []}, "deregister": []})
    with Clients("ecs") as aws:
        aws.stubs["ecs"].add_client_error(
            "register_task_definition", "ClientException", "Container.image should not be null", 400
        )
        with pytest.raises(vf_aws.AwsError, match="should not be null"):
            apply_task_definition(aws, plan, {"tags": {}})


def group_created(aws: Clients) -> None:
    """The describe after the create (the module reports the ARN and capacity)."""
    group = {
        "AutoScalingGroupName": "video-forge-dev-processor",
        "AutoScalingGroupARN": f"arn:aws:autoscaling:ap-southeast-2:{ACCOUNT}:autoScalingGroup:1:x",
        "MinSize": 0,
        "MaxSize": 3,
        "DesiredCapacity": 1,
        "DefaultCooldown": 300,
        "AvailabilityZones": ["ap-southeast-2a"],
        "HealthCheckType": "EC2",
        "CreatedTime": "2026-01-01T00:00:00Z",
    }
    aws.stubs["autoscaling"].add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [group]})


@pytest.mark.parametrize("operation", ["create_auto_scaling_group", "update_auto_scaling_group"])
def test_a_group_whose_instance_profile_is_not_yet_valid_is_made_once_it_is(operation):
    params = group_params(metrics=[], tags={})
    found = {"group": None, "refreshes": [], "refresh_supported": True}
    plan = group_plan(found, params, False)
    if operation == "update_auto_scaling_group":
        plan.changes[:] = ["launch_template"]
    message = f"You must use a valid fully-formed launch template. {PROFILE_MESSAGE}"
    with Clients("autoscaling") as aws:
        for _ in range(2):
            aws.stubs["autoscaling"].add_client_error(operation, "ValidationError", message, 400)
        aws.stubs["autoscaling"].add_response(operation, {})
        group_created(aws)
        out = apply_group(aws, plan, params)
    assert out["desired_capacity"] == 1


def test_a_launch_template_naming_a_profile_not_yet_valid_is_made_once_it_is():
    data = {"ImageId": "ami-0abc", "IamInstanceProfile": {"Name": "video-forge-dev-processor"}}
    plan = Plan(["create"], result={"id": None}, steps={"data": data})
    name = "video-forge-dev-processor"
    created = {"LaunchTemplate": {"LaunchTemplateId": "lt-0123", "LaunchTemplateName": name}}
    with Clients("ec2") as aws:
        aws.stubs["ec2"].add_client_error(
            "create_launch_template", "InvalidParameterValue", PROFILE_MESSAGE, 400
        )
        aws.stubs["ec2"].add_response(
            "create_launch_template",
            created,
            {"LaunchTemplateName": name, "LaunchTemplateData": data, "ClientToken": ANY},
        )
        out = apply_launch_template(aws, plan, {"name": name, "tags": {}})
    assert out["id"] == "lt-0123"


def test_a_refusal_that_outlasts_the_settling_time_fails():
    clock = iter(range(0, 10_000, 20))
    client = boto3.session.Session().client(
        "ecs", region_name="ap-southeast-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(client) as stub, pytest.MonkeyPatch.context() as mp:
        mp.setattr(vf_aws.time, "monotonic", lambda: next(clock))
        for _ in range(20):
            stub.add_client_error("register_task_definition", "ClientException", "Role is not valid", 400)
        with pytest.raises(vf_aws.AwsError, match="Role is not valid"):
            vf_aws.AwsClient(client, retries=0).call(
                "register_task_definition",
                not_yet=vf_aws.ROLE_NOT_YET,
                family="f",
                containerDefinitions=[],
            )


# --- an account where the compute was never deployed -----------------------------------------


def no_cluster(aws: Clients) -> None:
    aws.stubs["ecs"].add_client_error(
        "describe_services", "ClusterNotFoundException", "Cluster not found.", 400
    )


def test_removing_a_service_of_a_cluster_that_does_not_exist_changes_nothing():
    params = service_params(state="absent")
    with Clients("ecs") as aws:
        no_cluster(aws)
        found = read_service(aws, params)
    plan = service_plan(found, params, False)
    assert plan.changes == [] and found["service"] is None


def test_check_mode_on_an_account_without_the_cluster_reports_the_service_to_create():
    params = service_params()
    with Clients("ecs") as aws:
        no_cluster(aws)
        aws.stubs["ecs"].add_client_error(
            "describe_task_definition", "ClientException", "Unable to describe task definition.", 400
        )
        found = read_service(aws, params)
    plan = service_plan(found, params, True)
    assert plan.changes == ["create"]
