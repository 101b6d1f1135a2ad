"""Points where f' does not exist: found from SymPy's expression, and from f's own values.

Each point is classified the way the course notes teach: a *corner* (|x| at 0: the one-sided
slopes differ), a *cusp* (sqrt(|x|): infinite slopes of opposite sign), a *vertical tangent*
(cbrt(x): infinite slope, same sign), a *jump* (sign(x): f itself jumps), or *undefined* (1/x at
0: f has no value there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffmagic.analysis import singular_values
from diffmagic.inputs.naming import derivative_name
from diffmagic.limits import bounds
from diffmagic.running.cache import clears_with_the_cache

ArrayFunction = Callable[[np.ndarray], np.ndarray]

#: What each kind means, for the function `{f}` whose derivative does not exist there.
KIND_EXPLANATION = {
    "corner": "a corner of {f}: its slopes from the left and the right differ",
    "cusp": "a cusp of {f}: its slopes from both sides are infinite, with opposite signs",
    "vertical tangent": "a vertical tangent of {f}: its slope is infinite",
    "jump": "a jump of {f}: {f} itself jumps, so no tangent exists",
    "undefined": "{f} is not defined there",
}


@dataclass(frozen=True)
class Singularity:
    x: float
    kind: str

    def describe(self, function_name: str = "f", variable: str = "x") -> str:
        """`x = 0: a corner of f: ...`; for f'' the function that has the corner is f'."""
        return f"{variable} = {self.x:g}: {KIND_EXPLANATION[self.kind].format(f=function_name)}"


def _snap(value: float, width: float) -> float:
    """Points found numerically, as people write them: 0.30000000000000004 is 0.3, 1e-17 is 0."""
    if abs(value) < 1e-9 * width:
        return 0.0
    rounded = float(f"{value:.10g}")
    return rounded if abs(rounded - value) < 1e-9 * width else value


def classify(f: ArrayFunction, point: float) -> str | None:
    """What kind of point `point` is for f, or None when f is differentiable there after all."""
    scale = max(1.0, abs(point))
    big, small = 1e-4 * scale, 1e-6 * scale
    probe = np.array([point, point - big, point + big, point - small, point + small])
    with np.errstate(all="ignore"):
        try:
            at, left_big, right_big, left_small, right_small = f(probe)
        except Exception:
            return None
    if not np.isfinite(at):
        return "undefined"
    if not np.all(np.isfinite([left_big, right_big, left_small, right_small])):
        return None
    size = 1.0 + abs(at)
    gap_big, gap_small = abs(right_big - left_big), abs(right_small - left_small)
    if gap_small > 1e-6 * size and gap_small > 0.5 * gap_big:
        return "jump"
    slopes_big = np.array([(at - left_big) / big, (right_big - at) / big])
    slopes_small = np.array([(at - left_small) / small, (right_small - at) / small])
    growing = np.abs(slopes_small) > 5.0 * np.abs(slopes_big) + 1.0
    if np.any(growing):
        return (
            "vertical tangent" if np.sign(slopes_small[0]) == np.sign(slopes_small[1]) else "cusp"
        )
    left, right = slopes_small
    if abs(right - left) > 1e-3 * (1.0 + abs(left) + abs(right)):
        return "corner"
    return None


def _candidate_arguments(function_expr: Any, derivative_expr: Any, symbol: Any) -> list[Any]:
    """Expressions whose zeros may be points where f' does not exist."""
    import sympy as sp

    candidates: list[Any] = []
    for expr in (function_expr, derivative_expr):
        for atom in expr.atoms(sp.Abs, sp.sign, sp.Heaviside, sp.DiracDelta):
            candidates.append(atom.args[0])
        for atom in expr.atoms(sp.Max, sp.Min):
            first, *others = atom.args
            candidates.extend(first - other for other in others)
        for piecewise in expr.atoms(sp.Piecewise):
            for _, condition in piecewise.args:
                for relational in condition.atoms(sp.core.relational.Relational):
                    candidates.append(relational.lhs - relational.rhs)
        for power in expr.atoms(sp.Pow):
            base, exponent = power.args
            if exponent.is_number and (exponent.is_negative or not exponent.is_integer):
                candidates.append(base)
        for logarithm in expr.atoms(sp.log):
            candidates.append(logarithm.args[0])
    return [c for c in dict.fromkeys(candidates) if c.has(symbol)]


