"""The hostile mode's answers are what AWS sends: botocore reads them as the real errors and pages."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.parsers import create_parser

from twin.emulator import faults, paging

SESSION = botocore.session.get_session()


def parse(service: str, operation: str, status: int, headers: list, body: bytes) -> dict:
    model = SESSION.get_service_model(service)
    parser = create_parser(faults.protocol_of(model))
    response = {"status_code": status, "headers": dict(headers), "body": body}
    return parser.parse(response, model.operation_model(operation).output_shape)


def answer(service: str, fault: str) -> tuple[int, list, bytes]:
    model = SESSION.get_service_model(service)
    seen: list = []
    body = faults.respond(
        lambda line, headers: seen.append((line, headers)), model, *faults.fault_answer(model, fault)
    )
    return int(seen[0][0].split()[0]), seen[0][1], b"".join(body)


@pytest.mark.parametrize(
    ("service", "operation", "code", "status"),
    [
        ("ecs", "DescribeServices", "ThrottlingException", 400),
        ("ssm", "DescribeParameters", "ThrottlingException", 400),
        ("elbv2", "DescribeRules", "Throttling", 400),
        ("autoscaling", "DescribeAutoScalingGroups", "Throttling", 400),
        ("ec2", "DescribeSubnets", "RequestLimitExceeded", 503),
        ("cognito-idp", "ListUserPools", "TooManyRequestsException", 400),
        ("s3", "ListObjectsV2", "SlowDown", 503),
        ("cloudwatch", "DescribeAlarms", "ThrottlingException", 400),
    ],
)
def test_throttles_read_as_each_services_own_throttling_error(service, operation, code, status):
    got_status, headers, body = answer(service, "throttle")
    parsed = parse(service, operation, got_status, headers, body)
    assert (got_status, parsed["Error"]["Code"]) == (status, code)


@pytest.mark.parametrize("service", ["ecs", "elbv2", "ec2", "s3"])
def test_server_errors_are_5xx_that_botocore_retries(service):
    for fault in ("500", "503"):
        status, headers, body = answer(service, fault)
        assert status == int(fault)
        assert parse(
            service,
            "ListServices"
            if service == "ecs"
            else {"elbv2": "DescribeRules", "ec2": "DescribeSubnets", "s3": "ListObjectsV2"}[service],
            status,
            headers,
            body,
        )["Error"]["Code"]


def test_a_json_answer_moto_did_not_page_is_cut_to_one_item_with_a_token_per_page():
    model = SESSION.get_service_model("ssm")
    pages = paging.pagination(SESSION, model, "DescribeParameters")
    full = json.dumps({"Parameters": [{"Name": "/a"}, {"Name": "/b"}, {"Name": "/c"}]}).encode()
    names, offset = [], 0
    while True:
        cut, was_cut = paging.cut_to_one("json", pages, full, offset)
        document = json.loads(cut)
        assert was_cut and len(document["Parameters"]) == 1
        names.append(document["Parameters"][0]["Name"])
        if "NextToken" not in document:
            break
        offset = int(document["NextToken"].removeprefix(paging.TOKEN))
    assert names == ["/a", "/b", "/c"]
    paged_by_moto = json.dumps({"Parameters": [{"Name": "/a"}], "NextToken": "moto"}).encode()
    assert paging.cut_to_one("json", pages, paged_by_moto, 0) == (paged_by_moto, False)


def test_an_xml_answer_is_cut_and_botocore_reads_the_token_in_the_apis_own_field():
    model = SESSION.get_service_model("elbv2")
    pages = paging.pagination(SESSION, model, "DescribeRules")
    ns = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
    rules = "".join(
        f"<member><RuleArn>arn:rule/{i}</RuleArn><Priority>{i}</Priority></member>" for i in (1, 2)
    )
    full = (
        f'<DescribeRulesResponse xmlns="{ns}"><DescribeRulesResult><Rules>{rules}</Rules>'
        "</DescribeRulesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeRulesResponse>"
    ).encode()
    cut, was_cut = paging.cut_to_one("query", pages, full, 0)
    first = parse("elbv2", "DescribeRules", 200, [], cut)
    assert was_cut and [r["RuleArn"] for r in first["Rules"]] == ["arn:rule/1"]
    assert first["NextMarker"] == f"{paging.TOKEN}1"
    last = parse("elbv2", "DescribeRules", 200, [], paging.cut_to_one("query", pages, full, 1)[0])
    assert [r["RuleArn"] for r in last["Rules"]] == ["arn:rule/2"] and "NextMarker" not in last


def test_the_smallest_page_respects_each_apis_minimum():
    ec2 = paging.pagination(SESSION, SESSION.get_service_model("ec2"), "DescribeSubnets")
    ssm = paging.pagination(SESSION, SESSION.get_service_model("ssm"), "DescribeParameters")
    assert (ec2.limit, ec2.smallest) == ("MaxResults", 5)
    assert (ssm.limit, ssm.smallest) == ("MaxResults", 1)


def test_a_new_role_cannot_be_named_by_a_task_definition_until_it_settles(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(faults.time, "monotonic", lambda: clock[0])
    fresh = faults.Fresh(settle=5)
    arn = "arn:aws:iam::123456789012:role/exec"
    fresh.note("iam", "CreateRole", b"Action=CreateRole&RoleName=exec", f"<Arn>{arn}</Arn>".encode())
    call = faults.Call("POST", "ecs", "RegisterTaskDefinition", "control")
    body = json.dumps({"family": "f", "executionRoleArn": arn}).encode()
    assert fresh.refusal("ecs", call, body) == ("ClientException", "Role is not valid")
    assert fresh.refusal("ecs", call, json.dumps({"family": "f"}).encode()) is None
    clock[0] += 5.1
    assert fresh.refusal("ecs", call, body) is None


def test_unknown_faults_are_refused():
    with pytest.raises(ValueError, match="unknown faults"):
        faults.Config.parse("paging,partition")
