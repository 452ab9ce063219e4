"""Run every role's molecule scenarios against moto server on loopback.

    python tools/molecule_all.py [ROLE ...]

Every scenario shares one configuration, BASE_CONFIG (a scenario's molecule.yml only adds
what is its own). Each scenario starts from an empty account, and the AWS_* environment points
every module at the emulator, exactly as the local inventory does. A private PostgreSQL is there
too (VF_TEST_PG_HOST / VF_TEST_PG_PORT) for the database role.

`make test` runs the same scenarios as pytest items (tests/roles/test_molecule.py, through
``scenario_env`` and ``run_scenario`` here), so they share the suite's workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_CONFIG = ROOT / ".config" / "molecule" / "config.yml"
sys.path.insert(0, str(ROOT))

from tests.support import services  # noqa: E402 - after the path is set


def scenarios(only: list[str] | None = None) -> list[tuple[Path, str]]:
    """(role directory, scenario name) of every scenario, or of the roles in ``only``."""
    found = []
    for config in sorted(ROOT.glob("roles/*/molecule/*/molecule.yml")):
        role_dir = config.parents[2]
        if not only or role_dir.name in only:
            found.append((role_dir, config.parent.name))
    return found


def scenario_env(aws: services.Emulator, pg: services.Postgres, state_dir: Path) -> dict[str, str]:
    """The environment one scenario runs in: the emulator, the database, a state dir of its own
    (so one scenario's processes and files never meet another's) and free loopback ports for the
    roles that start servers of their own."""
    return {
        **os.environ,
        **services.AWS_TEST_ENV,
        "AWS_ENDPOINT_URL": aws.url,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_HOME": str(ROOT / ".ansible"),
        "VF_REPO_ROOT": str(ROOT),
        "VF_STATE_DIR": str(state_dir),
        # A private PostgreSQL for the roles that need one (trust auth on loopback).
        "VF_TEST_PG_HOST": pg.host,
        "VF_TEST_PG_PORT": str(pg.port),
        **{f"VF_TEST_PORT_{i}": str(services.free_port()) for i in range(1, 5)},
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "PY_COLORS": "0",
        "ANSIBLE_FORCE_COLOR": "0",
        "NO_COLOR": "1",
    }


def run_scenario(role_dir: Path, scenario: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`molecule test` of one scenario (converge, idempotence, check, verify, cleanup)."""
    return subprocess.run(
        ["molecule", "--base-config", str(BASE_CONFIG), "test", "-s", scenario],
        cwd=role_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def main(argv: list[str]) -> int:
    todo = scenarios(argv)
    if not todo:
        print("no molecule scenarios found")
        return 1
    failed: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="vf-molecule-") as tmp,
        services.aws_emulator(Path(tmp)) as aws,
        services.postgres() as pg,
    ):
        Path(tmp).chmod(0o755)  # the database's unprivileged owner must reach into it
        for role_dir, scenario in todo:
            aws.reset()
            name = f"{role_dir.name}/{scenario}"
            started = time.monotonic()
            state_dir = Path(tmp) / f"state-{role_dir.name}-{scenario}"
            proc = run_scenario(role_dir, scenario, scenario_env(aws, pg, state_dir))
            took = time.monotonic() - started
            if proc.returncode:
                failed.append(name)
                print(proc.stdout[-20000:])
            print(f"molecule {name}: {'FAILED' if proc.returncode else 'passed'} ({took:.0f}s)", flush=True)
    print(f"molecule: {len(todo) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
