"""The shared AWS plumbing: retries, error translation, comparison helpers."""

from __future__ import annotations

import botocore.exceptions
import pytest
from ansible.module_utils import vf_aws


class ScriptedClient:
    """A stand-in for a boto3 client that answers each call from a script (unit level only)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def describe_things(self, **params):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def client_error(code: str, status: int = 400, message: str = "nope") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "DescribeThings",
    )


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(vf_aws.time, "sleep", lambda _s: None)


def test_throttling_and_server_errors_are_retried_then_succeed():
    raw = ScriptedClient(client_error("Throttling"), client_error("Whatever", 503), {"Things": [1]})
    assert vf_aws.AwsClient(raw, retries=3).call("describe_things") == {"Things": [1]}
    assert raw.calls == 3


def test_client_errors_are_not_retried_and_keep_code_and_message():
    raw = ScriptedClient(client_error("ValidationError", message="bad port"))
    with pytest.raises(vf_aws.AwsError) as err:
        vf_aws.AwsClient(raw, retries=5).call("describe_things")
    assert raw.calls == 1
    assert (err.value.code, err.value.message, err.value.operation) == (
        "ValidationError",
        "bad port",
        "describe_things",
    )


def test_retries_are_bounded():
    raw = ScriptedClient(*[client_error("Throttling")] * 4)
    with pytest.raises(vf_aws.AwsError) as err:
        vf_aws.AwsClient(raw, retries=3).call("describe_things")
    assert raw.calls == 4 and err.value.code == "Throttling"


def test_backoff_is_capped_full_jitter():
    for attempt in range(12):
        assert 0 <= vf_aws.backoff_delay(attempt, 0.5, 20.0) <= min(20.0, 0.5 * 2**attempt)


def test_error_report_keeps_code_and_message():
    seen = vf_aws.error_report(vf_aws.AwsError("create_queue", "QueueDeletedRecently", "wait"))
    assert seen["msg"] == "create_queue failed: QueueDeletedRecently: wait"
    assert seen["error"]["code"] == "QueueDeletedRecently"


def test_tag_changes():
    current = {"a": "1", "b": "2", "aws:cloudformation:x": "y"}
    assert vf_aws.tag_changes(current, {"a": "1", "b": 3}, purge=True) == ({"b": "3"}, [])
    assert vf_aws.tag_changes(current, {"a": "1"}, purge=True) == ({}, ["b"])
    assert vf_aws.tag_changes(current, {"a": "1"}, purge=False) == ({}, [])


def test_canonical_json_ignores_key_order_whitespace_and_number_types():
    a = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"]}]}'
    b = {"Statement": [{"Action": "sqs:SendMessage", "Effect": "Allow"}], "Version": "2012-10-17"}
    assert vf_aws.canonical_json(a) == vf_aws.canonical_json(b)
    assert vf_aws.canonical_json({"maxReceiveCount": 3}) == vf_aws.canonical_json({"maxReceiveCount": "3"})
    assert vf_aws.canonical_json({"a": ["x", "y"]}) == vf_aws.canonical_json({"a": ["y", "x"]})
    assert vf_aws.canonical_json({"a": 1}) != vf_aws.canonical_json({"a": 2})


# --- paging: a throttle or a dropped connection mid-listing -------------------------------

LISTENER = (
    "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener/app/alb/50dc6c495c0c9188/f2f7dc8e"
)


def rule(n: int) -> dict:
    """A rule as DescribeRules returns it (enough of it for paging)."""
    return {"RuleArn": f"{LISTENER.replace(':listener/', ':listener-rule/')}/{n}", "Priority": str(n * 10)}


def stubbed_elb():
    import boto3
    from botocore.stub import Stubber

    client = boto3.session.Session().client(
        "elbv2", region_name="ap-southeast-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)


def test_a_throttle_mid_listing_resumes_from_the_failed_page_and_yields_no_page_twice():
    client, stub = stubbed_elb()
    first = {"ListenerArn": LISTENER}
    second = {"ListenerArn": LISTENER, "Marker": "page-2"}
    stub.add_response("describe_rules", {"Rules": [rule(1)], "NextMarker": "page-2"}, first)
    stub.add_client_error("describe_rules", "Throttling", "Rate exceeded", 400, expected_params=second)
    stub.add_response("describe_rules", {"Rules": [rule(2)], "NextMarker": "page-3"}, second)
    stub.add_response("describe_rules", {"Rules": [rule(3)]}, {"ListenerArn": LISTENER, "Marker": "page-3"})
    with stub:
        rules = vf_aws.AwsClient(client, retries=3).paginate("describe_rules", "Rules", ListenerArn=LISTENER)
    assert [r["Priority"] for r in rules] == ["10", "20", "30"]
    stub.assert_no_pending_responses()


def test_an_empty_page_with_a_token_is_not_the_end():
    client, stub = stubbed_elb()
    stub.add_response("describe_rules", {"Rules": [], "NextMarker": "page-2"}, {"ListenerArn": LISTENER})
    stub.add_response("describe_rules", {"Rules": [rule(1)]}, {"ListenerArn": LISTENER, "Marker": "page-2"})
    with stub:
        rules = vf_aws.AwsClient(client, retries=3).paginate("describe_rules", "Rules", ListenerArn=LISTENER)
    assert [r["Priority"] for r in rules] == ["10"]


def test_a_dropped_connection_mid_listing_is_retried_on_the_same_page():
    import botocore.exceptions

    client, stub = stubbed_elb()
    dropped = {"n": 0}

    def drop_the_second_request(params, **kwargs):
        if params.get("Marker") == "page-2" and not dropped["n"]:
            dropped["n"] += 1
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://elasticloadbalancing")

    client.meta.events.register_first("before-parameter-build.*.DescribeRules", drop_the_second_request)
    stub.add_response(
        "describe_rules", {"Rules": [rule(1)], "NextMarker": "page-2"}, {"ListenerArn": LISTENER}
    )
    stub.add_response("describe_rules", {"Rules": [rule(2)]}, {"ListenerArn": LISTENER, "Marker": "page-2"})
    with stub:
        rules = vf_aws.AwsClient(client, retries=3).paginate("describe_rules", "Rules", ListenerArn=LISTENER)
    assert [r["Priority"] for r in rules] == ["10", "20"] and dropped["n"] == 1


class TimingOutClient:
    """Answers every call with a read timeout: the request may or may not have been carried out."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, operation):
        def call(**params):
            self.calls.append(operation)
            raise botocore.exceptions.ReadTimeoutError(endpoint_url="https://ecs")

        return call


