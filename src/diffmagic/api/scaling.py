"""How the cost of each derivative grows: with the number of points, and with f's depth.

`scaling_sweep` times every row from 10**2 to 10**6 points (a straight line of slope 1 on the
log-log plot is work per point; a flat start is fixed overhead such as dispatch). `depth_study`
repeats the lab's composed polynomial at growing depth: setup (SymPy's derivation, JAX's
compile) and warm time against depth, per method, which is where expression swell shows.

Both report progress and stop cleanly on an interrupt, keeping what they measured.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.api.compare import DEFAULT_METHODS, Comparison, compare
from diffmagic.methods.base import Work
from diffmagic.running import timing as timing_harness
from diffmagic.running.progress import Progress, default_progress
from diffmagic.running.timing import format_time
from diffmagic.views.tables import aligned_table

SWEEP_POINTS = (100, 1_000, 10_000, 100_000, 1_000_000)


def _table(first: str, columns: list[Any], rows: dict[str, list[str]]) -> str:
    """An aligned text table: one row per method, one column per measurement."""
    header = [first, *(str(c) for c in columns)]
    return aligned_table(header, [[label, *cells] for label, cells in rows.items()], rule=False)


class _Shown:
    """Displays as its figure and its table, in a notebook or a terminal."""

    def figure(self) -> Any:
        raise NotImplementedError

    def table(self) -> str:
        raise NotImplementedError

    #: The figure's alt text: what it shows, in words.
    alt = "seconds per evaluation of each method's derivative"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        import base64

        from diffmagic.views.images import figure_bytes

        png = base64.b64encode(figure_bytes(self.figure(), "png")).decode("ascii")
        table = html.escape(self.table())
        return {
            "text/html": f"<img alt='{html.escape(self.alt)}' src='data:image/png;base64,{png}'>"
            f"<pre>{table}</pre>",
            "text/plain": self.table(),
        }


@dataclass
class Sweep(_Shown):
    """Seconds per evaluation, by row label, at each number of points (None: not measured)."""

    alt = "seconds per evaluation against the number of points, one line per method and engine"

    points: list[int]
    seconds: dict[str, list[float | None]] = field(default_factory=dict)
    interrupted: bool = False

    def figure(self) -> Any:
        from diffmagic.views.shown_figure import ShownFigure

        figure = ShownFigure(figsize=(7, 4.5), alt=self.alt)
        axes = figure.subplots()
        for label, seconds in self.seconds.items():
            measured = [(n, s) for n, s in zip(self.points, seconds, strict=True) if s]
            if measured:
                axes.loglog(*zip(*measured, strict=True), marker="o", label=label)
        axes.set_xlabel("points")
        axes.set_ylabel("seconds per evaluation")
        axes.set_title("time per evaluation against points" + (" (interrupted)" * self.interrupted))
        axes.grid(alpha=0.3, which="both")
        axes.legend(fontsize=8)
        return figure

    def table(self) -> str:
        return _table(
            "seconds per evaluation at points",
            [f"{n:,}" for n in self.points],
            {label: [format_time(s) for s in row] for label, row in self.seconds.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "seconds": self.seconds, "interrupted": self.interrupted}


def _time_row(result: Any, domain: tuple[float, float], points: int, mode: str) -> float | None:
    prepared = result.prepared
    low, high = domain
    measured = timing_harness.time_method(
        prepared.setup_s,
        lambda n: prepared.timed_call(np.linspace(low, high, n)),
        points=points,
        mode=mode,
        slow=prepared.slow or prepared.pointwise,
    )
    return measured.eval_s


def scaling_sweep(
    f: Any,
    points: Iterable[int] = SWEEP_POINTS,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    engines: Sequence[str] | str = ("numpy", "jax"),
    mode: str = "quick",
    progress: Progress | None = None,
    **compare_options: Any,
) -> Sweep:
    """Time each row of `compare(f, ...)` at each number of points."""
    comparison: Comparison = compare(f, methods=methods, engines=engines, **compare_options)
    report = progress or default_progress("sweep")
    sizes = sorted(int(n) for n in points)
    rows = [r for r in comparison if r.ok and r.prepared and r.prepared.timed_call]
    sweep = Sweep(points=sizes, seconds={r.label: [None] * len(sizes) for r in rows})
    steps = max(len(rows) * len(sizes), 1)
    done = 0
    try:
        for row in rows:
            for index, size in enumerate(sizes):
                report(done / steps, f"{row.label} at {size:,} points")
                sweep.seconds[row.label][index] = _time_row(row, comparison.domain, size, mode)
                done += 1
    except KeyboardInterrupt:
        sweep.interrupted = True
    report(1.0, "interrupted" if sweep.interrupted else "done")
    return sweep


COMPOSED_POLYNOMIAL = """
def f_polynomial_simple(x):
    return 2*x**3 - 3*x**2 + 5

