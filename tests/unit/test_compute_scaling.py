"""Pure comparisons for auto scaling, launch templates, alarms and IAM roles, on the shapes AWS
returns (autoscaling DescribePolicies/DescribeAutoScalingGroups, application-autoscaling
DescribeScalingPolicies, ec2 DescribeLaunchTemplateVersions, cloudwatch DescribeAlarms, iam GetRole)."""

from __future__ import annotations

import copy

from ansible.module_utils.vf_autoscaling import (
    app_policy_changes,
    asg_changes,
    scalable_target_changes,
    scaling_policy_changes,
)
from ansible.module_utils.vf_cloudwatch import alarm_changes
from ansible.module_utils.vf_ec2 import encode_user_data, launch_template_data_changes
from ansible.module_utils.vf_iam import role_changes

BACKLOG = [
    {
        "Id": "visible",
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": "q"}],
            },
            "Stat": "Sum",
        },
    },
    {
        "Id": "instances",
        "ReturnData": False,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/AutoScaling",
                "MetricName": "GroupInServiceInstances",
                "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "asg"}],
            },
            "Stat": "Average",
        },
    },
    {
        "Id": "backlog",
        "Expression": "visible / IF(instances > 0, instances, 1)",
        "Label": "backlog",
        "ReturnData": True,
    },
]


def test_backlog_policy_as_described_is_unchanged_whatever_the_order():
    desired = {
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingConfiguration": {
            "TargetValue": 5,
            "CustomizedMetricSpecification": {"Metrics": BACKLOG},
            "DisableScaleIn": False,
        },
        "EstimatedInstanceWarmup": 300,
    }
    described = {
        "AutoScalingGroupName": "asg",
        "PolicyName": "backlog-per-instance",
        "PolicyARN": "arn:aws:autoscaling:ap-southeast-2:123456789012:scalingPolicy:1:"
        "autoScalingGroupName/asg:policyName/b",
        "PolicyType": "TargetTrackingScaling",
        "StepAdjustments": [],
        "EstimatedInstanceWarmup": 300,
        "Alarms": [{"AlarmName": "TargetTracking-asg-AlarmHigh-1", "AlarmARN": "arn:aws:cloudwatch:x"}],
        "TargetTrackingConfiguration": {
            # AWS returns the queries in its own order and numbers as floats
            "CustomizedMetricSpecification": {"Metrics": list(reversed(copy.deepcopy(BACKLOG)))},
            "TargetValue": 5.0,
            "DisableScaleIn": False,
        },
        "Enabled": True,
    }
    assert scaling_policy_changes(described, desired) == []
    changed = copy.deepcopy(desired)
    changed["TargetTrackingConfiguration"]["TargetValue"] = 10
    assert scaling_policy_changes(described, changed) == ["target_tracking"]
    assert scaling_policy_changes(None, desired) == ["create"]


def test_ecs_target_tracking_fills_the_default_cooldowns():
    described = [
        {
            "PolicyARN": "arn:aws:autoscaling:ap-southeast-2:123456789012:scalingPolicy:1:"
            "resource/ecs/service/c/s:policyName/cpu",
            "PolicyName": "cpu",
            "ServiceNamespace": "ecs",
            "ResourceId": "service/c/s",
            "ScalableDimension": "ecs:service:DesiredCount",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            },
            "Alarms": [],
            "CreationTime": "2026-11-28T10:00:00Z",
        },
        {"PolicyName": "stale", "PolicyType": "StepScaling"},
    ]
    desired = {
        "cpu": {
            "TargetValue": 70,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 300,
            "DisableScaleIn": False,
        },
        "requests": {
            "TargetValue": 1000,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": "app/alb/1/targetgroup/tg/2",
            },
        },
    }
    assert app_policy_changes(described, desired, purge=True) == (["requests"], ["stale"])
    assert app_policy_changes(described, desired, purge=False) == (["requests"], [])


def test_scalable_target_bounds():
    current = {"MinCapacity": 1, "MaxCapacity": 3}
    assert scalable_target_changes(current, {"min_capacity": 1, "max_capacity": 3}) == []
    assert scalable_target_changes(current, {"min_capacity": 1, "max_capacity": 4}) == ["max_capacity"]


GROUP = {
    "AutoScalingGroupName": "proc",
    "LaunchTemplate": {"LaunchTemplateId": "lt-1", "LaunchTemplateName": "proc", "Version": "3"},
    "MinSize": 0,
    "MaxSize": 3,
    "DesiredCapacity": 2,
    "DefaultCooldown": 300,
    "AvailabilityZones": ["ap-southeast-2a"],
    "HealthCheckType": "EC2",
    "HealthCheckGracePeriod": 300,
    "Instances": [],
    "VPCZoneIdentifier": "subnet-b,subnet-a",
    "EnabledMetrics": [{"Metric": "GroupInServiceInstances", "Granularity": "1Minute"}],
    "Tags": [
        {
            "ResourceId": "proc",
            "ResourceType": "auto-scaling-group",
            "Key": "Project",
            "Value": "VF",
            "PropagateAtLaunch": True,
        }
    ],
}
WANT = {
    "min_size": 0,
    "max_size": 3,
    "desired_capacity": 1,
    "preserve_desired_capacity": True,
    "launch_template": {"name": "proc", "version": "3"},
    "subnets": ["subnet-a", "subnet-b"],
    "health_check_type": "EC2",
    "health_check_grace_period": 300,
    "default_instance_warmup": None,
    "metrics": ["GroupInServiceInstances"],
    "tags": {"Project": "VF"},
    "purge_tags": True,
}


