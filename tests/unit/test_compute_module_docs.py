"""Every compute module documents itself: ansible-doc renders it with the shared AWS options,
and its documented options are exactly the ones its argument spec accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "vf_ecs_cluster",
    "vf_ecs_task_definitions",
    "vf_ecs_services",
    "vf_app_autoscalings",
    "vf_launch_template",
    "vf_autoscaling_group",
    "vf_metric_alarm",
    "vf_iam_roles",
    "vf_log_groups",
    "vf_scaling_policies",
    "vf_service_discovery",
    "vf_ecr_repository",
]


@pytest.fixture(scope="module")
def docs() -> dict:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_HOME": str(ROOT / ".ansible")}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", "--json", *MODULES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", MODULES)
def test_module_renders_with_examples_return_and_shared_options(docs, name):
    entry = docs[name]
    doc = entry["doc"]
    assert doc["short_description"]
    assert {"region", "endpoint_url", "retries"} <= set(doc["options"])
    assert entry["examples"].strip()
    assert entry["return"]
    if "state" in doc["options"]:
        assert "absent" in doc["options"]["state"]["choices"]


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_match_the_argument_spec(docs, name, monkeypatch):
    import importlib

    captured = {}

    class Stop(Exception):
        pass

    def fake_init(self, argument_spec, **kwargs):
        captured.update(argument_spec)
        raise Stop

    module = importlib.import_module(name)
    monkeypatch.setattr(module.AnsibleModule, "__init__", fake_init)
    with pytest.raises(Stop):
        module.main()
    assert set(captured) == set(docs[name]["doc"]["options"])
