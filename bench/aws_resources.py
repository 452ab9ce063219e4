"""What an AWS endpoint holds, by kind, for counting the resources a deployment manages.

``managed(resources(url, region), pristine)``: everything that exists after a converge and
did not on a fresh endpoint (its default VPC's security group, ...), less what AWS makes and
owns itself: the alarms of target tracking policies (``TargetTracking-...``) and the public
parameters under ``/aws/`` (moto lists them once one has been read). One rule for both sides
of a benchmark, so neither counts what the other would not.
"""

from __future__ import annotations

import boto3

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# Made and owned by AWS, not by a deployment.
AWS_OWNED = {"alarms": "TargetTracking-", "ssm_parameters": "/aws/"}


def _all(client, operation: str, key: str, **kwargs) -> list:
    if client.can_paginate(operation):
        return [
            item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])
        ]
    return getattr(client, operation)(**kwargs).get(key, [])


def _elbv2(c) -> dict[str, list[str]]:
    balancers = _all(c, "describe_load_balancers", "LoadBalancers")
    listeners = [
        listener
        for lb in balancers
        for listener in _all(c, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])
    ]
    rules = [
        rule["RuleArn"]
        for listener in listeners
        for rule in c.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not rule.get("IsDefault")
    ]
    return {
        "target_groups": [t["TargetGroupName"] for t in _all(c, "describe_target_groups", "TargetGroups")],
        "load_balancers": [lb["LoadBalancerName"] for lb in balancers],
        "listeners": [f"{lst['LoadBalancerArn'].rsplit('/', 2)[1]}:{lst['Port']}" for lst in listeners],
        "listener_rules": rules,
    }


def _ecs(c) -> dict[str, list[str]]:
    clusters = _all(c, "list_clusters", "clusterArns")
    return {
        "ecs_clusters": clusters,
        "task_definitions_active": _all(c, "list_task_definitions", "taskDefinitionArns", status="ACTIVE"),
        "ecs_services": [
            s for cluster in clusters for s in _all(c, "list_services", "serviceArns", cluster=cluster)
        ],
    }


def _scaling(app, asg) -> dict[str, list[str]]:
    return {
        "scalable_targets": [
            t["ResourceId"]
            for t in _all(app, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs")
        ],
        "service_scaling_policies": [
            p["PolicyARN"]
            for p in _all(app, "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs")
        ],
        "auto_scaling_groups": [
            g["AutoScalingGroupName"] for g in _all(asg, "describe_auto_scaling_groups", "AutoScalingGroups")
        ],
        # moto gives every policy of a group the same ARN id: name them by group and name.
        "group_scaling_policies": [
            f"{p['AutoScalingGroupName']}:{p['PolicyName']}"
            for p in _all(asg, "describe_policies", "ScalingPolicies")
        ],
    }


def _cognito(c) -> dict[str, list[str]]:
    pools = _all(c, "list_user_pools", "UserPools", MaxResults=60)
    return {
        "user_pools": [p["Id"] for p in pools],
        "user_pool_clients": [
            client["ClientId"]
            for pool in pools
            for client in _all(
                c, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool["Id"], MaxResults=60
            )
        ],
    }


def resources(url: str, region: str) -> dict[str, set[str]]:
    """Every resource of the kinds a VideoForge deployment makes, as ``{kind: {identifier}}``."""
    session = boto3.Session(region_name=region, **CREDENTIALS)

    def client(name: str):
        return session.client(name, endpoint_url=url)

    ec2, iam, cw = client("ec2"), client("iam"), client("cloudwatch")
    readers = {
        "sqs": lambda: {"queues": client("sqs").list_queues().get("QueueUrls", [])},
        "s3": lambda: {"buckets": [b["Name"] for b in client("s3").list_buckets()["Buckets"]]},
        "acm": lambda: {
            "certificates": [
                c["CertificateArn"]
                for c in _all(client("acm"), "list_certificates", "CertificateSummaryList")
            ]
        },
        "elbv2": lambda: _elbv2(client("elbv2")),
        "ecs": lambda: _ecs(client("ecs")),
        "scaling": lambda: _scaling(client("application-autoscaling"), client("autoscaling")),
        "ec2": lambda: {
            "security_groups": [
                g["GroupId"] for g in _all(ec2, "describe_security_groups", "SecurityGroups")
            ],
            "launch_templates": [
                t["LaunchTemplateName"] for t in _all(ec2, "describe_launch_templates", "LaunchTemplates")
            ],
        },
        "cloudwatch": lambda: {
            "alarms": [a["AlarmName"] for a in _all(cw, "describe_alarms", "MetricAlarms")]
            + [a["AlarmName"] for a in _all(cw, "describe_alarms", "CompositeAlarms")]
        },
        "logs": lambda: {
            "log_groups": [
                g["logGroupName"] for g in _all(client("logs"), "describe_log_groups", "logGroups")
            ]
        },
        "iam": lambda: {
            "roles": [r["RoleName"] for r in _all(iam, "list_roles", "Roles")],
            "instance_profiles": [
                p["InstanceProfileName"] for p in _all(iam, "list_instance_profiles", "InstanceProfiles")
            ],
            "customer_managed_policies": [
                p["PolicyName"] for p in _all(iam, "list_policies", "Policies", Scope="Local")
            ],
        },
        "cognito": lambda: _cognito(client("cognito-idp")),
        "ssm": lambda: {
            "ssm_parameters": [p["Name"] for p in _all(client("ssm"), "describe_parameters", "Parameters")]
        },
        "servicediscovery": lambda: {
            "discovery_namespaces": [
                n["Id"] for n in _all(client("servicediscovery"), "list_namespaces", "Namespaces")
            ],
            "discovery_services": [
                s["Id"] for s in _all(client("servicediscovery"), "list_services", "Services")
            ],
        },
        "ecr": lambda: {
            "ecr_repositories": [
                r["repositoryName"] for r in _all(client("ecr"), "describe_repositories", "repositories")
            ]
        },
        "sns": lambda: {"sns_topics": [t["TopicArn"] for t in _all(client("sns"), "list_topics", "Topics")]},
        "secretsmanager": lambda: {
            "secrets": [s["Name"] for s in _all(client("secretsmanager"), "list_secrets", "SecretList")]
        },
    }
    found: dict[str, set[str]] = {}
    for read in readers.values():
        found.update({kind: set(ids) for kind, ids in read().items()})
    return found


def managed(after: dict[str, set[str]], pristine: dict[str, set[str]]) -> dict[str, set[str]]:
    """What exists in ``after`` and not on a fresh endpoint; kinds with nothing left out."""
    out = {kind: ids - pristine.get(kind, set()) for kind, ids in after.items()}
    out = {kind: {i for i in ids if not i.startswith(AWS_OWNED.get(kind, "\0"))} for kind, ids in out.items()}
    return {kind: ids for kind, ids in out.items() if ids}
