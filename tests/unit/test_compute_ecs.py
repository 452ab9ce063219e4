"""Pure ECS comparisons, on the shapes AWS really returns (DescribeTaskDefinition and
DescribeServices as documented in botocore's ecs service model, with the defaults ECS fills)."""

from __future__ import annotations

import copy

from ansible.module_utils.vf_ecs import (
    family_revisions_to_deregister,
    normalize_task_definition,
    task_definition_changes,
)
from ansible.module_utils.vf_ecs_services import deployment_state, service_changes

DECLARED = {
    "family": "video-forge-dev-gallery",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": 1024,
    "executionRoleArn": "arn:aws:iam::123456789012:role/video-forge-dev-gallery-execution",
    "taskRoleArn": "arn:aws:iam::123456789012:role/video-forge-dev-gallery-task",
    "containerDefinitions": [
        {
            "name": "gallery",
            "image": "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/video-forge/gallery:abc123",
            "portMappings": [{"containerPort": 3000}],
            "environment": [
                {"name": "S3_BUCKET", "value": "media"},
                {"name": "DB_PORT", "value": 5432},
                {"name": "AWS_REGION", "value": "ap-southeast-2"},
            ],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-southeast-2:123456789012:parameter/x"}
            ],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://127.0.0.1:3000/health || exit 1"]},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/gallery", "awslogs-region": "ap-southeast-2"},
            },
        }
    ],
}

# What DescribeTaskDefinition returns for DECLARED on AWS: defaults filled, lists reordered.
DESCRIBED = {
    "taskDefinitionArn": "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/video-forge-dev-gallery:7",
    "containerDefinitions": [
        {
            "name": "gallery",
            "image": "123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/video-forge/gallery:abc123",
            "cpu": 0,
            "portMappings": [{"containerPort": 3000, "hostPort": 3000, "protocol": "tcp"}],
            "essential": True,
            "environment": [
                {"name": "AWS_REGION", "value": "ap-southeast-2"},
                {"name": "DB_PORT", "value": "5432"},
                {"name": "S3_BUCKET", "value": "media"},
            ],
            "mountPoints": [],
            "volumesFrom": [],
            "secrets": [
                {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-southeast-2:123456789012:parameter/x"}
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/gallery", "awslogs-region": "ap-southeast-2"},
                "secretOptions": [],
            },
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://127.0.0.1:3000/health || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
            },
            "systemControls": [],
        }
    ],
    "family": "video-forge-dev-gallery",
    "taskRoleArn": "arn:aws:iam::123456789012:role/video-forge-dev-gallery-task",
    "executionRoleArn": "arn:aws:iam::123456789012:role/video-forge-dev-gallery-execution",
    "networkMode": "awsvpc",
    "revision": 7,
    "volumes": [],
    "status": "ACTIVE",
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.task-iam-role"}],
    "placementConstraints": [],
    "compatibilities": ["EC2", "FARGATE"],
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": "1024",
    "registeredAt": "2026-11-28T10:00:00Z",
    "registeredBy": "arn:aws:sts::123456789012:assumed-role/deployer",
}


def test_described_revision_equals_its_declaration():
    assert task_definition_changes(DESCRIBED, DECLARED) == []


def test_no_revision_means_create():
    assert task_definition_changes(None, DECLARED) == ["create"]


def _with(mutate):
    declared = copy.deepcopy(DECLARED)
    mutate(declared)
    return declared


def test_one_environment_value_is_a_change():
    changed = _with(lambda d: d["containerDefinitions"][0]["environment"][0].update(value="other"))
    assert task_definition_changes(DESCRIBED, changed) == ["containerDefinitions.gallery.environment"]


def test_environment_order_is_not_a_change():
    reordered = _with(lambda d: d["containerDefinitions"][0]["environment"].reverse())
    assert task_definition_changes(DESCRIBED, reordered) == []


def test_cpu_memory_roles_image_health_check_and_secrets_are_changes():
    assert task_definition_changes(DESCRIBED, _with(lambda d: d.update(cpu="1024"))) == ["cpu"]
    assert task_definition_changes(DESCRIBED, _with(lambda d: d.update(memory="2048"))) == ["memory"]
    assert task_definition_changes(DESCRIBED, _with(lambda d: d.update(taskRoleArn="arn:x"))) == [
        "taskRoleArn"
    ]
    image = _with(lambda d: d["containerDefinitions"][0].update(image="repo/gallery:def456"))
    assert task_definition_changes(DESCRIBED, image) == ["containerDefinitions.gallery.image"]
    health = _with(lambda d: d["containerDefinitions"][0]["healthCheck"].update(retries=5))
    assert task_definition_changes(DESCRIBED, health) == ["containerDefinitions.gallery.healthCheck"]
    secret = _with(lambda d: d["containerDefinitions"][0]["secrets"][0].update(valueFrom="arn:y"))
    assert task_definition_changes(DESCRIBED, secret) == ["containerDefinitions.gallery.secrets"]


def test_explicit_defaults_equal_omitted_defaults():
    explicit = _with(
        lambda d: d["containerDefinitions"][0].update(
            essential=True,
            cpu=0,
            mountPoints=[],
            portMappings=[{"containerPort": 3000, "hostPort": 3000, "protocol": "tcp"}],
        )
    )
    assert task_definition_changes(DESCRIBED, explicit) == []


