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
# A group's tests run on one worker, in the files' order, so its module and session fixtures are
# built once. The group is a function of the nodeid alone, because that is all xdist's controller
# sees: xdist 3.8's own `xdist_group` marker does not take under pytest 9.2 (it writes the group
# into `item._nodeid`, which pytest 9 no longer reads), so the scheduler below does the grouping.

# The e2e files that share the session's `stack` (tests/e2e/conftest.py) split into two groups,
# each bringing up a platform of its own: the one that stops, restarts, re-runs, tears down and
# brings it back, and the ones that only use it (browser, HLS, API contract). One platform for
# all is a 15-minute group.
STACK_GROUPS = {
    "tests/e2e/test_local_stack.py": "e2e-stack-lifecycle",
    "tests/e2e/test_teardown_then_up.py": "e2e-stack-lifecycle",
    "tests/e2e/test_client_browser.py": "e2e-stack-use",
    "tests/e2e/test_hls_through_edge.py": "e2e-stack-use",
    "tests/e2e/test_openapi_contract.py": "e2e-stack-use",
    "tests/e2e/test_edge_keepalive.py": "e2e-stack-use",
}
# Groups that take longest, started first so the run does not end waiting on one of them.
LONGEST_FIRST = (
    "tests/integration/test_dns_and_database.py",
    "e2e-stack-use",
    "tests/e2e/test_hostile_aws.py",
    "e2e-stack-lifecycle",
    # The slowest linter, ansible-lint: started last (when it still checked the syntax of each
    # playbook and role in a process of its own, it alone was the run's last 100 s while the short
    # unit files could have filled the other workers' tails).
    "tests/test_lint.py::test_linter_finds_nothing[ansible-lint]",
)


def group_of(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    if path in STACK_GROUPS:
        return STACK_GROUPS[path]
    if path in ("tests/roles/test_molecule.py", "tests/test_lint.py"):
        return nodeid  # each scenario and linter stands alone
    return path  # a file's module-scoped fixtures (a converged account) are made once


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The longest groups are collected first; xdist hands groups out in collection order
    (`--no-loadscope-reorder`), and the order within a group stays the files' own."""

    def rank(item: pytest.Item) -> int:
        group = group_of(item.nodeid)
        if group in LONGEST_FIRST:
            return LONGEST_FIRST.index(group)
        if group.startswith("tests/roles/"):
            return len(LONGEST_FIRST)
        return len(LONGEST_FIRST) + 1

    items.sort(key=rank)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's load-scope scheduling, with `group_of` as the scope."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid.split("@")[0])

    return GroupScheduling(config, log)
