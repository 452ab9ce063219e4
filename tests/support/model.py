"""The declared model (inventories/dev/group_vars/all/catalog.yml) as the tests receive it:
the ladder, the processor's limits and its environment come from there, never restated.

``processor_environment()`` renders the catalog's own ``videoforge_processor_environment``
mapping (as Ansible would: the values are Jinja over the catalog), so a test worker gets
exactly what the roles give a deployed one.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "inventories" / "dev" / "group_vars" / "all" / "catalog.yml"


@functools.cache
def catalog() -> dict:
    return yaml.safe_load(CATALOG.read_text())


def api_prefixes() -> dict[str, str]:
    """Service -> its API prefix, as the roles give it to the services (API_PREFIXES)."""
    from tools.api_prefixes import api_prefixes as declared

    return declared(CATALOG)


def rendition_names() -> tuple[str, ...]:
    return tuple(r["name"] for r in catalog()["videoforge_rendition_ladder"])


def ladder():
    """The ladder as the processor parses it (processor.config.Rung, highest first)."""
    from processor.config import parse_ladder

    return parse_ladder(json.dumps(catalog()["videoforge_rendition_ladder"]))


def media_limits():
    from processor.limits import MediaLimits

    return MediaLimits.from_json(json.dumps(catalog()["videoforge_processor"]["media_limits"]))


def processor_environment(**overrides: str) -> dict[str, str]:
    # Environment values, not HTML: nothing to escape.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    env.filters["to_json"] = json.dumps
    model = catalog()
    rendered = {
        name: env.from_string(str(value)).render(model)
        for name, value in model["videoforge_processor_environment"].items()
    }
    return {**rendered, **overrides}


@functools.cache
def _plugins() -> None:
    """Ansible's plugins (lookups such as the image tag's git pipe, filters), loaded once."""
    from ansible.plugins.loader import init_plugin_loader

    init_plugin_loader()


def templar(env: str, playbook: str | None = None, roles: tuple[str, ...] = (), **extra):
    """Ansible's templar over what a play sees: inventory ``env``'s variables, the ``vars`` of the
    first play of ``playbook`` (a path under the repository; past the playbooks it imports), each
    role's defaults and vars, and ``extra`` on top. ``templar.template("{{ images_build_args }}")``
    renders as the play would."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.manager import VariableManager

    _plugins()
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(ROOT / "inventories" / env)])
    variables = dict(
        VariableManager(loader=loader, inventory=inventory).get_vars(host=inventory.get_host("localhost"))
    )
    variables["playbook_dir"] = str(ROOT / "playbooks")
    for role in roles:
        for part in ("defaults", "vars"):
            path = ROOT / "roles" / role / part / "main.yml"
            if path.exists():
                variables.update(loader.load_from_file(str(path), trusted_as_template=True) or {})
    if playbook:
        plays = loader.load_from_file(str(ROOT / playbook), trusted_as_template=True)
        variables.update(next(play for play in plays if "hosts" in play).get("vars", {}))
    variables.update(extra)
    return Templar(loader=loader, variables=variables)
