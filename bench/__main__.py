"""`make bench`: run every bench/bench_*.py; each writes its results under bench/results/.

Speed and memory targets live here, never in timed tests: this machine is noisy, so each
benchmark measures ours and the baseline side by side and reports the ratio.
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    (HERE / "results").mkdir(exist_ok=True)
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    for name in names:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        sys.argv = [str(HERE / f"{name}.py")]  # each benchmark parses its own (empty) arguments
        runpy.run_path(sys.argv[0], run_name="__main__")
        print(f"== {name}: {time.monotonic() - started:.1f}s", flush=True)
    print(f"results in {HERE / 'results'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
