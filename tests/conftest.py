"""Shared fixtures: a real moto server and a real PostgreSQL for the whole session."""

from __future__ import annotations

import os
from pathlib import Path

import ansible.module_utils
import pytest

from tests.support import services

ROOT = Path(__file__).resolve().parents[1]

# Our module_utils import as ``ansible.module_utils.vf_*`` inside Ansible; make the same
# import path work in the unit tests.
ansible.module_utils.__path__.append(str(ROOT / "module_utils"))


@pytest.fixture(scope="session")
def aws(tmp_path_factory) -> services.Emulator:
    """One moto server for the session, with the AWS_* environment pointing at it."""
    log_dir = tmp_path_factory.mktemp("moto")
    with services.aws_emulator(log_dir) as emulator:
        previous = services.set_aws_test_env(emulator.url)
        yield emulator
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def pg() -> services.Postgres:
    """One private PostgreSQL cluster for the session."""
    with services.postgres() as cluster:
        yield cluster


# --- running on several workers (pytest-xdist, `make test` runs with --dist loadgroup) ----------
#
# Known limit: xdist 3.8 (the newest) puts a test's group into its nodeid through an attribute
# pytest 9.2 no longer reads, so the groups below do not take yet: every test is a unit of its
# own, and a module or session fixture is built on each worker that runs a test needing it
# (the runs are still correct; they repeat some set-up). Only the order below takes effect.

# The files that share the session's `stack` (tests/e2e/conftest.py): one group, so one worker
# brings the platform up once for all of them.
SHARED_STACK_GROUP = "e2e-stack"
# Groups that take longest, started first so the run does not end waiting on one of them.
LONGEST_FIRST = (
    SHARED_STACK_GROUP,
    "tests/e2e/test_hostile_aws.py",
    "tests/integration/test_dns_and_database.py",
)


def _group_of(item: pytest.Item) -> str:
    path = item.nodeid.split("::")[0]
    if path.startswith("tests/e2e/") and "stack" in getattr(item, "fixturenames", ()):
        return SHARED_STACK_GROUP
    if path == "tests/roles/test_molecule.py":
        return item.nodeid  # each scenario stands alone (its own emulator)
    return path  # a file's module-scoped fixtures (a converged account) are made once


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test in a group (xdist_group): the files' own fixtures are built once per file, the
    shared stack once per run. The longest groups are collected first, and xdist hands groups out
    in collection order (`--no-loadscope-reorder`)."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group_of(item)))

    def rank(item: pytest.Item) -> int:
        group = _group_of(item)
        if group in LONGEST_FIRST:
            return LONGEST_FIRST.index(group)
        if group.startswith("tests/roles/"):
            return len(LONGEST_FIRST)
        return len(LONGEST_FIRST) + 1

    items.sort(key=rank)  # stable: the order within a group stays the files' own
