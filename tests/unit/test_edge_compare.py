"""The edge's comparison functions on response shapes from the AWS API reference (ELBv2, EC2).

AWS returns rule priorities as strings, the default rule as "default", conditions with both the
legacy ``Values`` and the ``*Config`` blocks, forward actions with both ``TargetGroupArn`` and
``ForwardConfig``, and rules in priority order (moto: creation order). These tests use those shapes.
"""

from __future__ import annotations

import pytest
from ansible.module_utils.vf_ec2 import aws_permissions, desired_permissions, permissions_of
from ansible.module_utils.vf_elbv2 import (
    action_of,
    arn_suffix,
    aws_actions,
    desired_action,
    desired_health_check,
    desired_listener,
    desired_target_group_attributes,
    listener_changes,
    listener_of,
    load_balancer_changes,
    target_group_attributes_of,
    target_group_changes,
)
from ansible.module_utils.vf_elbv2_rules import (
    aws_conditions,
    conditions_of,
    desired_conditions,
    priority_moves,
    rule_priorities,
    rules_by_name,
    rules_plan,
)

ELB = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012"
LB = f"{ELB}:loadbalancer/app/video-forge-alb/50dc6c495c0c9188"
LISTENER = f"{ELB}:listener/app/video-forge-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
TG_GALLERY = f"{ELB}:targetgroup/video-forge-gallery-tg/73e2d6bc24d8a067"
TG_STREAM = f"{ELB}:targetgroup/video-forge-streaming-tg/2453ed029918f21f"
TGS = {"gallery": TG_GALLERY, "streaming": TG_STREAM}


def rule_arn(suffix: str) -> str:
    return LISTENER.replace(":listener/", ":listener-rule/") + "/" + suffix


def aws_rule(suffix: str, priority: str, path: str, target: str) -> dict:
    """A rule as DescribeRules returns it (both condition forms, both forward forms)."""
    return {
        "RuleArn": rule_arn(suffix),
        "Priority": priority,
        "Conditions": [{"Field": "path-pattern", "Values": [path], "PathPatternConfig": {"Values": [path]}}],
        "Actions": [
            {
                "Type": "forward",
                "TargetGroupArn": target,
                "Order": 1,
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": target, "Weight": 1}],
                    "TargetGroupStickinessConfig": {"Enabled": False},
                },
            }
        ],
        "IsDefault": False,
    }


DEFAULT_RULE = {
    "RuleArn": rule_arn("default0000000000"),
    "Priority": "default",
    "Conditions": [],
    "Actions": [{"Type": "forward", "TargetGroupArn": TG_GALLERY, "Order": 1}],
    "IsDefault": True,
}

CATALOG = {
    "gallery-api": {"path_patterns": ["/api/gallery/*"], "forward_to": "gallery"},
    "streaming-api": {"path_patterns": ["/api/stream/*"], "forward_to": "streaming"},
}


def desired_rules(declared: dict) -> dict:
    priorities = rule_priorities(list(declared))
    return {
        name: {
            "priority": priorities[name],
            "conditions": desired_conditions(rule),
            "action": desired_action(rule, TGS.__getitem__),
        }
        for name, rule in declared.items()
    }


def described(*rules: dict) -> tuple[list, dict]:
    tags = {r["RuleArn"]: {"videoforge:rule": name} for name, r in rules}
    return [DEFAULT_RULE, *[r for _, r in rules]], tags


def test_rules_are_identified_by_name_tag_not_priority_or_order():
    # Creation order (moto) differs from priority order (AWS); neither matters.
    rules, tags = described(
        ("streaming-api", aws_rule("b", "20", "/api/stream/*", TG_STREAM)),
        ("gallery-api", aws_rule("a", "10", "/api/gallery/*", TG_GALLERY)),
    )
    current, unnamed = rules_by_name(rules, tags)
    assert list(current) == ["gallery-api", "streaming-api"]
    assert unnamed == []
    plan = rules_plan(current, unnamed, desired_rules(CATALOG), purge=False)
    assert plan == {
        "create": [],
        "modify": {},
        "reprioritise": {},
        "delete": [],
        "kept_undeclared": [],
        "conflicts": [],
    }


