"""f and each method's f' at points off the grid: tangents, secants, the exact slope at x0.

Numbers only (the figure draws what these return). Where f' does not exist at x0 (|x| at 0,
floor at 1, 1/x at 0) there is no tangent and no exact slope to measure secants against: the
course shows the two one-sided slopes of a corner instead, and says that a jump or a point
where f has no value has no tangent at all. `no_derivative_at` says which, and each method's
number there is that method's convention, not a slope of f.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from diffmagic.analysis import singular_values
from diffmagic.analysis.singular import KIND_EXPLANATION
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.naming import derivative_name
from diffmagic.methods import directional

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison

#: x0 is a listed point where f' does not exist when it is this close to it, relative to the
#: domain's width (points found numerically are snapped as people write them: 1e-17 is 0).
SAME_POINT = 1e-9
#: SymPy's f' is read this far either side of a corner (relative to max(1, |x0|)), at 30
#: digits: its one-sided slopes, off by about f'' times this.
BESIDE = 1e-12

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


@dataclass(frozen=True)
class NoDerivative:
    """Why the derivative does not exist at x0 ("corner", "cusp", "vertical tangent", "jump",
    "undefined", as `singular` classifies points), with what the course shows there instead."""

    kind: str
    #: f's slopes from the left and from the right, at a corner of f (order 1).
    slopes: tuple[float, float] | None = None
    #: f just left of x0, at x0 and just right of it, at a jump of f (order 1).
    values: tuple[float, float, float] | None = None

    def describe(self, comparison: Comparison, x0: float) -> str:
        """`f'(0) does not exist: a corner of f: ... (slope -1 from the left, 1 from the right)`."""
        name = comparison.target.name
        below = derivative_name(comparison.order - 1, name)
        text = f"{comparison.derivative_name}({x0:g}) does not exist: "
        text += KIND_EXPLANATION[self.kind].format(f=below)
        if self.slopes is not None:
            left, right = self.slopes
            text += f" (slope {left:.6g} from the left, {right:.6g} from the right)"
        if self.values is not None:
            before, at, after = self.values
            text += (
                f" ({below} is {before:.6g} just left of {comparison.target.wrt}0, {at:.6g} at "
                f"it and {after:.6g} just right)"
            )
        return text


def no_derivative_at(comparison: Comparison, x0: float) -> NoDerivative | None:
    """Why the comparison's derivative does not exist at x0, or None where it does.

    A point the comparison lists (`comparison.singularities`, from SymPy's f and f's own
    values) counts, and so does a point where NumPy's f has no value; for f' any other x0 is
    checked on f itself, down a ladder of steps (`singular_values.confirm`, as the graph
    checks its x0), for a corner or a jump the search between grid points did not look at.
    Those calls of f run under the one guard and the method time limit: when they do not
    finish, the comparison's notes say so and nothing is drawn at x0 (the tangents, which
    call f too, give up the same way).
    """
    if comparison.function is None:
        return _why_none(comparison, x0)
    return _guarded(comparison, lambda: _why_none(comparison, x0), f"the tangents at {x0:g}")


def _why_none(comparison: Comparison, x0: float) -> NoDerivative | None:
    low, high = comparison.domain
    near = SAME_POINT * max(high - low, 1.0)
    listed = [point.kind for point in comparison.singularities if abs(point.x - x0) <= near]
    if comparison.function is None:
        return NoDerivative(listed[0]) if listed else None
    f0 = float(function_at(comparison, np.array([x0]))[0])
    if not np.isfinite(f0):
        return NoDerivative("undefined")
    if comparison.order != 1:
        return NoDerivative(listed[0]) if listed else None
    kind = listed[0] if listed else _kind_on_f(comparison, x0)
    if kind == "corner":
        return NoDerivative(kind, slopes=one_sided_slopes(comparison, x0, f0))
    if kind == "jump":
        return NoDerivative(kind, values=_beside(comparison, x0, f0))
    return None if kind is None else NoDerivative(kind)


def _of_flat(comparison: Comparison) -> directional.OfFlat:
    return lambda point: float(function_at(comparison, np.asarray(point, dtype=float))[0])


def _kind_on_f(comparison: Comparison, x0: float) -> str | None:
    """What kind of point x0 is for NumPy's f, asked only inside the domain; None if smooth."""
    eps = singular_values.machine_epsilon(comparison.precision)
    scale = max(1.0, abs(x0))
    try:
        return singular_values.confirm(
            lambda x: function_at(comparison, x), x0, 0.0, 0.1 * scale, eps, comparison.domain
        )
    except Exception:
        return None


