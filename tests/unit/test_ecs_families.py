"""The ECS services' families in one module run each: vf_ecs_task_definitions,
vf_ecs_services and vf_app_autoscalings reconcile every item as the singular module does, with
a result and a diff per item. Each module's own main() runs here on its real argument spec (the
module arguments as Ansible passes them); only the read and apply steps are replaced, by ones
answering the API reference's shapes and recording what would be written."""

from __future__ import annotations

import copy
import json

import pytest
import vf_app_autoscalings
import vf_ecs_services
import vf_ecs_task_definitions
from ansible.module_utils.testing import patch_module_args

from tests.unit.test_compute_ecs import AWS_SERVICE, DECLARED, DESCRIBED
from tests.unit.test_compute_plans import service_params

TD_ARN = "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/video-forge-dev-{}:{}"


def run(module, args: dict, capsys, check_mode: bool = False) -> tuple[int, dict]:
    """main() of ``module`` with ``args``: (its exit code, its result)."""
    with patch_module_args({**args, "_ansible_check_mode": check_mode, "_ansible_diff": True}):
        with pytest.raises(SystemExit) as exited:
            module.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture
def applied(monkeypatch) -> list[str]:
    """What the families' apply steps were asked to write, by item name."""
    done: list[str] = []

    def record(name_key):
        def apply(aws, plan, p):
            done.append(p[name_key])
            return {}

        return apply

    monkeypatch.setattr(vf_ecs_task_definitions, "apply_task_definition", record("family"))
    monkeypatch.setattr(vf_ecs_services, "apply_service", record("name"))
    monkeypatch.setattr(vf_app_autoscalings, "apply_app_autoscaling", record("resource_id"))
    return done


# --- task definitions --------------------------------------------------------------------


