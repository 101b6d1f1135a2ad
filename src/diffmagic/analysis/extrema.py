"""Critical points: where f' = 0 (or does not exist), and whether each is a minimum or maximum.

The course's recipe for optimisation: the candidates for minima and maxima are the points where
the derivative is zero; the second derivative (or, where it is zero, the sign of f' on either
side) tells which. SymPy solves f' = 0 exactly when it can, under a time limit; otherwise the
sign changes of JAX's f' on a fine grid are refined by Brent's method. Corners such as |x| at 0
are candidates too, and are classified by the sign of f' on either side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure
from diffmagic.methods import ROWS
from diffmagic.running.cache import PREPARED

if TYPE_CHECKING:
    from diffmagic.api.compare import Comparison

ArrayFunction = Callable[[np.ndarray], np.ndarray]
#: Points of the fine grid on which sign changes of f' are looked for.
SEARCH_POINTS = 4001


@dataclass(frozen=True)
class CriticalPoint:
    x: float
    f: float
    kind: str  # "minimum", "maximum" or "neither"
    #: f''(x), None at a corner where it does not exist.
    second_derivative: float | None
    #: How the point was found: "SymPy solved f' = 0", "sign change of f'", "corner".
    found_by: str

    def describe(self, variable: str = "x") -> str:
        curvature = (
            f", f''={self.second_derivative:.4g}" if self.second_derivative is not None else ""
        )
        where = f"{variable} = {self.x:.10g}"
        return f"{self.kind} at {where} (f = {self.f:.6g}{curvature}; {self.found_by})"


def _derivative(comparison: Comparison, order: int) -> ArrayFunction | None:
    """f^(order) as an array function: SymPy's exact form if there is one, else JAX's."""
    for key in ("symbolic", "automatic"):
        try:
            prepared, _ = PREPARED.get_or_prepare(
                key,
                comparison.target,
                order,
                lambda key=key: ROWS[key].prepare(comparison.target, order, comparison.x),
            )
            return prepared.derivative
        except MethodFailure:
            continue
    return None


def _symbolic_zeros(comparison: Comparison) -> list[float] | None:
    """Zeros of f' in the domain by SymPy, or None when it cannot list them in time."""
    if comparison.function_expr is None:
        return None
    import sympy as sp

    symbol = sp.Symbol(comparison.target.wrt, real=True)
    low, high = comparison.domain
    try:
        with bounds.time_limit(2.0) as limit:
            zeros = sp.solveset(
                sp.diff(comparison.function_expr, symbol), symbol, sp.Interval(low, high)
            )
    except bounds.TimeLimitExceeded as error:
        if error.deadline is not limit:
            raise
        return None
    except (NotImplementedError, TypeError, ValueError):
        return None
    if not isinstance(zeros, sp.FiniteSet):
        return None
    return sorted(float(z) for z in zeros if z.is_real)


def _sign_change_zeros(first: ArrayFunction, domain: tuple[float, float]) -> list[float]:
    """Zeros of f' where it changes sign on a fine grid, refined by Brent's method."""
    from scipy.optimize import brentq

    grid = np.linspace(*domain, SEARCH_POINTS)
    with np.errstate(all="ignore"):
        values = first(grid)
    zeros = [float(x) for x, v in zip(grid, values, strict=True) if v == 0.0]
    signs = np.sign(values)
    for i in np.flatnonzero(signs[:-1] * signs[1:] < 0):
        try:
            zeros.append(brentq(lambda t: float(first(np.array([t]))[0]), grid[i], grid[i + 1]))
        except ValueError:
            continue
    return sorted(set(zeros))


def _side_signs(first: ArrayFunction, x: float, width: float) -> tuple[float, float]:
    step = 1e-6 * max(width, 1.0)
    with np.errstate(all="ignore"):
        left, right = first(np.array([x - step, x + step]))
    return float(np.sign(left)), float(np.sign(right))


def _kind(curvature: float | None, signs: tuple[float, float]) -> str:
    if curvature is not None and np.isfinite(curvature) and abs(curvature) > 1e-9:
        return "minimum" if curvature > 0 else "maximum"
    left, right = signs
    if left < 0 < right:
        return "minimum"
    if left > 0 > right:
        return "maximum"
    return "neither"


def critical_points(comparison: Comparison) -> list[CriticalPoint]:
    """Minima, maxima and flat points of f in the comparison's domain."""
    first = _derivative(comparison, 1)
    if first is None or comparison.function is None:
        return []
    second = _derivative(comparison, 2)
    low, high = comparison.domain
    zeros = _symbolic_zeros(comparison)
    found_by = "SymPy solved f' = 0"
    if zeros is None:
        zeros, found_by = _sign_change_zeros(first, (low, high)), "sign change of f'"
    corners: dict[float, str] = {}
    if comparison.order == 1:  # then the singular points are those of f itself
        corners = {p.x: p.kind for p in comparison.singularities if p.kind in ("corner", "cusp")}
    # SymPy's sign(0) = 0 makes |x|'s corner look like a zero of f'; there f' does not exist.
    width = high - low
    candidates = [(x, found_by) for x in zeros if all(abs(x - c) > 1e-9 * width for c in corners)]
    candidates += [(x, f"a {kind}, where f' does not exist") for x, kind in corners.items()]
    points = []
    for x, how in sorted(candidates):
        f_value = float(comparison.function(np.array([x]))[0])
        curvature = None
        if second is not None and how == found_by:
            with np.errstate(all="ignore"):
                curvature = float(second(np.array([x]))[0])
        kind = _kind(curvature, _side_signs(first, x, high - low))
        points.append(CriticalPoint(x, f_value, kind, curvature, how))
    return points


def describe(points: list[CriticalPoint], variable: str = "x") -> list[str]:
    return [point.describe(variable) for point in points] or ["no critical point in the domain"]


def mark(axes: Any, points: list[CriticalPoint], variable: str = "x") -> None:
    """Triangles on the plot of f: up for a minimum, down for a maximum, a dot for neither.

    Each point's words go in the legend ("maximum at x=0"), not next to it: two points close
    together would print their labels over each other and over the curve.
    """
    markers = {"minimum": "^", "maximum": "v", "neither": "o"}
    for point in points:
        axes.plot(
            [point.x],
            [point.f],
            markers[point.kind],
            color="purple",
            markersize=8,
            linestyle="none",
            zorder=5,  # above the tangents
            scalex=False,
            scaley=False,
            label=f"{point.kind} at {variable}={point.x:.4g}",
        )