def test_inserting_a_rule_creates_it_and_only_moves_the_others():
    rules, tags = described(
        ("gallery-api", aws_rule("a", "10", "/api/gallery/*", TG_GALLERY)),
        ("streaming-api", aws_rule("b", "20", "/api/stream/*", TG_STREAM)),
    )
    current, unnamed = rules_by_name(rules, tags)
    declared = {
        "gallery-api": CATALOG["gallery-api"],
        "uploads-api": {"path_patterns": ["/api/uploads/*"], "forward_to": "gallery"},
        "streaming-api": CATALOG["streaming-api"],
    }
    plan = rules_plan(current, unnamed, desired_rules(declared), purge=False)
    assert plan["create"] == ["uploads-api"]
    assert plan["modify"] == {}
    assert plan["reprioritise"] == {"streaming-api": (20, 30)}
    assert plan["delete"] == []


def test_changed_path_is_a_modification_in_place():
    rules, tags = described(
        ("gallery-api", aws_rule("a", "10", "/hacked/*", TG_GALLERY)),
        ("streaming-api", aws_rule("b", "20", "/api/stream/*", TG_STREAM)),
    )
    current, unnamed = rules_by_name(rules, tags)
    plan = rules_plan(current, unnamed, desired_rules(CATALOG), purge=False)
    assert plan["modify"] == {"gallery-api": ["conditions"]}
    assert plan["create"] == [] and plan["reprioritise"] == {}


def test_changed_target_is_a_modification_of_the_action():
    rules, tags = described(
        ("gallery-api", aws_rule("a", "10", "/api/gallery/*", TG_STREAM)),
        ("streaming-api", aws_rule("b", "20", "/api/stream/*", TG_STREAM)),
    )
    current, unnamed = rules_by_name(rules, tags)
    assert rules_plan(current, unnamed, desired_rules(CATALOG), purge=False)["modify"] == {
        "gallery-api": ["action"]
    }


def test_undeclared_rules_are_kept_unless_purged():
    hand_made = aws_rule("c", "40", "/legacy/*", TG_GALLERY)
    rules, tags = described(
        ("gallery-api", aws_rule("a", "10", "/api/gallery/*", TG_GALLERY)),
        ("streaming-api", aws_rule("b", "20", "/api/stream/*", TG_STREAM)),
    )
    rules.append(hand_made)  # no name tag: someone added it in the console
    current, unnamed = rules_by_name(rules, tags)
    kept = rules_plan(current, unnamed, desired_rules(CATALOG), purge=False)
    assert kept["delete"] == [] and kept["kept_undeclared"] == [hand_made["RuleArn"]]
    purged = rules_plan(current, unnamed, desired_rules(CATALOG), purge=True)
    assert [r["arn"] for r in purged["delete"]] == [hand_made["RuleArn"]]


def test_kept_rule_holding_a_wanted_priority_is_a_conflict_naming_both():
    rules, tags = described(
        ("gallery-api", aws_rule("a", "10", "/api/gallery/*", TG_GALLERY)),
        ("old-api", aws_rule("c", "20", "/old/*", TG_GALLERY)),
        ("streaming-api", aws_rule("b", "30", "/api/stream/*", TG_STREAM)),
    )
    current, unnamed = rules_by_name(rules, tags)
    plan = rules_plan(current, unnamed, desired_rules(CATALOG), purge=False)
    assert len(plan["conflicts"]) == 1
    assert "priority 20" in plan["conflicts"][0]
    assert "streaming-api" in plan["conflicts"][0] and "old-api" in plan["conflicts"][0]
    assert rules_plan(current, unnamed, desired_rules(CATALOG), purge=True)["conflicts"] == []


def test_conditions_in_any_order_and_either_form_are_equal():
    aws = [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["b.example.com", "a.example.com"]}},
        {"Field": "path-pattern", "Values": ["/b/*", "/a/*"]},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["on"]}},
    ]
    declared = {
        "path_patterns": ["/a/*", "/b/*"],
        "host_headers": ["a.example.com", "b.example.com"],
        "http_headers": {"x-canary": "on"},
    }
    assert conditions_of(aws) == desired_conditions(declared)
    assert conditions_of(aws_conditions(desired_conditions(declared))) == desired_conditions(declared)