def test_group_as_declared_keeps_the_scaled_desired_capacity():
    assert asg_changes(GROUP, WANT) == []
    assert asg_changes(GROUP, {**WANT, "preserve_desired_capacity": False}) == ["desired_capacity"]


def test_new_launch_template_version_is_a_change():
    assert asg_changes(GROUP, {**WANT, "launch_template": {"name": "proc", "version": "4"}}) == [
        "launch_template"
    ]


def test_default_instance_warmup_only_when_declared():
    assert asg_changes(GROUP, {**WANT, "default_instance_warmup": 120}) == ["default_instance_warmup"]
    assert (
        asg_changes({**GROUP, "DefaultInstanceWarmup": 120}, {**WANT, "default_instance_warmup": 120}) == []
    )


def test_launch_template_data_compares_decoded_user_data_and_declared_metadata_only():
    desired = {
        "ImageId": "ami-1",
        "InstanceType": "t3.medium",
        "UserData": encode_user_data("#!/bin/bash\necho hi\n"),
        "IamInstanceProfile": {"Name": "proc"},
        "SecurityGroupIds": ["sg-2", "sg-1"],
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
    }
    described = {
        "ImageId": "ami-1",
        "InstanceType": "t3.medium",
        "UserData": encode_user_data("#!/bin/bash\necho hi\n"),
        "IamInstanceProfile": {"Name": "proc"},
        "SecurityGroupIds": ["sg-1", "sg-2"],
        "MetadataOptions": {
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 2,
            "HttpEndpoint": "enabled",
            "HttpProtocolIpv6": "disabled",
            "InstanceMetadataTags": "disabled",
        },
    }
    assert launch_template_data_changes(described, desired) == []
    newer = {**desired, "UserData": encode_user_data("#!/bin/bash\necho bye\n"), "ImageId": "ami-2"}
    assert launch_template_data_changes(described, newer) == ["ImageId", "UserData"]


ALARM = {
    "AlarmName": "proc-backlog-high",
    "AlarmArn": "arn:aws:cloudwatch:ap-southeast-2:123456789012:alarm:proc-backlog-high",
    "AlarmDescription": "backlog",
    "ActionsEnabled": True,
    "OKActions": [],
    "AlarmActions": [],
    "InsufficientDataActions": [],
    "StateValue": "INSUFFICIENT_DATA",
    "EvaluationPeriods": 3,
    "DatapointsToAlarm": 3,
    "Threshold": 15.0,
    "ComparisonOperator": "GreaterThanThreshold",
    "TreatMissingData": "notBreaching",
    "Metrics": [
        {
            "Id": "visible",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SQS",
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Dimensions": [{"Name": "QueueName", "Value": "q"}],
                },
                "Period": 300,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {"Id": "backlog", "Expression": "visible  / 2", "Label": "x", "ReturnData": True},
    ],
}


def test_metric_math_alarm_as_described_is_unchanged():
    desired = {
        "AlarmName": "proc-backlog-high",
        "AlarmDescription": "backlog",
        "ActionsEnabled": True,
        "AlarmActions": [],
        "OKActions": [],
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 15,
        "EvaluationPeriods": 3,
        "TreatMissingData": "notBreaching",
        "Metrics": [
            {"Id": "backlog", "Expression": "visible / 2", "Label": "x"},
            {
                "Id": "visible",
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": "ApproximateNumberOfMessagesVisible",
                        "Dimensions": [{"Name": "QueueName", "Value": "q"}],
                    },
                    "Stat": "Sum",
                    "Period": 300,
                },
            },
        ],
    }
    assert alarm_changes(ALARM, desired) == []
    assert alarm_changes(ALARM, {**desired, "Threshold": 20}) == ["Threshold"]
    assert alarm_changes(None, desired) == ["create"]


def test_single_metric_alarm_dimension_and_action_order():
    described = {
        "AlarmName": "depth",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Namespace": "AWS/SQS",
        "Statistic": "Average",
        "Dimensions": [{"Name": "QueueName", "Value": "q"}],
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmActions": ["arn:b", "arn:a"],
        "ActionsEnabled": True,
    }
    desired = {**described, "AlarmActions": ["arn:a", "arn:b"], "Threshold": 5, "TreatMissingData": "missing"}
    assert alarm_changes(described, desired) == []


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": ["arn:aws:s3:::b/hls/*", "arn:aws:s3:::b/thumbnails/*"],
        }
    ],
}


def test_role_policies_compare_canonically():
    # GetRole returns the trust policy URL-decoded as a dict, single actions as lists or strings.
    current = {
        "RoleName": "r",
        "Arn": "arn:aws:iam::123456789012:role/r",
        "AssumeRolePolicyDocument": {
            "Statement": [
                {
                    "Action": ["sts:AssumeRole"],
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Effect": "Allow",
                }
            ],
            "Version": "2012-10-17",
        },
        "MaxSessionDuration": 3600,
        "InlinePolicies": {
            "access": {
                "Statement": [
                    {**POLICY["Statement"][0], "Resource": list(reversed(POLICY["Statement"][0]["Resource"]))}
                ],
                "Version": "2012-10-17",
            }
        },
        "AttachedPolicyArns": [],
        "TagDict": {},
        "InstanceProfile": None,
    }
    desired = {
        "assume_role_policy": TRUST,
        "inline_policies": {"access": POLICY},
        "description": "",
        "tags": {},
    }
    assert role_changes(current, desired) == []
    widened = copy.deepcopy(POLICY)
    widened["Statement"][0]["Resource"] = ["arn:aws:s3:::b/*"]
    assert role_changes(current, {**desired, "inline_policies": {"access": widened}}) == [
        "inline_policies.access"
    ]
    assert role_changes(current, {**desired, "instance_profile": True}) == ["instance_profile"]
