"""Time every working row of a comparison, each within its limit, interrupts kept clean."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.limits import bounds
from diffmagic.limits.guard import Failure, guarded
from diffmagic.running import timing as timing_harness
from diffmagic.running.timing import format_time

if TYPE_CHECKING:
    from diffmagic.methods.base import Prepared
    from diffmagic.results.method_result import MethodResult


def time_results(
    results: Mapping[str, MethodResult],
    domain: tuple[float, float],
    timing_points: int,
    mode: str = "quick",
    progress: Callable[[float, str], None] | None = None,
    seconds: float = bounds.METHOD_SECONDS,
) -> bool:
    """Time every working row at `timing_points` points; False when interrupted.

    `progress(fraction, label)` is called before each method. An interrupt (the kernel's stop
    button) ends the timing cleanly: rows already timed keep their figures. Timing again
    replaces what the last timing said in a row's notes, never adds a second copy.
    """
    low, high = domain
    big_grid = np.linspace(low, high, timing_points)
    timed = [r for r in results.values() if r.ok and r.prepared and r.prepared.timed_call]
    share_s = timing_harness.QUICK_CELL_BUDGET_S / max(len(timed), 1)
    for index, result in enumerate(timed):
        if progress is not None:
            progress(index / len(timed), result.label)
        result.notes = [note for note in result.notes if note not in result.timing_notes]
        said: list[str] = []
        try:
            finished = _time_one(
                result, big_grid, (low, high), timing_points, mode, seconds, said, share_s
            )
        finally:
            result.timing_notes = said
            result.notes.extend(said)
        if not finished:
            return False
    if progress is not None:
        progress(1.0, "done")
    return True


def _time_one(
    result: MethodResult,
    big_grid: np.ndarray,
    domain: tuple[float, float],
    timing_points: int,
    mode: str,
    seconds: float,
    said: list[str],
    share_s: float = timing_harness.QUICK_CELL_BUDGET_S,
) -> bool:
    """Time one row, its notes into `said`; False when the user interrupted.

    In quick mode a row whose cost per point is known (from its evaluation on the grid) is
    timed on as many points as its share of the cell's budget allows, and not at all when even
    a hundred points would overrun it: then it says so, and how to measure it anyway.
    """
    prepared: Prepared = result.prepared  # type: ignore[assignment]
    low, high = domain
    max_points = None
    slow = prepared.slow or prepared.pointwise
    # A point-by-point fallback costs the same per point at any size: its grid evaluation says
    # what a point costs. (Array code costs mostly overhead on 100 points; it is probed.)
    if mode == "quick" and prepared.pointwise and result.grid_seconds and result.values is not None:
        per_point_s = result.grid_seconds / max(result.values.size, 1)
        max_points = int(share_s / timing_harness.CALLS_PER_TIMING / max(per_point_s, 1e-12))
        if max_points < timing_harness.FEWEST_TIMED_POINTS:
            why = "point-by-point fallback" if prepared.pointwise else "slow per point"
            result.timing = None
            said.append(
                f"timing skipped: {why} ({format_time(per_point_s)} a point); "
                "timing_mode='full' (--timing full) measures it"
            )
            return True

    def make_call(n: int) -> Callable[[], Any]:
        x = big_grid if n == timing_points else np.linspace(low, high, n)
        return prepared.timed_call(x)  # type: ignore[misc]

    def measure() -> timing_harness.Timing:
        return timing_harness.time_method(
            prepared.setup_s,
            make_call,
            points=timing_points,
            mode=mode,
            slow=slow,
            max_points=max_points,
        )

    try:
        outcome = guarded(
            measure,
            seconds=seconds,
            name=result.label,
            describe_timeout=lambda limit: f"timing stopped after {limit:g} s",
        )
    except KeyboardInterrupt:
        said.append("timing interrupted")
        return False
    if isinstance(outcome, Failure):
        said.append(outcome.reason if outcome.timed_out else f"timing failed: {outcome.reason}")
        return True
    result.timing = outcome
    if result.timing.scaled:
        said.append(
            f"{timing_harness.SCALED_MARK} times: timed on {result.timing.timed_points:,} points "
            f"and scaled to {timing_points:,} (its cost grows in proportion to the points)"
        )
    if result.timing.warning:
        said.append(result.timing.warning)
    return True
