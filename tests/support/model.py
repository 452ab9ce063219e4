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