#: How many (argument, domain) questions `_real_zeros` keeps the answers of.
ZEROS_KEPT = 256


@functools.lru_cache(maxsize=ZEROS_KEPT)
def _real_zeros(argument: Any, symbol: Any, low: float, high: float) -> tuple[Any, ...]:
    """SymPy's real zeros of `argument` in [low, high] (none when they are not a finite set).

    Kept: every rerun of a cell asks the same questions (the derivative itself comes from the
    prepared-derivative cache), and each `solveset` over an interval makes fresh Dummy symbols
    whose entries in SymPy's own caches no later call can hit: uncached, the search filled
    those caches by about 50 objects a run, and cost a `solveset` per candidate every time.
    """
    import sympy as sp

    zeros = sp.solveset(argument, symbol, domain=sp.Interval(low, high))
    if not isinstance(zeros, sp.FiniteSet):
        return ()
    return tuple(z for z in zeros if z.is_real)


clears_with_the_cache(_real_zeros.cache_clear)


def from_expression(
    function_expr: Any,
    derivative_expr: Any,
    symbol: Any,
    domain: tuple[float, float],
    f: ArrayFunction,
) -> list[Singularity]:
    """Singular points from the zeros of the arguments of |.|, sign, steps, roots and poles."""
    import sympy as sp

    low, high = domain
    points: set[float] = set()
    try:
        with bounds.time_limit(2.0) as limit:
            for argument in _candidate_arguments(function_expr, derivative_expr, symbol):
                if sp.count_ops(argument) > 40:
                    continue
                try:
                    zeros = _real_zeros(argument, symbol, low, high)
                except Exception:
                    # solveset has no answer for this one (nested Max can recurse too
                    # deeply): the other candidates still count.
                    continue
                points.update(float(z) for z in zeros)
    except bounds.TimeLimitExceeded as error:
        if error.deadline is not limit:
            raise
    return _classified(sorted(points), f, high - low)


def derivative_jumps(grid: np.ndarray, values: np.ndarray) -> list[tuple[float, float]]:
    """Grid intervals where a derivative row's values jump: places for `singular_values` to
    look at closely, on f itself (a row's derivative is no proof of anything about f).

    A jump between two neighbouring grid points that is several times larger than the changes
    on either side of it is an isolated break, not steepness.
    """
    if grid.size < 4 or not np.any(np.isfinite(values)):
        return []
    steps = np.abs(np.diff(values))
    steps = np.where(np.isfinite(steps), steps, np.inf)
    floor = 1e-6 * (1.0 + np.nanmax(np.abs(values[np.isfinite(values)])))
    places: list[tuple[float, float]] = []
    for i in range(steps.size):
        neighbours = max(
            steps[i - 1] if i > 0 else 0.0, steps[i + 1] if i + 1 < steps.size else 0.0
        )
        if steps[i] > floor and steps[i] > 4.0 * neighbours:
            places.append((float(grid[i]), float(grid[i + 1])))
    return places


def _classified(points: list[float], f: ArrayFunction, width: float) -> list[Singularity]:
    found: dict[float, Singularity] = {}
    for point in points:
        snapped = _snap(point, width)
        kind = classify(f, snapped)
        if kind is not None:
            found[snapped] = Singularity(snapped, kind)
    return [found[key] for key in sorted(found)]


def describe_methods_at(
    points: list[Singularity],
    results: Any,
    grid: np.ndarray,
    order: int,
    name: str,
    wrt: str,
) -> list[str]:
    """A note per point where f' does not exist, and each method's value there in its notes.

    `results` maps row keys to `MethodResult`s; np.gradient has no value *at* the point, only on
    the grid, so its neighbours are shown with why they mean nothing there.
    """
    notes = []
    for point in points:
        derivative = derivative_name(order, name)
        below = derivative_name(order - 1, name)
        notes.append(f"{derivative} does not exist at {point.describe(below, wrt)}")
        for result in results.values():
            if result.values is None or result.derivative is None:
                continue
            if result.key.startswith("numerical"):
                _gradient_near(result, point, grid, wrt)
                continue
            value = _value_at(result.derivative, point.x)
            if value is None:
                continue
            result.at_singularities[point.x] = value
            result.notes.append(f"at {wrt} = {point.x:g} it returns {value:g}")
    return notes


