"""Every role's molecule scenario (converge, idempotence, --check, verify, cleanup), one pytest
item each, so `make test` runs them on the suite's workers beside the rest.

Each scenario starts from an empty account (the worker's emulator, reset before it, as
``make molecule`` does) and gets a state directory of its own; ``make molecule`` runs the same
scenarios one after another (tools/molecule_all.py).
"""

from __future__ import annotations

import pytest

from tests.support import services
from tools.molecule_all import run_scenario, scenario_env, scenarios

SCENARIOS = scenarios()


@pytest.fixture(scope="session")
def molecule_aws(tmp_path_factory) -> services.Emulator:
    """One emulator for every scenario a worker runs: starting one per scenario cost each
    scenario a few seconds of CPU."""
    with services.aws_emulator(tmp_path_factory.mktemp("molecule-aws")) as aws:
        yield aws


@pytest.mark.parametrize(
    ("role_dir", "scenario"), SCENARIOS, ids=[f"{role.name}/{name}" for role, name in SCENARIOS]
)
def test_molecule_scenario_passes(role_dir, scenario, pg, molecule_aws, tmp_path):
    tmp_path.chmod(0o755)  # the database's unprivileged owner must reach into it
    molecule_aws.reset()
    proc = run_scenario(role_dir, scenario, scenario_env(molecule_aws, pg, tmp_path / "state"))
    assert proc.returncode == 0, proc.stdout[-20000:]