def described(service: str, environment: dict[str, str]) -> dict:
    """DESCRIBED as the latest revision (7) of ``service``'s family, with that environment."""
    td = copy.deepcopy(DESCRIBED)
    td["family"] = f"video-forge-dev-{service}"
    td["taskDefinitionArn"] = TD_ARN.format(service, 7)
    td["containerDefinitions"][0]["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
    return td


def declared(service: str) -> dict:
    """DECLARED as the module item of ``service``'s family, labelled by the service."""
    return {
        "label": service,
        "family": f"video-forge-dev-{service}",
        "container_definitions": DECLARED["containerDefinitions"],
        "cpu": "512",
        "memory": "1024",
        "execution_role_arn": DECLARED["executionRoleArn"],
        "task_role_arn": DECLARED["taskRoleArn"],
    }


CONVERGED_ENV = {"AWS_REGION": "ap-southeast-2", "DB_PORT": "5432", "S3_BUCKET": "media"}


@pytest.fixture
def families(monkeypatch) -> dict:
    """The families AWS holds, by family name: gallery converged, streaming's S3_BUCKET changed
    out of band (a revision registered by hand), client never registered."""
    latest = {
        "video-forge-dev-gallery": described("gallery", CONVERGED_ENV),
        "video-forge-dev-streaming": described("streaming", {**CONVERGED_ENV, "S3_BUCKET": "elsewhere"}),
    }

    def read(aws, p):
        found = latest.get(p["family"])
        return {"latest": found, "tags": {}, "active": [found["taskDefinitionArn"]] if found else []}

    monkeypatch.setattr(vf_ecs_task_definitions, "read_task_definition", read)
    return latest


TASK_DEFINITIONS = {"task_definitions": [declared("gallery"), declared("streaming"), declared("client")]}


def test_task_definitions_report_and_diff_each_family_and_register_only_what_differs(
    families, applied, capsys
):
    code, result = run(vf_ecs_task_definitions, TASK_DEFINITIONS, capsys)
    assert code == 0 and result["changed"] is True
    assert [(r["item"], r["changes"], r["registered"]) for r in result["results"]] == [
        ("gallery", [], False),
        ("streaming", ["containerDefinitions.gallery.environment"], True),
        ("client", ["create"], True),
    ]
    assert applied == ["video-forge-dev-streaming", "video-forge-dev-client"]
    # Keyed by label: what the services task reads (the revision each service runs).
    assert result["task_definitions"]["gallery"]["arn"] == TD_ARN.format("gallery", 7)
    assert result["task_definitions"]["streaming"]["revision"] == 8
    assert [(d["before_header"], d["after_header"]) for d in result["diff"]] == [
        ("streaming", "streaming"),
        ("client", "client"),
    ]
    env = [
        d["containerDefinitions"][0]["environment"]
        for d in (result["diff"][0]["before"], result["diff"][0]["after"])
    ]
    assert {"name": "S3_BUCKET", "value": "elsewhere"} in env[0]
    assert {"name": "S3_BUCKET", "value": "media"} in env[1]


def test_task_definitions_in_check_mode_register_nothing_and_keep_the_current_arn(families, applied, capsys):
    code, result = run(vf_ecs_task_definitions, TASK_DEFINITIONS, capsys, check_mode=True)
    assert (code, result["changed"], applied) == (0, True, [])
    assert len(result["diff"]) == 2
    # No new revision in check mode: the services are compared with what runs (or the family).
    assert result["task_definitions"]["streaming"]["arn"] == TD_ARN.format("streaming", 7)
    assert result["task_definitions"]["client"]["arn"] is None


def test_converged_task_definitions_are_unchanged(families, applied, capsys):
    families["video-forge-dev-streaming"] = described("streaming", CONVERGED_ENV)
    families["video-forge-dev-client"] = described("client", CONVERGED_ENV)
    code, result = run(vf_ecs_task_definitions, TASK_DEFINITIONS, capsys)
    assert (code, result["changed"], result["diff"], applied) == (0, False, [], [])


def test_a_task_definition_without_containers_fails_naming_it(families, applied, capsys):
    args = {
        "task_definitions": [declared("gallery"), {"family": "video-forge-dev-client", "label": "client"}]
    }
    code, result = run(vf_ecs_task_definitions, args, capsys)
    assert code == 1 and "['client']" in result["msg"] and applied == []


# --- services ----------------------------------------------------------------------------

SERVICE_ITEM = {k: v for k, v in service_params().items() if k in vf_ecs_services.ITEM_OPTIONS}


def service_item(name: str, **overrides) -> dict:
    return {**SERVICE_ITEM, "name": name, **overrides}


@pytest.fixture
def services(monkeypatch) -> dict:
    """What read_service answers, by service: gallery converged, streaming's family has a new
    revision (8), client not created yet."""
    answers = {
        "gallery": {
            "service": AWS_SERVICE,
            "task_definition_arn": AWS_SERVICE["taskDefinition"],
            "scaled": True,
        },
        "streaming": {
            "service": AWS_SERVICE,
            "task_definition_arn": TD_ARN.format("gallery", 8),
            "scaled": True,
        },
        "client": {"service": None, "task_definition_arn": AWS_SERVICE["taskDefinition"], "scaled": False},
    }

    def read(aws, p):
        assert p["cluster"] == "video-forge-dev" and p["state"] == "present"  # the shared options
        return answers[p["name"]]

    monkeypatch.setattr(vf_ecs_services, "read_service", read)
    return answers


SERVICES = {
    "cluster": "video-forge-dev",
    "services": [service_item("gallery"), service_item("streaming"), service_item("client")],
}


def test_services_report_and_diff_each_service_and_update_only_what_differs(services, applied, capsys):
    code, result = run(vf_ecs_services, SERVICES, capsys)
    assert code == 0 and result["changed"] is True
    assert [(r["item"], r["changes"]) for r in result["results"]] == [
        ("gallery", []),
        ("streaming", ["taskDefinition"]),
        ("client", ["create"]),
    ]
    assert applied == ["streaming", "client"]
    assert result["services"]["gallery"]["desired_count_managed_by_autoscaling"] is True
    assert result["services"]["streaming"]["task_definition"] == TD_ARN.format("gallery", 8)
    streaming = result["diff"][0]
    assert streaming["before_header"] == "streaming"
    assert (streaming["before"]["task_definition"], streaming["after"]["task_definition"]) == (
        AWS_SERVICE["taskDefinition"],
        TD_ARN.format("gallery", 8),
    )


def test_services_in_check_mode_write_nothing(services, applied, capsys):
    code, result = run(vf_ecs_services, SERVICES, capsys, check_mode=True)
    assert (code, result["changed"], len(result["diff"]), applied) == (0, True, 2, [])


def test_a_service_whose_task_definition_is_missing_fails_naming_it_after_the_ones_before(
    services, applied, capsys
):
    services["streaming"] = {**services["streaming"], "task_definition_arn": None}
    code, result = run(vf_ecs_services, SERVICES, capsys)
    assert code == 1 and result["msg"].startswith("streaming: ")
    assert result["item"] == "streaming" and [r["item"] for r in result["results"]] == ["gallery"]
    assert applied == []


# --- scalable targets --------------------------------------------------------------------

CPU = {"name": "cpu", "metric": "cpu", "target": 70}
POLICY_ARN = "arn:aws:autoscaling:ap-southeast-2:123456789012:scalingPolicy:1:resource/ecs/{}:policyName/cpu"


def scalable(service: str, min_capacity: int, max_capacity: int) -> dict:
    """describe_scalable_targets' entry and describe_scaling_policies' cpu policy of a service."""
    resource = f"service/video-forge-dev/{service}"
    return {
        "target": {
            "ServiceNamespace": "ecs",
            "ResourceId": resource,
            "ScalableDimension": "ecs:service:DesiredCount",
            "MinCapacity": min_capacity,
            "MaxCapacity": max_capacity,
            "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling",
            "CreationTime": "2026-01-01T00:00:00Z",
        },
        "policies": [
            {
                "PolicyARN": POLICY_ARN.format(resource),
                "PolicyName": "cpu",
                "ServiceNamespace": "ecs",
                "ResourceId": resource,
                "ScalableDimension": "ecs:service:DesiredCount",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                    },
                    "ScaleOutCooldown": 60,
                    "ScaleInCooldown": 300,
                },
            }
        ],
    }


