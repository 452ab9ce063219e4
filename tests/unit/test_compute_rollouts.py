"""Rollouts that only real AWS produces, from the shapes of the ECS and EC2 Auto Scaling
API references: a deployment circuit breaker that rolled a service back, instance refreshes
that fail, are cancelled or roll back, and a group whose instances run an older template."""

from __future__ import annotations

import copy

import pytest
from ansible.module_utils import vf_aws
from ansible.module_utils.vf_ecs_aws import apply_service
from ansible.module_utils.vf_ecs_services import service_plan
from ansible.module_utils.vf_module import ReconcileError

from tests.unit.test_compute_ecs import AWS_SERVICE
from tests.unit.test_compute_plans import service_params

TD = "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/video-forge-dev-gallery"
BREAKER = "ECS deployment circuit breaker: tasks failed to start."


def deployment(id_: str, status: str, revision: int, state: str, reason: str = "", running: int = 1) -> dict:
    """One entry of DescribeServices' ``deployments`` (API reference: Deployment)."""
    entry = {
        "id": id_,
        "status": status,
        "taskDefinition": f"{TD}:{revision}",
        "desiredCount": 1,
        "pendingCount": 0,
        "runningCount": running,
        "failedTasks": 0 if state != "FAILED" else 3,
        "launchType": "FARGATE",
        "rolloutState": state,
    }
    if reason:
        entry["rolloutStateReason"] = reason
    return entry


def described(revision: int, deployments: list[dict], events: list[str] = ()) -> dict:
    service = copy.deepcopy(AWS_SERVICE)
    service.update(taskDefinition=f"{TD}:{revision}", deployments=deployments)
    service["events"] = [{"id": str(i), "message": m} for i, m in enumerate(events)]
    return service


class FakeEcs:
    """An ECS that takes the update, then answers DescribeServices with ``after``."""

    def __init__(self, after: dict):
        self.after, self.updates = after, []

    def update_service(self, **request):
        self.updates.append(request)
        return {"service": described(7, [deployment("ecs-svc/2", "PRIMARY", 8, "IN_PROGRESS", running=0)])}

    def describe_services(self, **_):
        return {"services": [self.after], "failures": []}

    def tag_resource(self, **_):
        return {}

    def untag_resource(self, **_):
        return {}


class Clients:
    def __init__(self, **clients):
        self.clients = {k.replace("_", "-"): vf_aws.AwsClient(v, retries=0) for k, v in clients.items()}

    def __call__(self, service):
        return self.clients[service]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(vf_aws.time, "sleep", lambda _s: None)


def roll_out(after: dict):
    """Plan and apply a new revision (8) on a service running 7, waiting for the rollout."""
    current = {"service": AWS_SERVICE, "task_definition_arn": f"{TD}:8", "scaled": True}
    params = service_params(wait=True, wait_timeout=1)
    plan = service_plan(current, params, False)
    assert plan.changes == ["taskDefinition"]
    ecs = FakeEcs(after)
    return apply_service(Clients(ecs=ecs), plan, params), ecs


@pytest.mark.parametrize(
    "after",
    [
        # Rolled back and settled: one PRIMARY deployment, the old revision, COMPLETED.
        described(
            7,
            [deployment("ecs-svc/1", "PRIMARY", 7, "COMPLETED", "ECS deployment ecs-svc/1 completed.")],
            [
                "(service gallery) has reached a steady state.",
                f"(service gallery) (deployment ecs-svc/2) deployment failed: {BREAKER}",
                "(service gallery) rolling back to deployment ecs-svc/1.",
            ],
        ),
        # Rolling back: the old revision is PRIMARY again, the new one ACTIVE and FAILED.
        described(
            7,
            [
                deployment("ecs-svc/1", "PRIMARY", 7, "IN_PROGRESS"),
                deployment("ecs-svc/2", "ACTIVE", 8, "FAILED", BREAKER, running=0),
            ],
        ),
        # The PRIMARY deployment is the old revision, FAILED, with the breaker's reason.
        described(7, [deployment("ecs-svc/1", "PRIMARY", 7, "FAILED", BREAKER)]),
    ],
    ids=["rolled-back", "rolling-back", "primary-failed"],
)
def test_a_circuit_breaker_rollback_fails_naming_the_running_revision_and_why(after):
    with pytest.raises(ReconcileError) as failed:
        roll_out(after)
    message = str(failed.value)
    assert "video-forge-dev-gallery:7" in message  # what runs
    assert "video-forge-dev-gallery:8" in message  # what was asked for
    assert "tasks failed to start" in message  # why


def test_a_completed_rollout_of_the_new_revision_succeeds():
    done = described(
        8, [deployment("ecs-svc/2", "PRIMARY", 8, "COMPLETED", "ECS deployment ecs-svc/2 completed.")]
    )
    result, ecs = roll_out(done)
    assert result["deployment_state"] == "steady" and ecs.updates[0]["taskDefinition"] == f"{TD}:8"


# --- instance refresh (EC2 Auto Scaling API reference shapes) --------------------------------

from ansible.module_utils.vf_autoscaling import group_plan  # noqa: E402
from ansible.module_utils.vf_autoscaling_aws import apply_group  # noqa: E402

from tests.unit.test_compute_plans import GROUP, group_params  # noqa: E402


