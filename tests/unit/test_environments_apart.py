"""Environments that cannot collide: every inventory declares its own site name, origin name,
bucket and user pool (playbooks/preflight.yml refuses a run otherwise, by
plugins/lookup/vf_sibling_collisions.py's ``collisions``); prod's user pool has deletion
protection; no inventory lets a teardown delete media unless it says so."""

from __future__ import annotations

import importlib.util

import pytest
from ansible.template import trust_as_template

from tests.support.ansible_runner import ROOT
from tests.support.model import templar

ENVIRONMENTS = ["dev", "prod", "local"]
OWN = {
    "site domain": "videoforge_domain",
    "CDN origin domain": "videoforge_cdn.origin_domain",
    "bucket": "videoforge_bucket",
    "user pool": "videoforge_names.user_pool",
}


def rendered(env: str, expression: str, playbook: str | None = None, roles: tuple[str, ...] = ()):
    return templar(env, playbook, roles).evaluate_expression(trust_as_template(expression))


def lookup_plugin():
    path = ROOT / "plugins" / "lookup" / "vf_sibling_collisions.py"
    spec = importlib.util.spec_from_file_location("vf_sibling_collisions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_shared_value_names_both_inventories_and_the_value():
    collisions = lookup_plugin().collisions
    own = {"site domain": "Video.Example.com", "bucket": "media-dev", "aliases": ["a.example.com", ""]}
    siblings = {
        "inventories/prod": {"site domain": "video.example.com.", "bucket": "media-prod", "aliases": []},
        "inventories/qa": {
            "site domain": "qa.example.com",
            "bucket": "media-dev",
            "aliases": ["A.example.com"],
        },
    }
    assert collisions(own, siblings, "inventories/dev") == [
        {
            "name": "site domain",
            "value": "Video.Example.com",
            "inventory": "inventories/dev",
            "other": "inventories/prod",
        },
        {
            "name": "aliases",
            "value": "a.example.com",
            "inventory": "inventories/dev",
            "other": "inventories/qa",
        },
        {"name": "bucket", "value": "media-dev", "inventory": "inventories/dev", "other": "inventories/qa"},
    ]


def test_empty_or_missing_values_are_never_shared():
    collisions = lookup_plugin().collisions
    own = {"site domain": "", "zone": None, "bucket": "media-dev"}
    assert collisions(own, {"inventories/prod": {"site domain": "", "zone": None}}, "inventories/dev") == []


def test_every_environment_declares_its_own_names():
    seen: dict[tuple[str, str], str] = {}
    for env in ENVIRONMENTS:
        for label, expression in OWN.items():
            value = str(rendered(env, expression)).lower().rstrip(".")
            assert value, f"{env} declares no {label}"
            assert (label, value) not in seen, (
                f"{env} and {seen[label, value]} both declare the {label} {value}"
            )
            seen[label, value] = env


def test_the_placeholders_carry_the_environment():
    for env in ("dev", "prod"):
        assert f"-{env}-" in rendered(env, "videoforge_bucket")


@pytest.mark.parametrize(("env", "protected"), [("prod", True), ("dev", False), ("local", False)])
def test_prods_user_pool_has_deletion_protection(env, protected):
    assert rendered(env, "identity_deletion_protection", "playbooks/identity.yml", ("identity",)) is protected


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_inventory_lets_a_teardown_delete_media_unless_it_says_so(env):
    assert rendered(env, "teardown_delete_data", "playbooks/teardown.yml", ("teardown",)) is False
