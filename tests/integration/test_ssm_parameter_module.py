"""vf_ssm_parameter against moto server: the reference module's promises."""

from __future__ import annotations

import boto3
import pytest

from tests.support.ansible_runner import run_playbook


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def param(**args):
    return {"name": "p", "vf_ssm_parameter": {"region": "ap-southeast-2", **args}, "register": "out"}


@pytest.fixture
def ssm(aws):
    aws.reset()
    return boto3.client("ssm")


def test_create_then_rerun_reports_no_change(ssm, tmp_path):
    first = run_playbook(tmp_path, play(param(name="/t/queue-url", value="https://q", tags={"a": "b"})))
    assert first.ok, first.output
    assert first.changed_tasks() == ["p"]
    second = run_playbook(tmp_path, play(param(name="/t/queue-url", value="https://q", tags={"a": "b"})))
    assert second.ok and second.changed_tasks() == []
    assert ssm.get_parameter(Name="/t/queue-url")["Parameter"]["Value"] == "https://q"


def test_check_mode_writes_nothing_and_says_what_would_change(ssm, tmp_path):
    run = run_playbook(tmp_path, play(param(name="/t/new", value="v")), check=True, diff=True)
    assert run.ok, run.output
    assert run.task("p").changed and run.task("p").result["changes"] == ["create"]
    assert ssm.describe_parameters()["Parameters"] == []


def test_drift_in_value_is_reported_and_restored(ssm, tmp_path):
    ssm.put_parameter(Name="/t/bucket", Value="right", Type="String")
    ssm.put_parameter(Name="/t/bucket", Value="wrong", Type="String", Overwrite=True)
    check = run_playbook(tmp_path, play(param(name="/t/bucket", value="right")), check=True, diff=True)
    assert check.task("p").result["changes"] == ["value"]
    assert ssm.get_parameter(Name="/t/bucket")["Parameter"]["Value"] == "wrong"
    assert run_playbook(tmp_path, play(param(name="/t/bucket", value="right"))).changed_tasks() == ["p"]
    assert ssm.get_parameter(Name="/t/bucket")["Parameter"]["Value"] == "right"


def test_generated_secret_is_created_once_and_never_shown(ssm, tmp_path):
    args = {"name": "/t/db-password", "type": "SecureString", "generate": True}
    first = run_playbook(tmp_path, play(param(**args)), diff=True)
    assert first.ok, first.output
    value = ssm.get_parameter(Name="/t/db-password", WithDecryption=True)["Parameter"]["Value"]
    assert len(value) == 32
    assert value not in first.output
    assert "value" not in first.task("p").result
    second = run_playbook(tmp_path, play(param(**args)))
    assert second.changed_tasks() == []
    assert ssm.get_parameter(Name="/t/db-password", WithDecryption=True)["Parameter"]["Value"] == value


def test_absent_deletes_and_read_of_a_missing_parameter_fails_clearly(ssm, tmp_path):
    ssm.put_parameter(Name="/t/gone", Value="x", Type="String")
    assert run_playbook(tmp_path, play(param(name="/t/gone", state="absent"))).changed_tasks() == ["p"]
    assert ssm.describe_parameters()["Parameters"] == []
    again = run_playbook(tmp_path, play(param(name="/t/gone", state="absent")))
    assert again.ok and again.changed_tasks() == []
    missing = run_playbook(tmp_path, play(param(name="/t/gone", state="read")))
    assert not missing.ok
    assert "SSM parameter /t/gone does not exist" in missing.task("p").result["msg"]


def test_a_generated_secret_asked_for_comes_back_unmasked_on_the_first_run(ssm, tmp_path):
    args = {"name": "/t/pw", "type": "SecureString", "generate": True, "return_value": True}
    out = tmp_path / "pw"
    tasks = [
        {**param(**args), "no_log": True},
        {
            "name": "use it",
            "ansible.builtin.copy": {"content": "{{ out.value }}", "dest": str(out), "mode": "0600"},
            "no_log": True,
        },
    ]
    first = run_playbook(tmp_path, play(*tasks))
    assert first.ok, first.output
    stored = ssm.get_parameter(Name="/t/pw", WithDecryption=True)["Parameter"]["Value"]
    assert out.read_text() == stored
    assert stored not in first.output  # the task's no_log keeps it out of the log
    second = run_playbook(tmp_path, play(*tasks))
    assert second.ok and second.changed_tasks() == []
