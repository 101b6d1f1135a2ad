"""diffmagic's speed targets, measured in one run and printed as JSON.

    python benchmarks/bench.py            # everything (a few minutes on 2 cores)
    python benchmarks/bench.py --quick    # fewer repeats, for a smoke run

Machines here are noisy, so every figure that carries a target is a ratio of two timings taken
in the same run: each derivative against the *floor*, the faster of NumPy's f(x) and jitted
f(x) at 1,000,000 points. Targets (from the timing issue):

- the fastest method on each function within 1.5x of the floor;
- every method on the compiled (JAX) engine within 3x of the floor;
- `%%differentiate` with defaults: output within 1.5 s in a warm kernel, 6 s in a fresh one;
- the panel: median time from a control change to the redrawn output, 150 ms or less;
- the whole cell's budget: a default `%%differentiate` (quick timing) answers within 5 s in a
  warm shell on every function of the test corpus, Python `if` included (`--budget-only` runs
  just this one).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import diffmagic
from diffmagic.inputs.rebind import rebind
from diffmagic.inputs.target import make_target
from diffmagic.methods.jax_engine import float64, jax_module
from diffmagic.running import timing as timing_harness

POINTS = 1_000_000

FUNCTIONS = {
    "square": "def f(x):\n    return x**2\n",
    "exp_sin": "import numpy as np\ndef f(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n",
    "composed_polynomial": (
        "def f_polynomial_simple(x):\n    return 2*x**3 - 3*x**2 + 5\n"
        "def f(x):\n    for i in range(3):\n        x = f_polynomial_simple(x)\n    return x\n"
    ),
    "sum_of_20_sines": (
        "import numpy as np\ndef f(x):\n    return sum(np.sin(k * x) / k for k in range(1, 21))\n"
    ),
    "logistic_log_loss": (
        "import numpy as np\ndef f(w, y=1.0, t=0.7):\n"
        "    p = 1 / (1 + np.exp(-w * t))\n"
        "    return -(y * np.log(p) + (1 - y) * np.log(1 - p))\n"
    ),
}
DOMAINS = {"composed_polynomial": (-1.0, 1.5)}


def floor_seconds(source: str, domain: tuple[float, float], mode: str) -> dict[str, float]:
    """One evaluation of f itself at POINTS points, with NumPy and jitted by JAX."""
    target = make_target(source)
    x = np.linspace(*domain, POINTS)
    numpy_f = target.under("numpy")
    _, _, numpy_runs = timing_harness.measure(lambda: numpy_f(x), mode=mode)
    jax = jax_module()
    jax_f = jax.jit(jax.vmap(rebind(target.function, "jax")))
    with float64():
        x_device = jax.numpy.asarray(x)

        def jitted() -> Any:
            with float64():
                return jax_f(x_device)

        _, _, jax_runs = timing_harness.measure(jitted, mode=mode)
    numpy_s, jax_s = statistics.median(numpy_runs), statistics.median(jax_runs)
    return {"numpy_f_s": numpy_s, "jit_f_s": jax_s, "floor_s": min(numpy_s, jax_s)}


def bench_function(name: str, source: str, mode: str) -> dict[str, Any]:
    domain = DOMAINS.get(name, (-5.0, 5.0))
    floor = floor_seconds(source, domain, mode)
    comparison = diffmagic.compare(
        source,
        domain=domain,
        engines=("numpy", "jax"),
        timing=True,
        timing_points=POINTS,
        timing_mode=mode,
        func="f",
    )
    rows = {}
    for row in comparison:
        if not row.ok or row.timing is None:
            rows[row.key] = {"ok": False, "error": row.error}
            continue
        rows[row.key] = {
            "engine": row.engine,
            "setup_s": row.setup_s,
            "eval_s": row.timing.eval_s,
            "ratio_to_floor": row.timing.eval_s / floor["floor_s"],
            "timed_points": row.timing.timed_points,
            "max_rel_error": row.max_rel_error,
        }
    timed = {k: v for k, v in rows.items() if v.get("ok", True)}
    fastest = min(timed, key=lambda k: timed[k]["ratio_to_floor"])
    compiled = {k: v for k, v in timed.items() if v["engine"].startswith("jax")}
    worst_compiled = max(compiled, key=lambda k: compiled[k]["ratio_to_floor"])
    return {
        **floor,
        "rows": rows,
        "fastest": fastest,
        "fastest_ratio": timed[fastest]["ratio_to_floor"],
        "fastest_within_1_5x": timed[fastest]["ratio_to_floor"] <= 1.5,
        "worst_compiled": worst_compiled,
        "worst_compiled_ratio": compiled[worst_compiled]["ratio_to_floor"],
        "compiled_within_3x": compiled[worst_compiled]["ratio_to_floor"] <= 3.0,
    }


MAGIC_CELL = (
    "%%differentiate\nimport numpy as np\ndef f(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n"
)


def bench_magic() -> dict[str, float]:
    """`%%differentiate` with defaults, end to end, in a fresh kernel and then warm."""
    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        kernel_start_s = time.perf_counter() - started
        client.execute_interactive("%load_ext diffmagic", timeout=120)

        def run_cell() -> float:
            begun = time.perf_counter()
            reply = client.execute_interactive(MAGIC_CELL, timeout=300, output_hook=lambda m: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the magic failed in the kernel: {reply['content']}")
            return time.perf_counter() - begun

        fresh_s = run_cell()
        warm_s = statistics.median(run_cell() for _ in range(3))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return {
        "kernel_start_s": kernel_start_s,
        "fresh_kernel_s": fresh_s,
        "warm_kernel_s": warm_s,
        "fresh_within_6s": fresh_s <= 6.0,
        "warm_within_1_5s": warm_s <= 1.5,
    }


def bench_panel() -> dict[str, Any]:
    """Median seconds from a control change to the redrawn output area."""
    results: dict[str, Any] = {}
    for points in (100, 1_000):
        panel = diffmagic.panel(FUNCTIONS["exp_sin"], points=points)
        values = np.linspace(-4, 4, 21)
        seconds = []
        for value in values:
            begun = time.perf_counter()
            panel.x0.value = float(value)
            seconds.append(time.perf_counter() - begun)
        redraw = {"x0_median_s": statistics.median(seconds)}
        seconds = []
        for value in (200, 500, points):
            begun = time.perf_counter()
            panel.points.value = value
            seconds.append(time.perf_counter() - begun)
        redraw["points_median_s"] = statistics.median(seconds)
        redraw["x0_within_150ms"] = redraw["x0_median_s"] <= 0.150
        results[f"{points}_points"] = redraw
    return results


BRANCH_CELL = (
    "def dfdx_abs(x):\n    if x > 0:\n        return 1.0\n    if x < 0:\n        return -1.0\n"
    "    return 0.0\n\ndef f(x):\n    if x > 0:\n        return x**2 + dfdx_abs(x)\n"
    "    return -x\n"
)


def _corpus_cells() -> dict[str, tuple[str, str]]:
    """(magic options, cell) for every function of the test corpus, and a Python-`if` cell."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from corpus import CORPUS

    cells = {"python_if": ("", BRANCH_CELL)}
    for case in CORPUS:
        options = [f"--domain {case.domain[0]!r} {case.domain[1]!r}", f"--order {case.order}"]
        if case.func:
            options.append(f"--func {case.func}")
        if case.wrt:
            options.append(f"--wrt {case.wrt}")
        options += [f"--param {name}={value!r}" for name, value in (case.params or {}).items()]
        cells[case.id] = (" ".join(options), case.source)
    return cells


