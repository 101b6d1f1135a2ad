"""Issue 13's speed targets for gradients of a loss, measured in one run, written as JSON.

    python benchmarks/bench_gradients.py            # writes benchmarks/gradients.json
    python benchmarks/bench_gradients.py --quick    # n = 100,000 instead of 1,000,000

Every figure with a target is a ratio of two timings taken in the same run. Targets:

- reverse mode: one gradient within 4x of one evaluation of f at n = 1,000,000, for the square
  loss and a sum of elementwise terms (judged against the faster of NumPy's f and jitted f,
  the floor, and reported against both);
- `parameter_study` with default sizes (1 to 100,000) and budgets: fitted slope of cost / f
  against n between 0.8 and 1.2 for numerical and forward, below 0.2 for reverse; the whole
  study under 60 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import diffmagic
from diffmagic.inputs.rebind import rebind
from diffmagic.methods.gradients import warm_seconds
from diffmagic.methods.jax_engine import float64, jax_module

OUTPUT = Path(__file__).with_name("gradients.json")
PICTURE = Path(__file__).resolve().parents[1] / "docs" / "images" / "parameter_study.png"
ROWS = 10


def _losses(n: int) -> dict[str, tuple[Any, np.ndarray]]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, n)) / np.sqrt(n)
    y = rng.normal(size=ROWS)

    def square_loss(w):
        return np.sum((X @ w - y) ** 2)

    def elementwise(w):
        return np.sum(np.sin(w) ** 2 + 0.5 * w**2 + np.log(1 + np.exp(-w)))

    point = rng.normal(size=n)
    return {"square_loss": (square_loss, point), "sum_of_elementwise_terms": (elementwise, point)}


def reverse_against_f(n: int) -> dict[str, Any]:
    """One reverse-mode gradient against one f, NumPy's and jitted, at n parameters."""
    jax = jax_module()
    results = {}
    for name, (loss, point) in _losses(n).items():
        numpy_f = rebind(loss, "numpy")
        numpy_s, _ = warm_seconds(lambda loss=numpy_f, p=point: loss(p), budget_s=0.5)
        jax_loss = rebind(loss, "jax")
        with float64():
            on_device = jax.numpy.asarray(point)
            jitted_f = jax.jit(jax_loss)
            gradient = jax.jit(jax.grad(jax_loss))
            jitted_f(on_device).block_until_ready()
            gradient(on_device).block_until_ready()
            jitted_s, _ = warm_seconds(lambda c=jitted_f, x=on_device: c(x), budget_s=0.5)
            reverse_s, _ = warm_seconds(lambda c=gradient, x=on_device: c(x), budget_s=0.5)
        floor = min(numpy_s, jitted_s)
        ratio = reverse_s / floor
        results[name] = {
            "n": n,
            "f_numpy_s": numpy_s,
            "f_jit_s": jitted_s,
            "reverse_s": reverse_s,
            "reverse_over_f_numpy": reverse_s / numpy_s,
            "reverse_over_f_jit": reverse_s / jitted_s,
            "reverse_over_floor": ratio,
            "target": "reverse_over_floor <= 4",
            "met": bool(ratio <= 4.0),
        }
    return results


def study_targets() -> dict[str, Any]:
    """The default parameter study of the elementwise loss, its slopes and its wall time."""
    loss, _ = _losses(10)["sum_of_elementwise_terms"]
    started = time.perf_counter()
    study = diffmagic.parameter_study(loss, progress=False)
    wall_s = time.perf_counter() - started
    # The README's picture of this very run (its timings cannot be redrawn, only re-measured).
    study.figure().savefig(PICTURE, dpi=100)
    slopes = study.slopes
    targets = {
        "numerical": (0.8, 1.2),
        "forward": (0.8, 1.2),
        "reverse": (None, 0.2),
    }
    verdicts = {}
    for key, (low, high) in targets.items():
        slope = slopes.get(key)
        met = slope is not None and (low is None or slope >= low) and slope <= high
        verdicts[key] = {"slope": slope, "range": [low, high], "met": bool(met)}
    return {
        "sizes": study.sizes,
        "f_seconds": study.f_seconds,
        "seconds": study.seconds,
        "cost_in_f": {key: study.cost_in_f(key) for key in study.seconds},
        "slopes": slopes,
        "slope_targets": verdicts,
        "stopped": study.stopped,
        "wall_s": wall_s,
        "wall_target": "under 60 s",
        "wall_met": bool(wall_s < 60),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 100,000 for the reverse target")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    options = parser.parse_args()
    n = 100_000 if options.quick else 1_000_000
    report = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "reverse_within_4x_of_f": reverse_against_f(n),
        "parameter_study": study_targets(),
    }
    options.output.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
