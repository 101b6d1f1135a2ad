"""Timing that tells the truth, in the spirit of IPython's `%timeit`.

The lab timed one first call with `time.time()`: JAX's compile, SymPy's derivation and NumPy's
work all in one number, measured once. Here setup (derive, trace, compile) is reported apart from
the first call and from warm evaluations; JAX results are waited for (`block_until_ready`) so
asynchronous dispatch does not flatter it; garbage collection is off while timing.

`quick` mode spends a small fixed budget per method (still a warm-up first), so the magic's output
appears in about a second; `full` mode grows the loop count (1, 2, 5, 10, 20, ...) until one run
takes about 0.2 s and repeats seven times, as `%timeit` does.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diffmagic.methods.jax_engine import block

MODES = ("quick", "full")
QUICK_BUDGET_S = 0.12
#: What quick timing may spend on a whole comparison, shared among its rows: a default cell
#: answers in a few seconds whatever the function (a point-by-point fallback included).
QUICK_CELL_BUDGET_S = 2.0
#: A timing costs about this many calls (first call, loop sizing, three runs).
CALLS_PER_TIMING = 6
#: Fewest points a slow method is timed on before it is skipped instead.
FEWEST_TIMED_POINTS = 100
QUICK_RUN_TARGET_S = 0.01
FULL_RUN_TARGET_S = 0.2
FULL_REPEAT = 7
#: A row says its runs were disturbed when the figure it reports (the median run) is this many
#: times the fastest run: then the machine's load, not the method, set that figure. One slow run
#: among steady ones moves no median and says nothing.
NOISE_WARNING = 2.0
#: What the first-call cell says when the first call cost no more than a warm one (nothing was
#: compiled or loaded for it): a smaller figure there would only be noise, and would read as a
#: first call faster than a warm one.
NO_ONE_OFF_COST = "≈ warm"
#: Marks a time measured on fewer points and scaled (the row's note says from how many).
SCALED_MARK = "≈"


def format_time(seconds: float | None) -> str:
    """`1.23 ms`, `456 µs`: three significant digits in the unit that suits the value."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclass(frozen=True)
class Timing:
    """Where one method's time goes; all figures in seconds, at `points` points.

    First call and warm runs are measured on the same `timed_points` points. When those are
    fewer than `points` (a slow method), every warm run is scaled by points / timed_points, and
    the first call is that scaled warm time plus what the first call cost beyond a warm run (a
    compile is paid once, whatever the number of points: it is not scaled).
    """

    setup_s: float
    first_call_s: float
    eval_s: float
    best_s: float
    worst_s: float
    loops: int
    repeat: int
    points: int
    mode: str
    #: Evaluations were timed on fewer points and scaled (slow methods, point-by-point
    #: fallbacks); 0 means `points`.
    timed_points: int = 0
    all_runs: list[float] = field(default_factory=list)

    @property
    def scaled(self) -> bool:
        """True when the times were measured on fewer points than `points` and scaled."""
        return 0 < self.timed_points != self.points

    @property
    def one_off(self) -> bool:
        """True when the first call cost more than a warm one (a compile, a first allocation)."""
        return self.first_call_s > self.eval_s

    @property
    def warning(self) -> str | None:
        """What to make of the figure when the runs were disturbed (NOISE_WARNING), else None."""
        if self.best_s > 0 and self.eval_s > NOISE_WARNING * self.best_s:
            return (
                f"the runs varied (median {self.eval_s / self.best_s:.1f}x the fastest, "
                f"{format_time(self.best_s)}): the machine was busy; the fastest run is nearer "
                "what it costs"
            )
        return None

    def cells(self) -> tuple[str, str]:
        """(warm eval, first call) as a table shows them: ≈ before a scaled time, and
        NO_ONE_OFF_COST for a first call that cost no more than a warm one."""
        mark = SCALED_MARK if self.scaled else ""
        warm = mark + format_time(self.eval_s)
        first = mark + format_time(self.first_call_s) if self.one_off else NO_ONE_OFF_COST
        return warm, first

    def __str__(self) -> str:
        warm, first = self.cells()
        measured = f", timed on {self.timed_points:,} points and scaled" if self.scaled else ""
        text = (
            f"setup {format_time(self.setup_s)}, first call {first}, "
            f"warm {warm} per evaluation at {self.points:,} points{measured} "
            f"(best {format_time(self.best_s)}, {self.repeat} runs of {self.loops} loops)"
        )
        return text if self.warning is None else f"{text}; {self.warning}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "setup_s": self.setup_s,
            "first_call_s": self.first_call_s,
            "eval_s": self.eval_s,
            "best_s": self.best_s,
            "worst_s": self.worst_s,
            "loops": self.loops,
            "repeat": self.repeat,
            "points": self.points,
            "mode": self.mode,
            "timed_points": self.timed_points or self.points,
        }


