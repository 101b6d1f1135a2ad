"""f and each method's f' at points off the grid: tangents, secants, the exact slope at x0.

Numbers only (the figure draws what these return).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from diffmagic.errors import DiffMagicError

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison


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

    np.gradient has values only on the grid, so its slope at x0 is interpolated between grid points.
    """
    low, high = comparison.domain
    if not low <= x0 <= high:
        raise DiffMagicError(f"the tangent point {x0:g} is outside the domain [{low:g}, {high:g}]")
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


def secant_slope(comparison: Comparison, x0: float, dx: float) -> float | None:
    """(f(x0 + dx) - f(x0)) / dx with NumPy's f: the one definition of the secant's slope."""
    from diffmagic.analysis.steps import secant_slopes

    (_, slope), *_ = secant_slopes(lambda x: function_at(comparison, x), x0, (dx,))
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