def test_runtime_platform_is_compared_with_fargates_defaults_filled():
    """A re-run declaring the platform a revision already runs on registers nothing; another
    architecture (images built for linux/arm64) registers one."""
    x86 = {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    arm = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    on_arm = {**DESCRIBED, "runtimePlatform": arm}

    def declared(platform):
        return _with(lambda d: d.update(runtimePlatform=platform))

    assert task_definition_changes(DESCRIBED, declared(x86)) == []
    assert task_definition_changes(on_arm, declared({"cpuArchitecture": "arm64"})) == []
    assert task_definition_changes(on_arm, declared(x86)) == ["runtimePlatform"]
    assert task_definition_changes(DESCRIBED, declared(arm)) == ["runtimePlatform"]


def test_normalized_declaration_is_a_valid_register_request():
    normalized = normalize_task_definition(DECLARED)
    env = normalized["containerDefinitions"][0]["environment"]
    assert all(isinstance(e["value"], str) for e in env)
    assert normalized["memory"] == "1024"
    assert "revision" not in normalized and "status" not in normalized


def test_revisions_beyond_keep_are_deregistered_newest_kept():
    arns = [
        "arn:aws:ecs:r:1:task-definition/web:3",
        "arn:aws:ecs:r:1:task-definition/web:10",
        "arn:aws:ecs:r:1:task-definition/web-admin:50",  # familyPrefix also matches this one
        "arn:aws:ecs:r:1:task-definition/web:9",
    ]
    assert family_revisions_to_deregister(arns, "web", 2) == ["arn:aws:ecs:r:1:task-definition/web:3"]
    assert family_revisions_to_deregister(arns, "web", 0) == [arns[1], arns[3], arns[0]]


# DescribeServices on AWS always carries deploymentConfiguration, healthCheckGracePeriodSeconds
# and enableExecuteCommand; moto 5 drops them.
AWS_SERVICE = {
    "serviceArn": "arn:aws:ecs:ap-southeast-2:123456789012:service/video-forge-dev/gallery",
    "serviceName": "gallery",
    "status": "ACTIVE",
    "desiredCount": 1,
    "runningCount": 1,
    "pendingCount": 0,
    "launchType": "FARGATE",
    "platformVersion": "LATEST",
    "taskDefinition": "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/video-forge-dev-gallery:7",
    "loadBalancers": [
        {
            "targetGroupArn": "arn:aws:elasticloadbalancing:tg/gallery",
            "containerName": "gallery",
            "containerPort": 3000,
        }
    ],
    "serviceRegistries": [
        {"registryArn": "arn:aws:servicediscovery:ap-southeast-2:123456789012:service/srv-1"}
    ],
    "deploymentConfiguration": {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    },
    "deployments": [
        {
            "id": "ecs-svc/1",
            "status": "PRIMARY",
            "desiredCount": 1,
            "runningCount": 1,
            "rolloutState": "COMPLETED",
        }
    ],
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-b", "subnet-a"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    },
    "healthCheckGracePeriodSeconds": 60,
    "schedulingStrategy": "REPLICA",
    "enableECSManagedTags": False,
    "propagateTags": "SERVICE",
    "enableExecuteCommand": False,
}

DESIRED_SERVICE = {
    "taskDefinition": AWS_SERVICE["taskDefinition"],
    "desiredCount": 1,
    "deploymentConfiguration": {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    },
    "loadBalancers": [
        {
            "targetGroupArn": "arn:aws:elasticloadbalancing:tg/gallery",
            "containerName": "gallery",
            "containerPort": 3000,
        }
    ],
    "serviceRegistries": [
        {"registryArn": "arn:aws:servicediscovery:ap-southeast-2:123456789012:service/srv-1"}
    ],
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    },
    "healthCheckGracePeriodSeconds": 60,
    "enableExecuteCommand": False,
    "propagateTags": "SERVICE",
}


def test_service_as_declared_has_no_changes():
    assert service_changes(AWS_SERVICE, DESIRED_SERVICE, manage_desired_count=True) == []


def test_desired_count_is_compared_only_when_not_owned_by_autoscaling():
    scaled = {**AWS_SERVICE, "desiredCount": 3}
    assert service_changes(scaled, DESIRED_SERVICE, manage_desired_count=True) == ["desiredCount"]
    assert service_changes(scaled, DESIRED_SERVICE, manage_desired_count=False) == []


def test_fields_moto_drops_are_unknown_not_different():
    moto = {
        k: v
        for k, v in AWS_SERVICE.items()
        if k not in ("deploymentConfiguration", "healthCheckGracePeriodSeconds", "enableExecuteCommand")
    }
    assert service_changes(moto, DESIRED_SERVICE, manage_desired_count=True) == []


def test_real_service_differences_are_reported():
    changed = copy.deepcopy(DESIRED_SERVICE)
    changed["deploymentConfiguration"]["minimumHealthyPercent"] = 50
    changed["taskDefinition"] = changed["taskDefinition"].replace(":7", ":8")
    changed["healthCheckGracePeriodSeconds"] = 120
    changed["loadBalancers"] = []
    assert sorted(service_changes(AWS_SERVICE, changed, manage_desired_count=True)) == [
        "deploymentConfiguration",
        "healthCheckGracePeriodSeconds",
        "loadBalancers",
        "taskDefinition",
    ]


def test_inactive_service_means_create():
    assert service_changes({**AWS_SERVICE, "status": "INACTIVE"}, DESIRED_SERVICE, True) == ["create"]


def test_deployment_state():
    assert deployment_state(AWS_SERVICE) == "steady"
    rolling = {
        **AWS_SERVICE,
        "deployments": [
            {"status": "PRIMARY", "desiredCount": 1, "runningCount": 0, "rolloutState": "IN_PROGRESS"},
            {"status": "ACTIVE", "desiredCount": 1, "runningCount": 1, "rolloutState": "COMPLETED"},
        ],
    }
    assert deployment_state(rolling) == "in_progress"
    failed = {**AWS_SERVICE, "deployments": [{"status": "PRIMARY", "rolloutState": "FAILED"}]}
    assert deployment_state(failed) == "failed"