def test_redirect_defaults_are_filled_like_aws():
    listener_80 = [
        {
            "Type": "redirect",
            "Order": 1,
            "RedirectConfig": {
                "Protocol": "HTTPS",
                "Port": "443",
                "Host": "#{host}",
                "Path": "/#{path}",
                "Query": "#{query}",
                "StatusCode": "HTTP_301",
            },
        }
    ]
    declared = desired_action({"redirect": {"protocol": "HTTPS", "port": 443, "status_code": 301}}, TGS.get)
    assert action_of(listener_80) == declared
    assert action_of(aws_actions(declared)) == declared


def test_fixed_response_compares_status_as_string():
    aws = [
        {
            "Type": "fixed-response",
            "Order": 1,
            "FixedResponseConfig": {
                "MessageBody": "back soon",
                "StatusCode": "503",
                "ContentType": "text/plain",
            },
        }
    ]
    declared = desired_action({"fixed_response": {"status_code": 503, "message_body": "back soon"}}, TGS.get)
    assert action_of(aws) == declared


def test_action_needs_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one"):
        desired_action({"forward_to": "gallery", "redirect": {"port": 443}}, TGS.get)


def test_priority_moves_never_collide():
    # Insert at the front: every rule shifts up; the highest moves first.
    moves = priority_moves({"a": 10, "b": 20, "c": 30}, {"a": 20, "b": 30, "c": 40}, held=[])
    assert moves == [("c", 40), ("b", 30), ("a", 20)]
    # A swap goes through a free priority, and the result is what was asked.
    moves = priority_moves({"a": 10, "b": 20}, {"a": 20, "b": 10}, held=[])
    position = {"a": 10, "b": 20}
    for key, priority in moves:
        assert priority not in position.values()
        position[key] = priority
    assert position == {"a": 20, "b": 10}
    # A priority held by a rule that stays is never used as a stepping stone.
    moves = priority_moves({"a": 10, "b": 20}, {"a": 20, "b": 10}, held=[50000])
    assert all(p != 50000 for _, p in moves)


def test_target_group_from_describe_matches_its_declaration():
    described_tg = {
        "TargetGroupArn": TG_GALLERY,
        "TargetGroupName": "video-forge-gallery-tg",
        "Protocol": "HTTP",
        "Port": 3000,
        "VpcId": "vpc-3ac0fb5f",
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
        "HealthCheckPath": "/health",
        "Matcher": {"HttpCode": "200"},
        "LoadBalancerArns": [LB],
        "TargetType": "ip",
        "ProtocolVersion": "HTTP1",
        "IpAddressType": "ipv4",
    }
    attributes = target_group_attributes_of(
        [
            {"Key": "stickiness.enabled", "Value": "false"},
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
            {"Key": "stickiness.type", "Value": "lb_cookie"},
            {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "86400"},
            {"Key": "slow_start.duration_seconds", "Value": "0"},
            {"Key": "load_balancing.algorithm.type", "Value": "round_robin"},
        ]
    )
    desired = {
        "protocol": "HTTP",
        "port": 3000,
        "vpc_id": "vpc-3ac0fb5f",
        "target_type": "ip",
        "health_check": {
            "path": "/health",
            "healthy_threshold": "2",
            "unhealthy_threshold": 3,
            "matcher": 200,
        },
        "attributes": desired_target_group_attributes(30, 0, None),
    }
    assert target_group_changes(described_tg, attributes, desired) == {}
    drifted = {**described_tg, "HealthCheckPath": "/broken"}
    assert target_group_changes(drifted, attributes, desired) == {"health_check": {"path": "/health"}}
    moved = {**described_tg, "Port": 3001}
    assert target_group_changes(moved, attributes, desired)["immutable"] == ["port"]
    slower = {**desired, "attributes": desired_target_group_attributes(300, 0, None)}
    assert target_group_changes(described_tg, attributes, slower) == {
        "attributes": {"deregistration_delay.timeout_seconds": "300"}
    }
    assert desired_health_check(None)["port"] == "traffic-port"


