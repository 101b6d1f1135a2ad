"""Every automatic-differentiation engine at 10^6 points, against the floor, in one run.

For each function of bench.py: the floor (the faster of NumPy's f(x) and jitted f(x), measured
here), then each engine's row (`automatic`, `automatic@eager`, `autograd`, `torch`, `mygrad`)
timed by diffmagic's own harness: setup, first call and warm call, and the warm call as a
multiple of the floor. Rows whose package is not installed are left out and named.

    python benchmarks/bench_engines.py > benchmarks/engines.json   # --quick: fewer repeats
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import DOMAINS, FUNCTIONS, POINTS, floor_seconds

import diffmagic
from diffmagic.methods import ROWS

ENGINE_ROWS = ("automatic", "automatic@eager", "autograd", "torch", "mygrad")


def bench_engines(name: str, source: str, mode: str, rows: tuple[str, ...]) -> dict[str, Any]:
    domain = DOMAINS.get(name, (-5.0, 5.0))
    floor = floor_seconds(source, domain, mode)
    comparison = diffmagic.compare(
        source,
        domain=domain,
        methods=rows,
        timing=True,
        timing_points=POINTS,
        timing_mode=mode,
        func="f",
    )
    measured: dict[str, Any] = {}
    for row in comparison:
        if not row.ok or row.timing is None:
            measured[row.key] = {"ok": False, "error": row.error, "notes": row.notes}
            continue
        measured[row.key] = {
            "engine": row.engine,
            "setup_s": row.setup_s,
            "first_call_s": row.timing.first_call_s,
            "eval_s": row.timing.eval_s,
            "ratio_to_floor": row.timing.eval_s / floor["floor_s"],
            "timed_points": row.timing.timed_points,
            "max_rel_error": row.max_rel_error,
        }
    return {**floor, "rows": measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick timing mode")
    options = parser.parse_args()
    mode = "quick" if options.quick else "full"
    rows = tuple(key for key in ENGINE_ROWS if ROWS[key].missing is None)
    begun = time.perf_counter()
    report = {
        "points": POINTS,
        "mode": mode,
        "not_installed": [key for key in ENGINE_ROWS if key not in rows],
        "functions": {
            name: bench_engines(name, source, mode, rows) for name, source in FUNCTIONS.items()
        },
    }
    report["total_s"] = time.perf_counter() - begun
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
