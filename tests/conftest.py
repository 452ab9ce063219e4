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
