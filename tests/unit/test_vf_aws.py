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


def test_fail_with_reports_code_and_message():
    seen = {}
    vf_aws.fail_with(
        lambda **kw: seen.update(kw), vf_aws.AwsError("create_queue", "QueueDeletedRecently", "wait")
    )
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
