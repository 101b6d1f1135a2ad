"""f and each method's f' at points off the grid: tangents, secants, the exact slope at x0.

Numbers only (the figure draws what these return).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from diffmagic.errors import DiffMagicError

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison

T = TypeVar("T")


def function_at(comparison: Comparison, points: np.ndarray) -> np.ndarray:
    """f at any points (not only the grid), with NumPy; NaN where it cannot be evaluated."""
    points = np.asarray(points, dtype=np.float64)
    if comparison.function is None:
        return np.full(points.shape, np.nan)
    try:
        return comparison.function(points)
    except Exception:
        return np.full(points.shape, np.nan)


def tangent_slopes(
    comparison: Comparison, x0: float
) -> tuple[float | None, dict[str, float | None]]:
    """f(x0) and each method's f'(x0): the slopes of the tangent lines drawn at x0.

    np.gradient has values only on the grid, so its slope at x0 is interpolated between grid
    points. f and the rows' derivatives run again here, under the one guard and the
    comparison's method time limit: when they do not finish, nothing is drawn at x0 and the
    comparison's notes say why.
    """
    low, high = comparison.domain
    if not low <= x0 <= high:
        raise DiffMagicError(f"the tangent point {x0:g} is outside the domain [{low:g}, {high:g}]")
    found = _guarded(comparison, lambda: _slopes(comparison, x0), f"the tangents at {x0:g}")
    if found is None:
        return None, {result.key: None for result in comparison}
    return found


def _slopes(comparison: Comparison, x0: float) -> tuple[float | None, dict[str, float | None]]:
    f0 = float(function_at(comparison, np.array([x0]))[0])
    slopes: dict[str, float | None] = {}
    for result in comparison:
        if not result.ok or result.derivative is None:
            slopes[result.key] = None
            continue
        try:
            if result.key == "numerical":
                slopes[result.key] = float(np.interp(x0, comparison.x, result.values))
            else:
                with np.errstate(all="ignore"):
                    slopes[result.key] = float(result.derivative(np.array([x0]))[0])
        except Exception:
            slopes[result.key] = None
    return (f0 if np.isfinite(f0) else None), slopes


def _guarded(comparison: Comparison, work: Callable[[], T], what: str) -> T | None:
    """`work()` (which calls f) under the one guard and the comparison's method time limit;
    None when it did not finish, with the reason added to the comparison's notes once."""
    from diffmagic.limits.guard import Failure, guarded

    outcome = guarded(
        work,
        seconds=comparison.method_time_limit,
        name=comparison.target.name,
        describe_timeout=lambda limit: f"it took longer than {limit:g} s",
        describe_user_timeout=lambda limit, culprit: (
            f"{culprit} took longer than {limit:g} s (does it sleep or loop?); raise "
            "method_time_limit"
        ),
        passthrough=(DiffMagicError,),
    )
    if not isinstance(outcome, Failure):
        return outcome
    note = f"{what} are not drawn: {outcome.reason}"
    if note not in comparison.notes:
        comparison.notes.append(note)
    return None


def secant_slope(comparison: Comparison, x0: float, dx: float) -> float | None:
    """(f(x0 + dx) - f(x0)) / dx with NumPy's f: the one definition of the secant's slope."""
    from diffmagic.analysis.steps import secant_slopes

    found = _guarded(
        comparison,
        lambda: secant_slopes(lambda x: function_at(comparison, x), x0, (dx,)),
        f"the secant through {x0:g}",
    )
    if found is None:
        return None
    (_, slope), *_ = found
    return slope if np.isfinite(slope) else None


def tangents(
    comparison: Comparison, x0: float, dx: float | None = None
) -> tuple[float | None, dict[str, float | None], float | None]:
    """(f(x0), each row's f'(x0), the secant's slope through x0 and x0 + dx or None): what the
    figure's moving lines are drawn from."""
    f0, slopes = tangent_slopes(comparison, x0)
    secant = None if dx is None or f0 is None else secant_slope(comparison, x0, dx)
    return f0, slopes, secant


@dataclass(frozen=True)
class AtPoint:
    """Everything shown about one point x0: f(x0), each row's slope there, and the course's
    secants (dx, slope, error against the exact f'(x0)) closing in on the tangent."""

    x0: float
    f0: float | None
    slopes: dict[str, float | None]
    secants: list[tuple[float, float, float | None]] = field(default_factory=list)


def at_point(comparison: Comparison, x0: float) -> AtPoint:
    f0, slopes = tangent_slopes(comparison, x0)
    secants = []
    if comparison.order == 1 and comparison.function is not None:
        secants = comparison.secants(x0)
    return AtPoint(x0=float(x0), f0=f0, slopes=slopes, secants=secants)
