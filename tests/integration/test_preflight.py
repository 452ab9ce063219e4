"""playbooks/preflight.yml, which site.yml and teardown.yml import first, with ansible-playbook
itself: the repository's inventories pass it, and a run on an inventory that shares its site
name, bucket or user pool with another one beside it stops before any play that touches AWS,
naming both inventories and the shared value.

Nothing here reaches AWS: the AWS endpoint is a closed loopback port, so a run the preflight
failed to stop would fail on its first call instead of touching an account.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.support import compute, services

ROOT = Path(__file__).resolve().parents[2]
NOWHERE = {**services.AWS_TEST_ENV, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}


def inventories(tmp: Path, **changes: dict) -> Path:
    """A copy of inventories/ (links kept) with ``changes`` (inventory -> variables) made to
    the environment.yml of each inventory named; a new name is a copy of dev."""
    target = tmp / "inventories"
    shutil.copytree(ROOT / "inventories", target, symlinks=True)
    for name, variables in changes.items():
        if not (target / name).exists():
            shutil.copytree(target / "dev", target / name, symlinks=True)
        path = target / name / "group_vars" / "all" / "environment.yml"
        model = yaml.safe_load(path.read_text())
        model.update(variables)
        path.write_text(yaml.safe_dump(model, sort_keys=False))
    return target


@pytest.mark.parametrize("env", ["dev", "prod", "local"])
def test_the_repositorys_inventories_pass_the_preflight(env):
    run = compute.run_playbooks(str(ROOT / "inventories" / env), "playbooks/preflight.yml", env=NOWHERE)
    assert run.returncode == 0, run.stdout[-3000:]


@pytest.mark.parametrize(
    ("playbook", "changes", "shared"),
    [
        (
            "site.yml",
            {"prod": {"videoforge_bucket": "video-forge-storage-dev-REPLACE_ME"}},
            "the bucket video-forge-storage-dev-REPLACE_ME",
        ),
        (
            "playbooks/teardown.yml",
            {"prod": {"videoforge_domain": "Dev.Video-Forge.cab432.com."}},
            "the site domain dev.video-forge.cab432.com",
        ),
        (
            # A second copy of dev with names of its own but the same environment: one user pool.
            "site.yml",
            {"qa": {"videoforge_domain": "qa.video-forge.cab432.com", "videoforge_bucket": "video-forge-qa"}},
            "the user pool video-forge-dev-users",
        ),
    ],
    ids=["site-shared-bucket", "teardown-shared-domain", "site-shared-user-pool"],
)
def test_a_run_sharing_a_name_with_another_inventory_stops_before_any_aws_play(
    tmp_path, playbook, changes, shared
):
    tree = inventories(tmp_path, **changes)
    run = compute.run_playbooks(str(tree / "dev"), playbook, "--check", env=NOWHERE)
    assert run.returncode != 0, run.stdout[-3000:]
    other = next(iter(changes))
    assert f"{tree / 'dev'} and {tree / other} both declare {shared}" in " ".join(run.stdout.split())
    plays = [line.rstrip("* ") for line in run.stdout.splitlines() if line.startswith("PLAY [")]
    assert plays == ["PLAY [Check no other environment declares this one's names]"]
