"""When the warm fork (plugins/action/_vf_warm_fork.py) is on: the switch, the ansible-core versions
it was tested with, and the private names its controller half relies on. Whole runs with it off
are in tests/integration/test_warm_fork.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ansible.release
import pytest
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "action" / "_vf_warm_fork.py"


def load(monkeypatch, switch: str):
    """The plugin as Ansible imports it, with ``VF_WARM_FORK=switch``; its warnings in ``.warned``."""
    warned: list[str] = []
    monkeypatch.setattr(Display, "warning", lambda self, msg, *args, **kwargs: warned.append(msg))
    monkeypatch.setenv("VF_WARM_FORK", switch)
    spec = importlib.util.spec_from_file_location("vf_warm_fork_under_test", PLUGIN)
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    plugin.warned = warned
    return plugin


@pytest.mark.parametrize("version", ["2.19.0", "2.19.14", "2.19.0rc1"])
def test_the_versions_it_was_tested_with_keep_it_on(monkeypatch, version):
    assert load(monkeypatch, "0").untested_core(version) is None


@pytest.mark.parametrize("version", ["2.18.9", "2.20.0", "3.0.0", "devel"])
def test_any_other_version_turns_it_off(monkeypatch, version):
    reason = load(monkeypatch, "0").untested_core(version)
    assert reason == f"ansible-core {version} is not a version it was tested with (>= 2.19, < 2.20)"


def test_the_environment_overrides_ansible_cfg(monkeypatch, tmp_path):
    plugin = load(monkeypatch, "0")
    config, other = tmp_path / "ansible.cfg", tmp_path / "other.cfg"
    config.write_text("[videoforge]\nwarm_fork = false\n")
    other.write_text("[defaults]\n")
    assert plugin.WARM is None and plugin.warned == []  # switched off: no warning
    monkeypatch.delenv("VF_WARM_FORK")
    assert plugin.switched_on(str(config)) is False
    assert plugin.switched_on(str(other)) is True
    monkeypatch.setenv("VF_WARM_FORK", "true")
    assert plugin.switched_on(str(config)) is True


def test_an_ansible_core_it_was_not_tested_with_turns_it_off_with_a_warning(monkeypatch):
    monkeypatch.setattr(ansible.release, "__version__", "2.20.0")
    plugin = load(monkeypatch, "1")
    assert plugin.WARM is None
    assert plugin.warned == [
        "VideoForge's warm fork is off, ansible-core 2.20.0 is not a version it was tested with "
        "(>= 2.19, < 2.20); modules run the ordinary way."
    ]


def test_a_private_name_gone_from_the_controller_turns_it_off_with_a_warning(monkeypatch):
    monkeypatch.delattr(ActionBase, "_parse_returned_data")
    plugin = load(monkeypatch, "1")
    assert plugin.WARM is None
    assert plugin.warned == [
        "VideoForge's warm fork is off, AttributeError: type object 'ActionModule' has no attribute "
        "'_parse_returned_data'; modules run the ordinary way."
    ]
