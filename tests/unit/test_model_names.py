"""The model's names (inventories/*/group_vars/all/names.yml), rendered as Ansible renders them
for each inventory: every name carries its environment, so dev and prod share an account
without sharing a resource, and a teardown of one (which deletes by these names) cannot reach
the other's. ALB and target group names must fit AWS's 32 characters."""

from __future__ import annotations

import functools
import re

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from tests.support.ansible_runner import ROOT

ENVIRONMENTS = ["dev", "prod", "local"]
# What AWS accepts for a load balancer or target group name.
ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")


@functools.cache
def model(env: str) -> dict:
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(ROOT / "inventories" / env)])
    host_vars = VariableManager(loader=loader, inventory=inventory).get_vars(
        host=inventory.get_host("localhost")
    )
    templar = Templar(loader=loader, variables=host_vars)
    return {
        key: templar.template(host_vars[key])
        for key in ("videoforge_environment", "videoforge_names", "videoforge_parameter_path")
    }


def leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [name for v in value.values() for name in leaves(v)]
    return [value]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_name_carries_the_environment(env):
    names, path = model(env)["videoforge_names"], model(env)["videoforge_parameter_path"]
    assert leaves(names), "the model declares no names"
    # An SSM parameter carries it in its path (/<prefix>/<environment>/...).
    assert [n for n in leaves(names) if f"-{env}" not in n and not n.startswith(path + "/")] == []
    assert path.endswith(f"/{env}")


def test_no_two_environments_share_a_name():
    seen: dict[str, str] = {}
    for env in ENVIRONMENTS:
        for name in set(leaves(model(env)["videoforge_names"])):
            assert name not in seen, f"{name} is both {seen[name]}'s and {env}'s"
            seen[name] = env


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_load_balancer_and_target_group_names_fit_aws(env):
    names = model(env)["videoforge_names"]
    elb_names = [names["load_balancer"], *names["target_groups"].values()]
    assert [n for n in elb_names if not ELB_NAME.match(n)] == []


def test_a_target_group_for_every_service():
    from tests.support.model import catalog

    assert set(model("dev")["videoforge_names"]["target_groups"]) == set(catalog()["videoforge_services"])
