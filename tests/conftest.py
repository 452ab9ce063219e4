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
# The groups that take a minute or more, longest first (as the runs' lists of slowest items have
# them): handed out first, so the run does not end waiting on one of them. Every molecule scenario
# is slow too; the teardown scenario is the longest item of all.
LONGEST_FIRST = (
    "tests/roles/test_molecule.py::test_molecule_scenario_passes[teardown/default]",
    "e2e-stack-use",
    "tests/e2e/test_hostile_aws.py",
    "e2e-stack-lifecycle",
    "tests/integration/test_aws_state.py",
    "tests/integration/test_dns_and_database.py",
    "tests/test_lint.py::test_linter_finds_nothing[ansible-lint]",
    "tests/integration/test_processor_hostile.py",
    "tests/integration/test_processor.py",
    "tests/integration/test_edge_modules.py",
)


def group_of(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    if path in STACK_GROUPS:
        return STACK_GROUPS[path]
    if path in ("tests/roles/test_molecule.py", "tests/test_lint.py"):
        return nodeid  # each scenario and linter stands alone
    return path  # a file's module-scoped fixtures (a converged account) are made once


def is_slow(group: str) -> bool:
    return group in LONGEST_FIRST or group.startswith("tests/roles/")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The longest groups are collected first, then the molecule scenarios, then the rest in the
    files' order (the unit files last); xdist hands groups out in collection order
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
    """xdist's load-scope scheduling, with `group_of` as the scope and one change in what a worker
    is handed.

    A worker runs a test only once it holds the next one, so xdist hands a worker its next group
    while two of its tests are still to run, and that group waits behind them: a worker handed a
    group of one slow test is at once handed the next group in the queue too. In the old order the
    hostile-AWS test and the teardown-then-up test (one test each, minutes each) went to one worker
    that way at the start, one after the other. So a worker that still has a slow group's test to
    run is handed the last group in the queue (a unit file of a second or two) instead, and a slow
    group goes only to a worker that is about to be free.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid.split("@")[0])

        def _assign_work_unit(self, node) -> None:
            pending = [
                self._split_scope(nodeid)
                for unit in self.assigned_work.get(node, {}).values()
                for nodeid, done in unit.items()
                if not done
            ]
            scope, work_unit = self.workqueue.popitem(last=any(map(is_slow, pending)))
            self.assigned_work.setdefault(node, {})[scope] = work_unit
            collection = self.registered_collections[node]
            node.send_runtest_some(
                [collection.index(nodeid) for nodeid, done in work_unit.items() if not done]
            )

    return GroupScheduling(config, log)
