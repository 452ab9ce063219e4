"""The model's names (inventories/*/group_vars/all/names.yml), rendered as Ansible renders them
for each inventory: every name carries its environment, so dev and prod share an account
without sharing a resource, and a teardown of one (which deletes by these names) cannot reach
the other's. ALB and target group names must fit AWS's 32 characters. No role or playbook
builds a name of its own: deploy and teardown get every name from that one file."""

from __future__ import annotations

import functools
import re

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from tests.support.ansible_runner import ROOT
from tests.support.model import catalog

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


# Named inside a container that carries the environment (the cluster, the namespace): the
# catalog's own service names, the same in every environment.
SCOPED = {"cluster_services"}


def leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [name for key, v in value.items() if key not in SCOPED for name in leaves(v)]
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
    assert set(model("dev")["videoforge_names"]["target_groups"]) == set(catalog()["videoforge_services"])


def test_the_names_of_every_compute_part_are_declared():
    names = model("dev")["videoforge_names"]
    services = set(catalog()["videoforge_services"])
    for kind in ("cluster_services", "task_families", "task_roles", "execution_roles", "log_groups"):
        assert set(names[kind]) == services, kind
    assert set(names["repositories"]) == services | {"processor"}
    assert names["processor"]["alarms"] and names["database_final_snapshot"].startswith(names["database"])


# How a role or playbook would build a resource name: joining a value and a literal with "-"
# (every name's separator) in a Jinja expression (a regex_replace's replacement included) or
# around an inline template, a log group's root, or a *_prefix input joined to make a name.
# The published outputs' keys (target-group-arn-<service>, <public|private>-subnet-ids, under
# the model's parameter path: docs/ARCHITECTURE.md, "Outputs between steps") are the roles'
# contract, not resource names.
BUILT_NAME = re.compile(
    r"""~\s*['"]-"""  # x ~ '-...'
    r"""|['"][\w./]*-['"]\s*~"""  # '...-' ~ x
    r"""|\}\}-|-\{\{"""  # {{ x }}-... or ...-{{ x }}
    r"""|/(ecs|ec2)/"""  # a log group's root
    r"""|_prefix\s*(\}\}|~)\s*['"]?[-/]"""  # a prefix input joined to a name
)
OUTPUT_KEYS = re.compile(r"target-group-arn-(suffix-)?|-subnet-ids")


def built_names(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if not line.lstrip().startswith("#") and BUILT_NAME.search(OUTPUT_KEYS.sub("", line))
    ]


def deployment_files() -> list:
    roles = [
        path
        for path in (ROOT / "roles").rglob("*")
        if path.suffix in (".yml", ".j2") and "molecule" not in path.parts
    ]
    return sorted(roles) + sorted((ROOT / "playbooks").glob("*.yml"))


def test_no_role_or_playbook_builds_a_resource_name():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in deployment_files()
        if (lines := built_names(path.read_text()))
    }
    assert found == {}


@pytest.mark.parametrize(
    "line",
    [
        'name: "{{ processor_fleet_name }}-backlog-high"',
        'family: "{{ teardown_compute_prefix }}-{{ item }}"',
        "{'name': iam_name_prefix ~ '-' ~ service ~ '-execution',",
        "| map('regex_replace', '^(.*)$', teardown_compute_prefix ~ '-\\1-task') | list",
        "iam_log_group_prefix: /ecs/{{ __compute_name }}",
        'name: "{{ images_repository_prefix }}/{{ item }}"',
    ],
)
def test_each_way_of_building_a_name_is_found(line):
    assert built_names(line) == [line]
