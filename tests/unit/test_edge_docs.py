"""Every module of the edge and messaging area documents itself: `ansible-doc -M library NAME` renders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "vf_security_group",
    "vf_vpc_info",
    "vf_target_groups",
    "vf_load_balancer",
    "vf_listener_rules",
    "vf_acm_certificate",
    "vf_sqs_queue",
    "vf_s3_bucket",
    "vf_cognito_user_pool",
    "vf_ssm_parameters",
]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_HOME": str(ROOT / ".ansible")}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", "--json", module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    import json

    doc = json.loads(proc.stdout)[module]
    assert doc["doc"]["short_description"]
    assert doc["examples"].strip()
    assert doc["return"]
    options = doc["doc"]["options"]
    # The shared AWS options come from the vf_aws doc fragment.
    assert {"region", "endpoint_url", "retries"} <= set(options)
