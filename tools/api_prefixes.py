"""Print the model's API prefixes (service -> where its API lives behind the edge) as JSON: what
the client's build receives as VF_API_PREFIXES (apps/client/Makefile, vite.config.js).

    python tools/api_prefixes.py [CATALOG]

The catalog declares each prefix once (``videoforge_services.<name>.api_prefix``); the roles
give the services the same mapping (``videoforge_api_prefixes``, API_PREFIXES).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

CATALOG = Path(__file__).resolve().parents[1] / "inventories" / "dev" / "group_vars" / "all" / "catalog.yml"


def api_prefixes(catalog: Path = CATALOG) -> dict[str, str]:
    services = yaml.safe_load(catalog.read_text())["videoforge_services"]
    return {name: entry["api_prefix"] for name, entry in services.items() if "api_prefix" in entry}


if __name__ == "__main__":
    print(json.dumps(api_prefixes(Path(sys.argv[1]) if len(sys.argv) > 1 else CATALOG)))
