"""Fewer module runs per resource: one read of the published outputs and the account
per role, and one run for a family of log groups, with a result and a diff per group. What they
decide is pure and tested here on the API reference's response shapes."""

from __future__ import annotations

import pytest
from ansible.module_utils import vf_module
from ansible.module_utils.vf_logs import log_group_plan
from ansible.module_utils.vf_module import ReconcileError, reconcile_family
from ansible.module_utils.vf_ssm import outputs_plan

PATH = "/video-forge/dev"
FOUND = {
    "account_id": "123456789012",
    "parameters": {f"{PATH}/bucket": "media", f"{PATH}/queue-arn": "arn:q"},
}


def test_outputs_are_named_relative_to_the_path_with_the_account():
    plan = outputs_plan(FOUND, {"path": PATH + "/", "names": ["bucket", "queue-arn"]}, False)
    assert plan.changes == []
    assert plan.result == {
        "account_id": "123456789012",
        "outputs": {"bucket": "media", "queue-arn": "arn:q"},
        "missing": [],
    }


def test_a_missing_output_fails_naming_it():
    with pytest.raises(ReconcileError, match="user-pool-id"):
        outputs_plan(FOUND, {"path": PATH, "names": ["bucket", "user-pool-id"]}, False)


def test_in_check_mode_a_missing_output_is_empty_and_listed():
    plan = outputs_plan(FOUND, {"path": PATH, "names": ["bucket", "user-pool-id"]}, True)
    assert plan.result["outputs"] == {"bucket": "media", "user-pool-id": ""}
    assert plan.result["missing"] == ["user-pool-id"]
    assert plan.changes == []


def described(name: str, retention: int | None, tags: dict) -> dict:
    """A describe_log_groups entry as the API reference shows it, with the group's tags."""
    arn = f"arn:aws:logs:ap-southeast-2:123456789012:log-group:{name}"
    entry = {"logGroupName": name, "creationTime": 1, "metricFilterCount": 0, "arn": arn, "storedBytes": 0}
    if retention is not None:
        entry["retentionInDays"] = retention
    return {**entry, "tags": tags}


class FakeModule:
    """What reconcile_family uses of an AnsibleModule; the exit is recorded, not raised."""

    def __init__(self, params: dict, check_mode: bool):
        self.params = {"region": "ap-southeast-2", "endpoint_url": None, "retries": 0, **params}
        self.check_mode = check_mode
        self.no_log_values: set[str] = set()
        self.exited: dict | None = None
        self.failed: dict | None = None

    def exit_json(self, **result):
        self.exited = result

    def fail_json(self, **result):
        self.failed = result
        raise SystemExit(1)

    def warn(self, message):
        pass


TAGS = {"Project": "VideoForge"}
EXISTING = {
    "/ecs/vf/gallery": described("/ecs/vf/gallery", 14, TAGS),
    # Drifted: events kept forever (AWS omits retentionInDays), a tag removed by hand.
    "/ecs/vf/streaming": described("/ecs/vf/streaming", None, {}),
}


def run_family(existing: dict, check_mode: bool) -> tuple[FakeModule, list[str]]:
    """vf_log_groups' run over three groups: (the module with its exit, the groups applied)."""
    applied: list[str] = []
    module = FakeModule(
        {"retention_days": 14, "state": "present", "tags": TAGS, "purge_tags": True}, check_mode
    )

    def read(aws, p):
        return existing.get(p["name"])

    def apply(aws, plan, p):
        applied.append(p["name"])
        return {}

    items = {name: {"name": name} for name in ["/ecs/vf/gallery", "/ecs/vf/streaming", "/ec2/vf/processor"]}
    shared = ("retention_days", "state", "tags", "purge_tags")
    reconcile_family(module, "log_groups", shared, read, log_group_plan, apply, items=items)
    return module, applied


@pytest.fixture(autouse=True)
def _boto3_present(monkeypatch):
    monkeypatch.setattr(vf_module, "require_boto3", lambda fail: None)


def test_a_family_reports_and_diffs_each_item_and_applies_only_what_differs():
    module, applied = run_family(EXISTING, check_mode=False)
    result = module.exited
    assert result["changed"] is True
    assert [(r["item"], r["changes"]) for r in result["results"]] == [
        ("/ecs/vf/gallery", []),
        ("/ecs/vf/streaming", ["retention", "tags"]),
        ("/ec2/vf/processor", ["create"]),
    ]
    assert applied == ["/ecs/vf/streaming", "/ec2/vf/processor"]
    assert [d["before_header"] for d in result["diff"]] == ["/ecs/vf/streaming", "/ec2/vf/processor"]
    assert result["diff"][0]["before"] == {"retention_days": 0, "tags": {}}
    assert result["diff"][0]["after"] == {"retention_days": 14, "tags": TAGS}
    assert result["log_groups"]["/ecs/vf/gallery"]["changed"] is False


def test_a_family_in_check_mode_writes_nothing_and_says_what_would_change():
    module, applied = run_family(EXISTING, check_mode=True)
    assert applied == []
    assert module.exited["changed"] is True
    assert len(module.exited["diff"]) == 2


def test_a_family_with_nothing_to_do_is_unchanged():
    converged = {
        name: described(name, 14, TAGS)
        for name in ["/ecs/vf/gallery", "/ecs/vf/streaming", "/ec2/vf/processor"]
    }
    module, applied = run_family(converged, check_mode=False)
    assert (module.exited["changed"], module.exited["diff"], applied) == (False, [], [])


GROUPS = [
    {"name": "vf-gallery-tg", "label": "gallery", "port": 3000},
    {"name": "vf-streaming-tg", "label": None, "port": None},
]


def test_family_items_are_keyed_by_label_else_name():
    module = FakeModule({"target_groups": GROUPS, "state": "absent"}, False)
    items = vf_module.family_items(module, "target_groups", "name", "target group", ("port",))
    assert items == {"gallery": GROUPS[0], "vf-streaming-tg": GROUPS[1]}


def test_family_items_lacking_an_option_state_present_needs_fail_naming_them():
    module = FakeModule({"target_groups": GROUPS, "state": "present"}, False)
    with pytest.raises(SystemExit):
        vf_module.family_items(module, "target_groups", "name", "target group", ("port",), "a port")
    assert module.failed == {"msg": "with state=present every target group needs a port: ['vf-streaming-tg']"}


def test_two_family_items_with_one_label_fail_rather_than_one_being_dropped():
    twins = [GROUPS[0], {**GROUPS[1], "label": "gallery", "port": 3001}]
    module = FakeModule({"target_groups": twins, "state": "present"}, False)
    with pytest.raises(SystemExit):
        vf_module.family_items(module, "target_groups", "name", "target group", ("port",))
    assert module.failed == {"msg": "every target group in target_groups needs a label of its own"}


def test_a_secret_a_single_module_hides_is_among_the_values_ansible_masks():
    """What a module passes to ``aws.hide`` (a private key it made) reaches the module's no_log
    values, which Ansible masks in every output, for a single module as for a family."""
    module = FakeModule({"name": "signer", "state": "present"}, check_mode=False)

    def read(aws, p):
        return None

    def plan(current, p, check_mode):
        return vf_module.Plan(["create"], {}, {"made": True}, {"name": p["name"]})

    def apply(aws, plan, p):
        aws.hide("-----BEGIN PRIVATE KEY-----secret")
        return {}

    vf_module.reconcile(module, read, plan, apply)
    assert module.exited["changed"] is True
    assert "-----BEGIN PRIVATE KEY-----secret" in module.no_log_values
