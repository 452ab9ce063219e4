"""Each API prefix is declared once, in the catalog (``videoforge_services.<name>.api_prefix``),
and flows from there: a prefix changed in a copy of the model reaches the listener rule (and so
the local edge, rendered from the same rules), the service's routes, the links the gallery hands
to players, and the client's build."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from tests.support.ansible_runner import ROOT
from tools.api_prefixes import api_prefixes

CLIENT = ROOT / "apps" / "client"
MOVED = "/api/watch"


@pytest.fixture(scope="module")
def moved_model(tmp_path_factory):
    """A copy of the local inventory whose catalog puts the streaming API under /api/watch."""
    inventory = tmp_path_factory.mktemp("model") / "local"
    shutil.copytree(ROOT / "inventories" / "local", inventory, symlinks=False)
    catalog_path = inventory / "group_vars" / "all" / "catalog.yml"
    catalog = catalog_path.read_text()
    assert catalog.count("api_prefix: /api/stream\n") == 1
    catalog_path.write_text(catalog.replace("api_prefix: /api/stream\n", f"api_prefix: {MOVED}\n"))
    return inventory


def rendered(inventory, *keys: str) -> dict:
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(inventory)])
    host_vars = VariableManager(loader=loader, inventory=manager).get_vars(host=manager.get_host("localhost"))
    templar = Templar(loader=loader, variables=host_vars)
    return {key: templar.template(host_vars[key]) for key in keys}


def test_the_listener_rule_and_the_services_mapping_follow_the_declared_prefix(moved_model):
    model = rendered(moved_model, "videoforge_listener_rules", "videoforge_api_prefixes")
    assert model["videoforge_listener_rules"]["streaming-api"]["path_patterns"] == [f"{MOVED}/*"]
    assert model["videoforge_api_prefixes"] == {"gallery": "/api/gallery", "streaming": MOVED}
    # What the client's build gets (tools/api_prefixes.py) is the roles' mapping.
    assert (
        api_prefixes(moved_model / "group_vars" / "all" / "catalog.yml") == model["videoforge_api_prefixes"]
    )


def fresh(name: str):
    """The app module, imported now: its module-level app is built from this environment."""
    module = sys.modules.get(name)
    return importlib.reload(module) if module else importlib.import_module(name)


async def test_the_services_mount_their_routes_and_point_players_under_the_given_prefix(
    moved_model, monkeypatch
):
    monkeypatch.setenv(
        "API_PREFIXES", json.dumps(api_prefixes(moved_model / "group_vars" / "all" / "catalog.yml"))
    )
    from gallery import present

    routes = [rule.rule for rule in fresh("streaming.app").app.url_map.iter_rules()]
    assert f"{MOVED}/video/<uuid:video_id>/playlist" in routes
    assert [r for r in routes if r.startswith("/api/stream")] == []
    gallery = fresh("gallery.app").app
    assert f"{gallery.config['PREFIX']}/videos" in [rule.rule for rule in gallery.url_map.iter_rules()]
    async with gallery.app_context():
        assert present.streaming_videos() == f"{MOVED}/video"


def test_a_service_without_the_models_prefixes_refuses_to_start(monkeypatch):
    monkeypatch.delenv("API_PREFIXES", raising=False)
    from videoforge.web import create_app

    with pytest.raises(RuntimeError, match="API_PREFIXES"):
        create_app("streaming", uses_queue=False)  # builds nothing: the settings are read first


def test_the_clients_build_takes_the_prefixes_from_the_model(moved_model):
    sources = [p for p in (CLIENT / "src").rglob("*") if p.suffix in (".js", ".jsx")]
    assert [
        str(p.relative_to(CLIENT)) for p in sources if "'/api/" in p.read_text() or '"/api/' in p.read_text()
    ] == []
    subprocess.run(["make", "-s", "-C", str(CLIENT), "node_modules/.package-lock.stamp"], check=True)
    # What the Makefile gives the build from that copy of the model...
    catalog = moved_model / "group_vars" / "all" / "catalog.yml"
    echo = ["--eval=print-prefixes: ; @echo $$VF_API_PREFIXES", "print-prefixes"]
    without = {k: v for k, v in os.environ.items() if k != "VF_API_PREFIXES"}
    make = ["make", "-s", "-C", str(CLIENT), f"CATALOG={catalog}", *echo]
    given = subprocess.run(make, capture_output=True, text=True, check=True, env=without).stdout.strip()
    # ...is what the build defines for the client's code.
    load = "const c = (await import('./vite.config.js')).default; console.log(c.define.__VF_API_PREFIXES__)"
    config = subprocess.run(
        ["node", "--input-type=module", "-e", load],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        check=True,
        env={**without, "VF_API_PREFIXES": given},
    ).stdout
    assert json.loads(config)["streaming"] == MOVED