def f_polynomial(x):
    for i in range({depth}):
        x = f_polynomial_simple(x)
    return x
"""


@dataclass
class DepthStudy(_Shown):
    """Setup and warm seconds, by row label, for the lab's polynomial at each depth."""

    alt = "setup and warm time of each method against the depth of the composed polynomial"

    depths: list[int]
    setup_s: dict[str, list[float | None]] = field(default_factory=dict)
    eval_s: dict[str, list[float | None]] = field(default_factory=dict)
    work: dict[str, list[Work | None]] = field(default_factory=dict)
    #: Rows whose setup came from the cache (prepared by an earlier call) at that depth.
    cached: dict[str, list[bool]] = field(default_factory=dict)
    interrupted: bool = False

    def table(self) -> str:
        def cell(label: str, index: int) -> str:
            work = self.work[label][index]
            setup = format_time(self.setup_s[label][index])
            cached = " (cached)" if self.cached[label][index] else ""
            size = f"; {work.derivative_text()}" if work else ""
            return f"{setup}{cached} / {format_time(self.eval_s[label][index])}{size}"

        return _table(
            "setup / warm eval; size of f' at depth",
            self.depths,
            {label: [cell(label, i) for i in range(len(self.depths))] for label in self.setup_s},
        )

    def figure(self) -> Any:
        from diffmagic.views.shown_figure import ShownFigure

        figure = ShownFigure(figsize=(10, 4), alt=self.alt)
        setup_axes, eval_axes = figure.subplots(1, 2)
        for axes, data, title in (
            (setup_axes, self.setup_s, "setup (derive, trace, compile)"),
            (eval_axes, self.eval_s, "warm evaluation"),
        ):
            for label, seconds in data.items():
                measured = [(d, s) for d, s in zip(self.depths, seconds, strict=True) if s]
                if measured:
                    axes.semilogy(*zip(*measured, strict=True), marker="o", label=label)
            axes.set_xlabel("depth of the composed polynomial")
            axes.set_ylabel("seconds")
            axes.set_title(title)
            axes.grid(alpha=0.3, which="both")
        eval_axes.legend(fontsize=8)
        return figure

    def to_dict(self) -> dict[str, Any]:
        return {
            "depths": self.depths,
            "setup_s": self.setup_s,
            "eval_s": self.eval_s,
            "work": {
                label: [None if w is None else w.to_dict() for w in works]
                for label, works in self.work.items()
            },
            "cached": self.cached,
            "interrupted": self.interrupted,
        }


def depth_study(
    depths: Iterable[int] = range(1, 7),
    methods: Sequence[str] | str = DEFAULT_METHODS,
    engines: Sequence[str] | str = ("numpy",),
    timing_points: int = 100_000,
    domain: tuple[float, float] = (-1.0, 1.5),
    progress: Progress | None = None,
) -> DepthStudy:
    """The lab's `f_polynomial` at each depth: what each method's setup and evaluation cost."""
    report = progress or default_progress("depth")
    levels = list(depths)
    study = DepthStudy(depths=levels)
    try:
        for index, depth in enumerate(levels):
            report(index / len(levels), f"depth {depth}")
            comparison = compare(
                COMPOSED_POLYNOMIAL.format(depth=depth),
                domain=domain,
                methods=methods,
                engines=engines,
                timing=True,
                timing_points=timing_points,
            )
            for row in comparison:
                for table in (study.setup_s, study.eval_s):
                    table.setdefault(row.label, [None] * len(levels))
                study.work.setdefault(row.label, [None] * len(levels))
                study.cached.setdefault(row.label, [False] * len(levels))
                if row.ok and row.timing:
                    study.setup_s[row.label][index] = row.setup_s
                    study.eval_s[row.label][index] = row.timing.eval_s
                    study.work[row.label][index] = row.work
                    study.cached[row.label][index] = row.cached
    except KeyboardInterrupt:
        study.interrupted = True
    report(1.0, "interrupted" if study.interrupted else "done")
    return study