def test_listener_from_describe_matches_its_declaration():
    https = {
        "ListenerArn": LISTENER,
        "LoadBalancerArn": LB,
        "Port": 443,
        "Protocol": "HTTPS",
        "Certificates": [{"CertificateArn": "arn:aws:acm:ap-southeast-2:123456789012:certificate/abc"}],
        "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "DefaultActions": [
            {
                "Type": "forward",
                "TargetGroupArn": TG_GALLERY,
                "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_GALLERY, "Weight": 1}]},
            }
        ],
    }
    want = desired_listener(
        {
            "port": 443,
            "certificate_arn": "arn:aws:acm:ap-southeast-2:123456789012:certificate/abc",
            "default_action": {"forward_to": "gallery"},
        },
        TGS.__getitem__,
    )
    assert listener_changes(listener_of(https), want) == []
    other_cert = {**want, "certificate_arn": "arn:aws:acm:ap-southeast-2:123456789012:certificate/new"}
    assert listener_changes(listener_of(https), other_cert) == ["certificate_arn"]
    assert listener_changes(None, want) == ["create"]


def test_load_balancer_subnets_and_groups_compare_as_sets():
    described_lb = {
        "LoadBalancerArn": LB,
        "Scheme": "internet-facing",
        "AvailabilityZones": [
            {"ZoneName": "ap-southeast-2b", "SubnetId": "subnet-b", "LoadBalancerAddresses": []},
            {"ZoneName": "ap-southeast-2a", "SubnetId": "subnet-a", "LoadBalancerAddresses": []},
        ],
        "SecurityGroups": ["sg-1"],
    }
    same = {"scheme": "internet-facing", "subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"]}
    assert load_balancer_changes(described_lb, same) == {}
    assert load_balancer_changes(described_lb, {**same, "security_groups": ["sg-2"]}) == {
        "security_groups": ["sg-2"]
    }
    assert load_balancer_changes(described_lb, {**same, "scheme": "internal"}) == {"immutable": ["scheme"]}


def test_arn_suffixes_are_the_cloudwatch_dimensions():
    assert arn_suffix(LB) == "app/video-forge-alb/50dc6c495c0c9188"
    assert arn_suffix(TG_GALLERY) == "targetgroup/video-forge-gallery-tg/73e2d6bc24d8a067"
    assert arn_suffix("") == ""


def test_security_group_rules_compare_per_source():
    described_sg = [
        {
            "IpProtocol": "tcp",
            "FromPort": 3000,
            "ToPort": 3000,
            "IpRanges": [],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [
                {"GroupId": "sg-alb", "UserId": "123456789012", "Description": "From the ALB"}
            ],
        },
        {
            "IpProtocol": "tcp",
            "FromPort": 4000,
            "ToPort": 4000,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "UserIdGroupPairs": [],
        },
    ]
    declared = desired_permissions(
        [
            {
                "protocol": "tcp",
                "ports": [3000, 4000],
                "source_group": "video-forge-alb-sg",
                "description": "From the ALB",
            }
        ],
        {"video-forge-alb-sg": "sg-alb"}.__getitem__,
    )
    have = permissions_of(described_sg)
    assert declared - have == {("tcp", 4000, 4000, "group", "sg-alb", "From the ALB")}
    assert have - declared == {("tcp", 4000, 4000, "cidr", "0.0.0.0/0", "")}
    assert permissions_of(aws_permissions(declared)) == declared
    everything = permissions_of([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert everything == desired_permissions([{"protocol": "all", "cidr": "0.0.0.0/0"}], str)


def test_cloudfronts_prefix_list_by_name_is_the_load_balancers_only_source():
    from ansible.module_utils.vf_ec2 import group_resolver, prefix_list_names

    name = "com.amazonaws.global.cloudfront.origin-facing"
    rules = [{"protocol": "tcp", "port": 443, "prefix_list": name, "description": "HTTPS from CloudFront"}]
    assert prefix_list_names(rules) == [name]
    resolve = group_resolver("video-forge-dev-alb-sg", "sg-alb", {name: "pl-3b927c52"})
    declared = desired_permissions(rules, resolve)
    assert declared == {("tcp", 443, 443, "prefix", "pl-3b927c52", "HTTPS from CloudFront")}
    # As describe_security_groups answers it once authorised: nothing left to change.
    described = [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "IpRanges": [],
            "Ipv6Ranges": [],
            "PrefixListIds": [{"PrefixListId": "pl-3b927c52", "Description": "HTTPS from CloudFront"}],
            "UserIdGroupPairs": [],
        }
    ]
    assert permissions_of(described) == declared
    assert aws_permissions(declared)[0]["PrefixListIds"] == [
        {"PrefixListId": "pl-3b927c52", "Description": "HTTPS from CloudFront"}
    ]
