"""The edge modules' plans (read -> plan -> apply: the pure middle) on AWS API reference shapes.

Each test gives a plan what ``read`` would have found (DescribeLoadBalancers, DescribeListeners,
DescribeTags responses) and the module's parameters, and checks what it would change and show.
"""

from __future__ import annotations

import pytest
from ansible.module_utils.vf_elbv2 import load_balancer_plan
from ansible.module_utils.vf_module import ReconcileError

ELB = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012"
LB = f"{ELB}:loadbalancer/app/video-forge-alb/50dc6c495c0c9188"
HTTPS = f"{ELB}:listener/app/video-forge-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
HTTP = f"{ELB}:listener/app/video-forge-alb/50dc6c495c0c9188/0467ef3c8400ae65"
TG_CLIENT = f"{ELB}:targetgroup/video-forge-client-tg/73e2d6bc24d8a067"
CERT = "arn:aws:acm:ap-southeast-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"
POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

DESCRIBED_LB = {
    "LoadBalancerArn": LB,
    "DNSName": "video-forge-alb-1234567890.ap-southeast-2.elb.amazonaws.com",
    "CanonicalHostedZoneId": "Z1GM3OXH4ZPM65",
    "LoadBalancerName": "video-forge-alb",
    "Scheme": "internet-facing",
    "VpcId": "vpc-3ac0fb5f",
    "State": {"Code": "active"},
    "Type": "application",
    "AvailabilityZones": [
        {"ZoneName": "ap-southeast-2a", "SubnetId": "subnet-8360a9e7"},
        {"ZoneName": "ap-southeast-2b", "SubnetId": "subnet-b7d581c0"},
    ],
    "SecurityGroups": ["sg-5943793c"],
    "IpAddressType": "ipv4",
}
DESCRIBED_LISTENERS = {
    443: {
        "ListenerArn": HTTPS,
        "LoadBalancerArn": LB,
        "Port": 443,
        "Protocol": "HTTPS",
        "Certificates": [{"CertificateArn": CERT}],
        "SslPolicy": POLICY,
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_CLIENT}],
    },
    80: {
        "ListenerArn": HTTP,
        "LoadBalancerArn": LB,
        "Port": 80,
        "Protocol": "HTTP",
        "DefaultActions": [
            {
                "Type": "redirect",
                "RedirectConfig": {
                    "Protocol": "HTTPS",
                    "Port": "443",
                    "Host": "#{host}",
                    "Path": "/#{path}",
                    "Query": "#{query}",
                    "StatusCode": "HTTP_301",
                },
            }
        ],
    },
}


def params(**overrides) -> dict:
    p = {
        "name": "video-forge-alb",
        "scheme": "internet-facing",
        "subnets": ["subnet-b7d581c0", "subnet-8360a9e7"],
        "security_groups": ["sg-5943793c"],
        "listeners": [
            {
                "port": 443,
                "protocol": "HTTPS",
                "certificate_arn": CERT,
                "ssl_policy": POLICY,
                "default_action": {"forward_to": "video-forge-client-tg"},
            },
            {
                "port": 80,
                "protocol": "HTTP",
                "default_action": {"redirect": {"protocol": "HTTPS", "port": 443}},
            },
        ],
        "purge_listeners": True,
        "state": "present",
        "tags": {"Project": "VideoForge"},
        "purge_tags": True,
    }
    return {**p, **overrides}


def current(**overrides) -> dict:
    found = {
        "load_balancer": DESCRIBED_LB,
        "listeners": DESCRIBED_LISTENERS,
        "tags": {"Project": "VideoForge"},
        "target_groups": {"video-forge-client-tg": TG_CLIENT},
    }
    return {**found, **overrides}


def test_a_converged_load_balancer_plans_nothing_and_returns_its_outputs():
    plan = load_balancer_plan(current(), params(), check_mode=False)
    assert plan.changes == []
    report = plan.report()
    assert report["changed"] is False and "diff" not in report
    assert report["arn_suffix"] == "app/video-forge-alb/50dc6c495c0c9188"
    assert report["listeners"] == {"443": HTTPS, "80": HTTP}
    assert report["canonical_hosted_zone_id"] == "Z1GM3OXH4ZPM65"


def test_a_new_certificate_modifies_the_https_listener_only():
    renewed = CERT.replace("123456789012", "999999999999", 1)
    listeners = params()["listeners"]
    listeners[0] = {**listeners[0], "certificate_arn": renewed}
    plan = load_balancer_plan(current(), params(listeners=listeners), check_mode=False)
    assert plan.changes == ["listener 443 certificate_arn"]
    assert plan.before["listeners"]["443"]["certificate_arn"] == CERT
    assert plan.after["listeners"]["443"]["certificate_arn"] == renewed
    assert list(plan.steps["listeners"]) == [443]


def test_an_undeclared_listener_is_deleted_only_with_purge():
    only_https = params()["listeners"][:1]
    purged = load_balancer_plan(current(), params(listeners=only_https), check_mode=False)
    assert purged.changes == ["delete listener 80"]
    assert purged.steps["stale"] == {80: HTTP}
    kept = load_balancer_plan(current(), params(listeners=only_https, purge_listeners=False), False)
    assert kept.changes == []


def test_a_missing_load_balancer_is_created_and_absent_deletes_it():
    fresh = load_balancer_plan(current(load_balancer=None, listeners={}, tags={}), params(), False)
    assert fresh.changes == ["create", "create listener 443", "create listener 80"]
    assert fresh.before == {} and fresh.result["load_balancer_arn"] == ""
    gone = load_balancer_plan(current(), params(state="absent"), False)
    assert gone.changes == ["delete"]
    call = gone.steps["call"]
    assert (call.service, call.operation, call.params) == (
        "elbv2",
        "delete_load_balancer",
        {"LoadBalancerArn": LB},
    )
    nothing = load_balancer_plan(current(load_balancer=None, listeners={}), params(state="absent"), False)
    assert nothing.changes == []


def test_forwarding_to_a_missing_target_group_fails_naming_it():
    with pytest.raises(ReconcileError, match="target group video-forge-client-tg, which does not exist"):
        load_balancer_plan(current(target_groups={"video-forge-client-tg": None}), params(), False)


def test_check_mode_accepts_what_earlier_tasks_would_create():
    listeners = params()["listeners"]
    listeners[0] = {**listeners[0], "certificate_arn": "", "default_action": {"forward_to": ""}}
    empty = current(load_balancer=None, listeners={}, tags={}, target_groups={})
    plan = load_balancer_plan(empty, params(listeners=listeners, security_groups=[""]), check_mode=True)
    assert plan.changes[0] == "create"
    with pytest.raises(ReconcileError, match="security group id is empty"):
        load_balancer_plan(empty, params(listeners=listeners, security_groups=[""]), check_mode=False)


def test_the_scheme_cannot_change_in_place():
    with pytest.raises(ReconcileError, match="different scheme"):
        load_balancer_plan(current(), params(scheme="internal"), False)


def test_tags_are_reconciled_with_purge():
    plan = load_balancer_plan(current(tags={"Project": "VideoForge", "Owner": "x"}), params(), False)
    assert plan.changes == ["tags"]
    assert plan.steps["tags"]["remove"] == ["Owner"]
    assert plan.after["tags"] == {"Project": "VideoForge"}