@pytest.fixture
def targets(monkeypatch) -> dict:
    """Gallery converged; streaming's maximum changed by hand to 10."""
    answers = {
        "service/video-forge-dev/gallery": scalable("gallery", 1, 3),
        "service/video-forge-dev/streaming": scalable("streaming", 1, 10),
    }
    monkeypatch.setattr(vf_app_autoscalings, "read_app_autoscaling", lambda aws, p: answers[p["resource_id"]])
    return answers


SCALING = {
    "scalable_targets": [
        {
            "label": s,
            "resource_id": f"service/video-forge-dev/{s}",
            "min_capacity": 1,
            "max_capacity": 3,
            "policies": [CPU],
        }
        for s in ("gallery", "streaming")
    ]
}


def test_scalable_targets_report_and_diff_each_target_and_repair_only_the_drifted(targets, applied, capsys):
    code, result = run(vf_app_autoscalings, SCALING, capsys)
    assert code == 0 and result["changed"] is True
    assert [(r["item"], r["changes"]) for r in result["results"]] == [
        ("gallery", []),
        ("streaming", ["max_capacity"]),
    ]
    assert applied == ["service/video-forge-dev/streaming"]
    assert list(result["scalable_targets"]["gallery"]["policy_arns"]) == ["cpu"]
    assert [
        (d["before_header"], d["before"]["max_capacity"], d["after"]["max_capacity"]) for d in result["diff"]
    ] == [("streaming", 10, 3)]


def test_scalable_targets_in_check_mode_write_nothing(targets, applied, capsys):
    code, result = run(vf_app_autoscalings, SCALING, capsys, check_mode=True)
    assert (code, result["changed"], applied) == (0, True, [])


def test_a_scalable_target_without_capacities_fails_naming_it(targets, applied, capsys):
    args = {"scalable_targets": [{"label": "gallery", "resource_id": "service/video-forge-dev/gallery"}]}
    code, result = run(vf_app_autoscalings, args, capsys)
    assert code == 1 and "['gallery']" in result["msg"] and applied == []