def _run(call: Callable[[], Any], loops: int) -> float:
    started = time.perf_counter()
    for _ in range(loops):
        block(call())
    return time.perf_counter() - started


def _loops_for(call: Callable[[], Any], target_s: float) -> tuple[int, float]:
    """Loops per run, grown 1, 2, 5, 10, 20, 50, ... until one run takes `target_s`.

    The steps of Python's `timeit.autorange` (which `%timeit` uses): with powers of ten alone a
    run can overshoot the target nearly tenfold, and seven runs of it take seconds.
    """
    for decade in range(8):
        for step in (1, 2, 5):
            loops = step * 10**decade
            elapsed = _run(call, loops)
            if elapsed >= target_s:
                return loops, elapsed
    return loops, elapsed


def measure(
    call: Callable[[], Any], *, mode: str = "quick", budget_s: float = QUICK_BUDGET_S
) -> tuple[float, int, list[float]]:
    """(first call seconds, loops per run, seconds per evaluation of each run).

    Quick mode: runs of at least QUICK_RUN_TARGET_S, repeated while the budget lasts (3 to 7
    runs). Full mode: runs of at least FULL_RUN_TARGET_S, FULL_REPEAT of them.
    """
    if mode not in MODES:
        raise ValueError(f"timing mode must be one of {MODES}, not {mode!r}")
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        first_call_s = _run(call, 1)
        target_s = QUICK_RUN_TARGET_S if mode == "quick" else FULL_RUN_TARGET_S
        loops, elapsed = _loops_for(call, target_s)
        runs = [elapsed / loops]
        wanted = FULL_REPEAT if mode == "full" else 3
        while len(runs) < wanted or (
            mode == "quick" and len(runs) < FULL_REPEAT and sum(runs) * loops < budget_s
        ):
            runs.append(_run(call, loops) / loops)
        return first_call_s, loops, runs
    finally:
        if gc_was_enabled:
            gc.enable()


#: Points for the probe call that sizes the timing of slow methods: few, because the probe
#: itself must fit the budget (numdifftools' f'' costs 0.6 s on 10,000 points).
PROBE_POINTS = 1_000
#: A slow method is timed on as many points as one call of this length allows (by mode).
CALL_LIMIT_S = {"quick": 0.05, "full": 1.0}


def affordable_points(
    make_call: Callable[[int], Callable[[], Any]], wanted: int, limit_s: float
) -> int:
    """A power of ten of points (at least PROBE_POINTS) one call of which fits `limit_s`.

    Probed on PROBE_POINTS, then on ten times more while a probe costs under a tenth of the
    limit: a small probe is mostly overhead and would undercount what fits, a big one of a
    slow method would spend the budget on the probe.
    """
    probe = PROBE_POINTS
    while True:
        call = make_call(probe)
        block(call())
        seconds = max(_run(call, 1), 1e-9)
        affordable = limit_s / seconds * probe
        if affordable >= wanted:
            return wanted
        if 10 * seconds >= limit_s or 10 * probe >= wanted:
            return max(PROBE_POINTS, 10 ** math.floor(math.log10(affordable)))
        probe *= 10


def time_method(
    setup_s: float,
    make_call: Callable[[int], Callable[[], Any]],
    *,
    points: int,
    mode: str = "quick",
    slow: bool = False,
    max_points: int | None = None,
) -> Timing:
    """Time a prepared derivative at `points` points.

    `max_points` caps the points actually timed (the budget's share for a method whose cost
    per point is known); the times are scaled to `points` as for a slow method.

    A `slow` method (SciPy's adaptive differences, a point-by-point fallback) is first probed on
    PROBE_POINTS points; when one call at `points` would take longer than the mode's
    CALL_LIMIT_S, it is timed on fewer points and the times are scaled linearly (the work is per
    point), and `timed_points` says so.
    """
    if mode not in MODES:
        raise ValueError(f"timing mode must be one of {MODES}, not {mode!r}")
    measured_points = points
    if max_points is not None and max_points < points:
        measured_points = max(FEWEST_TIMED_POINTS, max_points)
    elif slow and points > PROBE_POINTS:
        measured_points = affordable_points(make_call, points, CALL_LIMIT_S[mode])
    call = make_call(measured_points)
    first_call_s, loops, runs = measure(call, mode=mode)
    scale = points / measured_points
    measured_median = statistics.median(runs)
    runs = sorted(run * scale for run in runs)
    eval_s = statistics.median(runs)
    return Timing(
        setup_s=setup_s,
        # The first call's cost beyond a warm run (a compile) is paid once: not scaled.
        first_call_s=eval_s + (first_call_s - measured_median),
        eval_s=eval_s,
        best_s=runs[0],
        worst_s=runs[-1],
        loops=loops,
        repeat=len(runs),
        points=points,
        mode=mode,
        timed_points=measured_points,
        all_runs=runs,
    )
