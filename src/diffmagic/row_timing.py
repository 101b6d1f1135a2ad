"""Time every working row of a comparison, each within its limit, interrupts kept clean."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic import bounds
from diffmagic import timing as timing_harness
from diffmagic.explain import one_line

if TYPE_CHECKING:
    from diffmagic.methods.base import Prepared
    from diffmagic.results import MethodResult


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
    for index, result in enumerate(timed):
        if progress is not None:
            progress(index / len(timed), result.label)
        result.notes = [note for note in result.notes if note not in result.timing_notes]
        said: list[str] = []
        try:
            finished = _time_one(result, big_grid, (low, high), timing_points, mode, seconds, said)
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
) -> bool:
    """Time one row, its notes into `said`; False when the user interrupted."""
    prepared: Prepared = result.prepared  # type: ignore[assignment]
    low, high = domain

    def make_call(n: int) -> Callable[[], Any]:
        x = big_grid if n == timing_points else np.linspace(low, high, n)
        return prepared.timed_call(x)  # type: ignore[misc]

    try:
        with bounds.time_limit(seconds):
            result.timing = timing_harness.time_method(
                prepared.setup_s,
                make_call,
                points=timing_points,
                mode=mode,
                slow=prepared.slow or prepared.pointwise,
            )
    except bounds.TimeLimitExceeded:
        said.append(f"timing stopped after {seconds:g} s")
        return True
    except KeyboardInterrupt:
        said.append("timing interrupted")
        return False
    except Exception as error:
        said.append(f"timing failed: {one_line(error)}")
        return True
    measured = result.timing.timed_points
    if measured != timing_points:
        said.append(
            f"timed on {measured:,} points and scaled to {timing_points:,} "
            "(its cost grows in proportion to the points)"
        )
    if result.timing.warning:
        said.append(result.timing.warning)
    return True
