"""An HTTPS listener right after its certificate was issued: ELB answers
CertificateNotFound (or UnsupportedCertificate) until the certificate has reached it. The module
waits that out instead of failing the first deployment."""

from __future__ import annotations

import boto3
import pytest
from ansible.module_utils import vf_aws
from ansible.module_utils.vf_elbv2_aws import apply_listeners
from botocore.stub import Stubber

ELB = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012"
LB = f"{ELB}:loadbalancer/app/video-forge-alb/50dc6c495c0c9188"
LISTENER = LB.replace(":loadbalancer/", ":listener/") + "/f2f7dc8efc522ab2"
CERT = "arn:aws:acm:ap-southeast-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"
TG = f"{ELB}:targetgroup/video-forge-client-tg/73e2d6bc24d8a067"
HTTPS = {
    "port": 443,
    "protocol": "HTTPS",
    "certificate_arn": CERT,
    "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "action": {"type": "forward", "target_group_arn": TG},
}
CREATED = {"Listeners": [{"ListenerArn": LISTENER, "Port": 443, "Protocol": "HTTPS"}]}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(vf_aws.time, "sleep", lambda _s: None)


@pytest.fixture
def elb():
    client = boto3.session.Session().client(
        "elbv2", region_name="ap-southeast-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["CertificateNotFound", "UnsupportedCertificate"])
def test_a_certificate_not_yet_usable_is_waited_for(elb, code):
    client, stub = elb
    for _ in range(3):
        stub.add_client_error("create_listener", code, f"Certificate '{CERT}' not found", 400)
    stub.add_response("create_listener", CREATED)
    steps = {"stale": {}, "listeners": {443: (["create"], HTTPS)}}
    listeners = apply_listeners(vf_aws.AwsClient(client, retries=1), LB, {}, steps)
    assert listeners == {"443": LISTENER}


def test_a_certificate_that_never_arrives_fails_in_the_end(elb, monkeypatch):
    client, stub = elb
    clock = iter(range(0, 100000, 30))
    monkeypatch.setattr(vf_aws.time, "monotonic", lambda: next(clock))
    for _ in range(40):
        stub.add_client_error("create_listener", "CertificateNotFound", "not found", 400)
    steps = {"stale": {}, "listeners": {443: (["create"], HTTPS)}}
    with pytest.raises(vf_aws.AwsError) as failed:
        apply_listeners(vf_aws.AwsClient(client, retries=1), LB, {}, steps)
    assert failed.value.code == "CertificateNotFound"
    stub._queue.clear()  # what was left unasked: it gave up in time