def test_a_create_without_a_token_is_not_retried_after_a_read_timeout():
    raw = TimingOutClient()
    with pytest.raises(vf_aws.AwsError) as err:
        vf_aws.AwsClient(raw, retries=3).call("register_task_definition", family="web")
    # A second register would make a second revision: the next run reads back and reconciles.
    assert raw.calls == ["register_task_definition"]
    assert err.value.code == "ReadTimeout"


def test_reads_and_calls_with_an_idempotency_token_are_retried_after_a_read_timeout():
    for operation, params in (("describe_services", {}), ("create_service", {"clientToken": "t-1"})):
        raw = TimingOutClient()
        with pytest.raises(vf_aws.AwsError):
            vf_aws.AwsClient(raw, retries=2).call(operation, **params)
        assert raw.calls == [operation] * 3


class HtmlErrorPage:
    """An endpoint that answers with an HTML page (a proxy's error, or an API it does not have)."""

    def __init__(self):
        self.calls = 0

    def describe_instance_refreshes(self, **params):
        import botocore.parsers

        self.calls += 1
        raise botocore.parsers.ResponseParserError("Unable to parse response: invalid XML received")


def test_an_answer_that_is_not_aws_is_an_aws_error_and_not_retried():
    raw = HtmlErrorPage()
    with pytest.raises(vf_aws.AwsError) as err:
        vf_aws.AwsClient(raw, retries=3).call("describe_instance_refreshes", AutoScalingGroupName="g")
    assert err.value.code == "ResponseParserError" and raw.calls == 1