def _gradient_near(result: Any, point: Singularity, grid: np.ndarray, wrt: str) -> None:
    below = np.flatnonzero(grid < point.x)
    above = np.flatnonzero(grid > point.x)
    if below.size == 0 or above.size == 0 or result.values is None:
        return
    left, right = int(below[-1]), int(above[0])
    values = [float(result.values[left]), float(result.values[right])]
    result.at_singularities[point.x] = values
    why = {
        "jump": "the difference across the jump, divided by the grid step, is no slope",
        "undefined": "f has no value there to take differences of",
    }.get(point.kind, "differences across the point mix the slopes on both sides")
    result.notes.append(
        f"next to {wrt} = {point.x:g} it gives {values[0]:.3g} and {values[1]:.3g}: {why}"
    )


def find(
    grid: np.ndarray,
    order: int,
    wrt: str,
    f: ArrayFunction,
    expressions: tuple[Any, Any] | None,
    stand_ins: list[Any],
    f_values: np.ndarray | None = None,
) -> list[Singularity]:
    """Where f^(order) does not exist: from SymPy's f and f^(order) when there are (for
    order > 1 the point is classified on f^(order-1)); and, whatever SymPy saw, where NumPy's f
    itself jumps or turns a corner (`singular_values`: floor, mod, arctan2's cut, Python `if`),
    looked for where f's values (`f_values` on the grid, when known) break and, without
    SymPy, where the first working stand-in row's derivative jumps (order 1 only)."""
    domain = (float(grid[0]), float(grid[-1]))
    found: list[Singularity] = []
    exact: ArrayFunction | None = None
    if expressions is not None:
        import sympy as sp

        from diffmagic.analysis.reference import high_precision

        function_expr, derivative_expr = expressions
        symbol = sp.Symbol(wrt, real=True)
        classify_with = f
        if order > 1:
            classify_with = _numpy_of(sp.diff(function_expr, symbol, order - 1), symbol)
        found = from_expression(function_expr, derivative_expr, symbol, domain, classify_with)

        def exact(x: np.ndarray) -> np.ndarray:
            return high_precision(function_expr, symbol, x)

    places: list[tuple[float, float]] = []
    for result in stand_ins if expressions is None and order == 1 else []:
        if result is not None and result.ok and result.values is not None:
            places = derivative_jumps(grid, result.values)
            break
    precision = getattr(f, "precision", "float64")
    seen = singular_values.search(grid, f, precision, exact, places, f_values)
    return _merged(found, seen, order, domain[1] - domain[0])


def _merged(
    found: list[Singularity], seen: list[tuple[float, float, str]], order: int, width: float
) -> list[Singularity]:
    """`found` and the points seen in f's values, each point once (as `found` has it).

    A break of f is a point where every derivative fails to exist; for f'' the function
    that has it is f': a corner of f is a jump of f', anything worse leaves f' undefined.
    """
    points = list(found)
    for x, within, kind in seen:
        if any(abs(x - point.x) <= 1e-9 * width + within for point in found):
            continue
        if order > 1:
            kind = "jump" if order == 2 and kind == "corner" else "undefined"
        points.append(Singularity(x, kind))
    return sorted(points, key=lambda point: point.x)


def _numpy_of(expr: Any, symbol: Any) -> ArrayFunction:
    import sympy as sp

    numeric = sp.lambdify([symbol], expr, modules="numpy")

    def evaluate(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(numeric(x), dtype=np.float64), np.shape(x))

    return evaluate


def _value_at(derivative: Callable[[np.ndarray], Any], x: float) -> float | None:
    """A row's derivative at one point, under the one guard (it may be your code, or a
    compiled f that blocks): None when it raises or does not finish within the method limit."""
    from diffmagic.limits.guard import Failure, guarded

    def one() -> float:
        with np.errstate(all="ignore"):
            return float(derivative(np.array([x]))[0])

    value = guarded(one, seconds=bounds.METHOD_SECONDS)
    return None if isinstance(value, Failure) else value