def one_sided_slopes(comparison: Comparison, x0: float, f0: float) -> tuple[float, float]:
    """f's slopes from the left and from the right at a corner x0.

    SymPy's f' just beside x0 at 30 digits when there is one (exact but for f'' times
    `BESIDE`); else Richardson-extrapolated one-sided differences of NumPy's f. Values that
    are zero but for that error are shown as 0.
    """
    sides = (np.nan, np.nan)
    if comparison.derivative_expr is not None:
        import sympy as sp

        from diffmagic.analysis.reference import high_precision

        symbol = sp.Symbol(comparison.target.wrt, real=True)
        h = BESIDE * max(1.0, abs(x0))
        left, right = high_precision(comparison.derivative_expr, symbol, np.array([x0 - h, x0 + h]))
        sides = (float(left), float(right))
    if not np.all(np.isfinite(sides)):
        width = comparison.precision if comparison.precision in directional.EPSILON else "float64"
        left_estimate, right_estimate = directional.one_sided(
            _of_flat(comparison), np.array([x0]), np.array([1.0]), f0, width
        )
        sides = (left_estimate.value, right_estimate.value)
    size = 1.0 + max(abs(sides[0]), abs(sides[1]))
    left, right = (0.0 if abs(side) < 1e-9 * size else float(side) for side in sides)
    return left, right


def _beside(comparison: Comparison, x0: float, f0: float) -> tuple[float, float, float]:
    """f just left of x0, at x0 and just right of it: the two sides of a jump."""
    left, right = directional.jump_size(_of_flat(comparison), np.array([x0]), np.array([1.0]), f0)
    return f0 + left, f0, f0 + right


def tangent_slopes(
    comparison: Comparison, x0: float
) -> tuple[float | None, dict[str, float | None]]:
    """f(x0) and each method's f'(x0): the slopes of the tangent lines drawn at x0.

    np.gradient has values only on the grid, so its slope at x0 is interpolated between grid
    points. Where f' does not exist at x0 these are each method's conventions there. f and
    the rows' derivatives run again here, under the one guard and the comparison's method
    time limit: when they do not finish, nothing is drawn at x0 and the comparison's notes
    say why.
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


def secants(comparison: Comparison, x0: float) -> list[tuple[float, float, float | None]]:
    """(dx, (f(x0+dx) - f(x0))/dx, |slope - f'(x0)|) for dx = 1, 0.1, ... 1e-15: the limit.

    Where f' does not exist at x0 nothing is measured against a derivative that is not there:
    the secants come from both sides (dx < 0 too), each measured at a corner against its own
    side's slope and elsewhere against nothing (None); where f has no value at x0, none.
    """
    return _secants(comparison, x0, no_derivative_at(comparison, x0))


def _secants(
    comparison: Comparison, x0: float, missing: NoDerivative | None
) -> list[tuple[float, float, float | None]]:
    from diffmagic.analysis.steps import SECANT_WIDTHS, secant_table

    def f(x: np.ndarray) -> np.ndarray:
        return function_at(comparison, x)

    if missing is None:
        return secant_table(f, x0, comparison.exact_derivative_at(x0))
    if missing.kind == "undefined":
        return []
    left, right = missing.slopes or (None, None)
    from_left = tuple(-width for width in SECANT_WIDTHS)
    return secant_table(f, x0, right) + secant_table(f, x0, left, from_left)


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
    secants (dx, slope, error against the exact f'(x0)) closing in on the tangent; where the
    derivative does not exist there, why (`missing`), and the rows' numbers are conventions."""

    x0: float
    f0: float | None
    slopes: dict[str, float | None]
    secants: list[tuple[float, float, float | None]] = field(default_factory=list)
    missing: NoDerivative | None = None


def at_point(comparison: Comparison, x0: float) -> AtPoint:
    """f(x0), each row's number at x0, the secants there, and why f' does not exist there."""
    f0, slopes = tangent_slopes(comparison, x0)
    missing = no_derivative_at(comparison, x0)
    found = []
    if comparison.order == 1 and comparison.function is not None:
        found = _secants(comparison, x0, missing)
    return AtPoint(x0=float(x0), f0=f0, slopes=slopes, secants=found, missing=missing)