def bench_cell_budget() -> dict[str, Any]:
    """Seconds of a default `%%differentiate` (quick timing), warm, for each corpus function."""
    from IPython.testing.globalipapp import start_ipython
    from IPython.utils.capture import capture_output

    shell = start_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    seconds: dict[str, float] = {}
    for name, (options, cell) in _corpus_cells().items():
        with capture_output():
            shell.run_cell_magic("differentiate", options, cell)  # warm: derived, compiled
            begun = time.perf_counter()
            shell.run_cell_magic("differentiate", options, cell)
            seconds[name] = time.perf_counter() - begun
    slowest = max(seconds, key=seconds.get)
    return {
        "warm_seconds": seconds,
        "slowest": slowest,
        "slowest_s": seconds[slowest],
        "over_5s": sorted(name for name, value in seconds.items() if value > 5.0),
        "all_within_5s": all(value <= 5.0 for value in seconds.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick timing mode, for a smoke run")
    parser.add_argument("--skip-kernel", action="store_true", help="do not time the magic")
    parser.add_argument(
        "--budget-only", action="store_true", help="only the whole cell's budget, over the corpus"
    )
    options = parser.parse_args()
    if options.budget_only:
        print(json.dumps({"cell_budget": bench_cell_budget()}, indent=1))
        return
    mode = "quick" if options.quick else "full"
    begun = time.perf_counter()
    report: dict[str, Any] = {
        "points": POINTS,
        "mode": mode,
        "python": sys.version.split()[0],
        "jax_backend": jax_module().default_backend(),
        "functions": {
            name: bench_function(name, source, mode) for name, source in FUNCTIONS.items()
        },
        "panel": bench_panel(),
        "cell_budget": bench_cell_budget(),
    }
    if not options.skip_kernel:
        report["magic"] = bench_magic()
    report["total_s"] = time.perf_counter() - begun
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
