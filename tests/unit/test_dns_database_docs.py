"""The DNS and database modules document themselves: `ansible-doc -M library NAME` renders, and
the documented options are exactly the ones the module takes (its own and the shared base's)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["vf_route53_record", "vf_rds_instance", "vf_rds_subnet_group"]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_exactly_the_options_the_module_takes(module):
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
    doc = json.loads(proc.stdout)[module]
    assert doc["doc"]["short_description"] and doc["examples"].strip() and doc["return"]
    from ansible.module_utils.vf_module import module_args

    code = importlib.import_module(module)
    takes = set(module_args(code.OPTIONS, tags=module != "vf_route53_record")["argument_spec"])
    assert set(doc["doc"]["options"]) == takes
