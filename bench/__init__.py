"""Benchmarks (`make bench`): each writes its figures to bench/results/<name>.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages, recorded beside each figure."""
    return [round(x, 2) for x in os.getloadavg()]


def write_result(name: str, result: dict) -> Path:
    """Write ``result`` to bench/results/<name>.json (the directory is gitignored)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out