def instance(id_: str, version: str) -> dict:
    """One entry of DescribeAutoScalingGroups' ``Instances``."""
    return {
        "InstanceId": id_,
        "InstanceType": "c6i.large",
        "AvailabilityZone": "ap-southeast-2a",
        "LifecycleState": "InService",
        "HealthStatus": "Healthy",
        "LaunchTemplate": {
            "LaunchTemplateId": "lt-0123",
            "LaunchTemplateName": "video-forge-dev-processor",
            "Version": version,
        },
        "ProtectedFromScaleIn": False,
    }


def refresh(status: str, reason: str = "") -> dict:
    """One entry of DescribeInstanceRefreshes' ``InstanceRefreshes`` (newest first)."""
    entry = {
        "InstanceRefreshId": "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b",
        "AutoScalingGroupName": "video-forge-dev-processor",
        "Status": status,
        "PercentageComplete": 100 if status == "Successful" else 0,
        "InstancesToUpdate": 0 if status == "Successful" else 1,
        "Preferences": {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
    }
    if reason:
        entry["StatusReason"] = reason
    return entry


def group(version: str, *instance_versions: str) -> dict:
    g = copy.deepcopy(GROUP)
    g["LaunchTemplate"]["Version"] = version
    g["Instances"] = [instance(f"i-{n:017x}", v) for n, v in enumerate(instance_versions)]
    return g


def current(g: dict, refreshes=(), supported=True) -> dict:
    return {"group": g, "refreshes": list(refreshes), "refresh_supported": supported}


def params_v(version: str, **overrides) -> dict:
    return group_params(
        launch_template={"name": "video-forge-dev-processor", "version": version}, **overrides
    )


def test_instances_on_another_version_than_the_group_are_refreshed_even_with_nothing_else_to_change():
    # What a run leaves when the refresh failed to start: the group already on version 4.
    plan = group_plan(current(group("4", "3")), params_v("4"), False)
    assert plan.changes == ["instance refresh (1 of 1 instances on another version)"]
    assert group_plan(current(group("4", "4")), params_v("4"), False).changes == []


def test_the_refresh_never_takes_the_only_instance_down_before_its_replacement_is_healthy():
    plan = group_plan(current(group("3", "3")), params_v("4"), False)
    preferences = plan.steps["refresh"]["Preferences"]
    assert preferences["MinHealthyPercentage"] == 100 and preferences["MaxHealthyPercentage"] == 200
    assert preferences["SkipMatching"] is True


class FakeAutoscaling:
    """Takes the group update; answers the refresh calls from a script (every list one page)."""

    class Paginator:
        _pagination_cfg = {"input_token": "NextToken", "output_token": "NextToken"}

    def can_paginate(self, operation):
        return True

    def get_paginator(self, operation):
        return self.Paginator()

    def __init__(self, start=None, states=()):
        self.start, self.states, self.started = start, list(states), []

    def update_auto_scaling_group(self, **_):
        return {}

    def describe_auto_scaling_groups(self, **_):
        return {"AutoScalingGroups": [group("4", "4")]}

    def start_instance_refresh(self, **request):
        self.started.append(request)
        if isinstance(self.start, Exception):
            raise self.start
        return {"InstanceRefreshId": "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b"}

    def describe_instance_refreshes(self, **_):
        return {"InstanceRefreshes": [self.states.pop(0) if len(self.states) > 1 else self.states[0]]}


def run_refresh(fake: FakeAutoscaling):
    params = params_v("4", instance_refresh=True, instance_refresh_wait=True, instance_refresh_timeout=60)
    plan = group_plan(current(group("3", "3")), params, False)
    return vf_aws_apply(fake, plan, params)


def vf_aws_apply(fake, plan, params):
    return apply_group(Clients(autoscaling=fake), plan, params)


def client_error(code: str, status: int, message: str):
    import botocore.exceptions

    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "StartInstanceRefresh",
    )


@pytest.mark.parametrize(
    "error",
    [
        client_error("ServiceUnavailable", 503, "try later"),
        client_error("ValidationError", 400, "no instances"),
    ],
)
def test_a_refresh_that_does_not_start_fails_the_task(error):
    with pytest.raises(ReconcileError, match="instance refresh of video-forge-dev-processor did not start"):
        run_refresh(FakeAutoscaling(start=error))


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("Failed", "The instance refresh failed: instances did not pass health checks."),
        ("Cancelled", "The instance refresh was cancelled by a user."),
        ("RollbackSuccessful", "The instance refresh was rolled back because it failed."),
    ],
)
def test_a_refresh_that_ends_otherwise_than_successful_fails_the_task_with_its_reason(state, reason):
    fake = FakeAutoscaling(states=[refresh("Pending"), refresh("InProgress"), refresh(state, reason)])
    with pytest.raises(ReconcileError) as failed:
        run_refresh(fake)
    assert state in str(failed.value) and reason in str(failed.value)


def test_a_refresh_already_running_is_followed_not_restarted():
    fake = FakeAutoscaling(
        start=client_error("InstanceRefreshInProgress", 400, "already"), states=[refresh("Successful")]
    )
    result = run_refresh(fake)
    assert result["instance_refresh"]["status"] == "Successful"


def test_a_successful_refresh_is_reported():
    result = run_refresh(FakeAutoscaling(states=[refresh("InProgress"), refresh("Successful")]))
    assert result["instance_refresh"] == {
        "id": "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b",
        "status": "Successful",
    }
