"""`compare()`: one function, every method, one honest comparison.

The flow is one way: options are checked (cheaply, before anything is traced or allocated), the
target is built, each method prepares its derivative or a reason it cannot, every derivative is
evaluated on the grid, errors are measured against a high-precision reference, points where f'
does not exist are found and explained, and, if asked, each method is timed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic import bounds, reference, singular
from diffmagic import timing as timing_harness
from diffmagic.cache import PREPARED
from diffmagic.errors import DiffMagicError
from diffmagic.explain import MethodFailure, one_line, user_error
from diffmagic.methods import ROWS, method_key, select
from diffmagic.methods.base import NumpyFunction, Prepared, Work
from diffmagic.target import Target, make_target

DEFAULT_METHODS = ("symbolic", "numerical", "automatic")


@dataclass
class MethodResult:
    """One row of the comparison: what a method got, how wrong it is, what it cost."""

    key: str
    label: str
    ok: bool
    error: str | None = None
    engine: str = ""
    values: np.ndarray | None = None
    derivative: Callable[[np.ndarray], np.ndarray] | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    timing: timing_harness.Timing | None = None
    setup_s: float | None = None
    notes: list[str] = field(default_factory=list)
    #: SymPy's derivative (symbolic row only).
    expr: Any = None
    #: What the method returns at each point where f' does not exist.
    at_singularities: dict[float, Any] = field(default_factory=dict)
    #: This row stands in as the reference (no exact derivative was available).
    is_reference: bool = False
    #: Grid points where the method gave NaN or inf although the reference is finite.
    nonfinite: int = 0
    pointwise: bool = False
    #: The derivative was prepared by an earlier call (setup_s is what it cost then).
    cached: bool = False
    #: The derivative's size in the method's unit (operations, jaxpr equations, f per point).
    work: Work | None = None
    #: What the method prepared; kept so the comparison can be timed later (the panel's button).
    prepared: Prepared | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        if self.pointwise:
            return "ok (slow fallback)"
        return "ok"

    def __repr__(self) -> str:
        if not self.ok:
            return f"<MethodResult {self.key}: failed: {self.error}>"
        error = "—" if self.max_abs_error is None else f"{self.max_abs_error:.3g}"
        return f"<MethodResult {self.key}: ok, max abs error {error}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "ok": self.ok,
            "error": self.error,
            "engine": self.engine,
            "status": self.status,
            "max_abs_error": _finite_or_none(self.max_abs_error),
            "max_rel_error": _finite_or_none(self.max_rel_error),
            "setup_s": self.setup_s,
            "timing": self.timing.to_dict() if self.timing else None,
            "notes": list(self.notes),
            "expr": None if self.expr is None else str(self.expr),
            "at_singularities": {
                str(point): _jsonable(value) for point, value in self.at_singularities.items()
            },
            "is_reference": self.is_reference,
            "cached": self.cached,
            "work": None if self.work is None else self.work.to_dict(),
            "nonfinite": self.nonfinite,
            "values": None if self.values is None else [_finite_or_none(v) for v in self.values],
        }


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return _finite_or_none(value)


# ----------------------------------------------------------------------------- options


def _check_domain(domain: Any) -> tuple[float, float]:
    try:
        low, high = (float(bound) for bound in domain)
    except (TypeError, ValueError):
        raise DiffMagicError(f"domain must be two numbers (low, high), not {domain!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise DiffMagicError(f"domain must be finite, not ({low:g}, {high:g})")
    if low >= high:
        raise DiffMagicError(f"domain must have low < high, not ({low:g}, {high:g})")
    return low, high


def _check_timing(points: Any, mode: Any) -> int:
    if mode not in timing_harness.MODES:
        raise DiffMagicError(f"timing mode must be quick or full, not {mode!r}")
    return bounds.check_points(points, "timing_points", bounds.MAX_TIMING_POINTS)


def _check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise DiffMagicError(f"order must be a whole number such as 1 or 2, not {order!r}")
    if not 1 <= order <= bounds.MAX_ORDER:
        raise DiffMagicError(f"order must be from 1 to {bounds.MAX_ORDER}, not {order}")
    return int(order)


# ----------------------------------------------------------------------------- result


class Comparison:
    """The outcome of `compare()`: a row per method, the grid, the reference, the verdicts.

    Index it by method (`cmp["symbolic"]`, or an alias such as `cmp["jax"]`); display it in a
    notebook for the table, or call `figure()` for the plot.
    """

    def __init__(
        self,
        *,
        target: Target,
        x: np.ndarray,
        f_values: np.ndarray,
        order: int,
        domain: tuple[float, float],
        results: dict[str, MethodResult],
        reference_values: np.ndarray | None,
        reference_label: str,
        singularities: list[singular.Singularity],
        function_expr: Any,
        derivative_expr: Any,
        notes: list[str],
        timing_points: int | None,
        function: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.target = target
        #: Critical points of f (a list) when asked for with `extrema=True`, else None.
        self.extrema: list[Any] | None = None
        #: f under NumPy, callable on any array (None when NumPy cannot evaluate it).
        self.function = function
        self.x = x
        self.f_values = f_values
        self.order = order
        self.domain = domain
        self.results = results
        self.reference = reference_values
        self.reference_label = reference_label
        self.singularities = singularities
        self.function_expr = function_expr
        self.derivative_expr = derivative_expr
        self.notes = notes
        self.timing_points = timing_points

    def __getitem__(self, name: str) -> MethodResult:
        key = method_key(name)
        if key not in self.results:
            asked = ", ".join(self.results)
            raise KeyError(f"method `{name}` was not run; this comparison has {asked}")
        return self.results[key]

    def __contains__(self, name: object) -> bool:
        try:
            return method_key(str(name)) in self.results
        except DiffMagicError:
            return False

    def __iter__(self) -> Iterator[MethodResult]:
        return iter(self.results.values())

    def __len__(self) -> int:
        return len(self.results)

    @property
    def nondifferentiable(self) -> list[float]:
        """x values in the domain where f' does not exist, e.g. [0.0] for abs."""
        return [point.x for point in self.singularities]

    @property
    def ok(self) -> bool:
        """True when every method asked for worked."""
        return all(result.ok for result in self.results.values())

    @property
    def derivative_name(self) -> str:
        return _derivative_name(self.order, self.target.name)

    def latex(self) -> str | None:
        """f and its derivative in LaTeX (SymPy's forms), or None without a symbolic form."""
        from diffmagic.views.text import latex

        return latex(self)

    def figure(self, **options: Any) -> Any:
        """A matplotlib Figure: f and each f' on top, each method's error below (log scale)."""
        from diffmagic.views.figure import comparison_figure

        return comparison_figure(self, **options)

    def table(self) -> str:
        from diffmagic.views.text import text_table

        return text_table(self)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("Comparison(...)" if cycle else self.table())

    def _repr_html_(self) -> str:
        from diffmagic.views.html import html_table

        return html_table(self)

    def exact_derivative_at(self, x0: float) -> float | None:
        """f'(x0) from SymPy at 30 digits, else from JAX: what secants and steps are measured
        against."""
        if self.derivative_expr is not None:
            import sympy as sp

            symbol = sp.Symbol(self.target.wrt, real=True)
            value = float(reference.high_precision(self.derivative_expr, symbol, np.array([x0]))[0])
            return value if np.isfinite(value) else None
        automatic = self.results.get("automatic")
        if automatic is not None and automatic.ok and automatic.derivative is not None:
            return float(automatic.derivative(np.array([x0]))[0])
        return None

    def _first_order_only(self, what: str) -> None:
        if self.order != 1:
            raise DiffMagicError(f"{what} approximate f', so they need a comparison of order 1")

    def secants(self, x0: float) -> list[tuple[float, float, float | None]]:
        """(dx, (f(x0+dx) - f(x0))/dx, its error) for dx = 1, 0.1, ... 1e-15: the course's limit."""
        from diffmagic.steps import secant_table

        self._first_order_only("secants")
        return secant_table(lambda x: function_at(self, x), x0, self.exact_derivative_at(x0))

    def step_study(self, x0: float) -> Any:
        """Errors of forward and central quotients at x0 against the step h (`steps.StepStudy`),
        or None when there is no exact derivative to measure them against."""
        from diffmagic.steps import step_study

        self._first_order_only("step studies")
        exact = self.exact_derivative_at(x0)
        if exact is None or self.function is None:
            return None
        return step_study(lambda x: function_at(self, x), x0, exact)

    def time(
        self,
        timing_points: int = 1_000_000,
        mode: str = "quick",
        progress: Callable[[float, str], None] | None = None,
    ) -> Comparison:
        """Time each working method now (as `compare(..., timing=True)` would); returns self."""
        points = _check_timing(timing_points, mode)
        self.timing_points = points
        if not time_results(self.results, self.domain, points, mode, progress):
            self.notes.append("timing was interrupted: rows without times were not timed")
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (numbers that are NaN or infinite become None)."""
        return {
            "function": self.target.label,
            "source": self.target.source,
            "wrt": self.target.wrt,
            "params": {name: _jsonable_param(value) for name, value in self.target.fixed.items()},
            "order": self.order,
            "domain": list(self.domain),
            "points": int(self.x.size),
            "x": [float(v) for v in self.x],
            "f": [_finite_or_none(v) for v in self.f_values],
            "function_expr": None if self.function_expr is None else str(self.function_expr),
            "derivative_expr": None if self.derivative_expr is None else str(self.derivative_expr),
            "reference": self.reference_label,
            "nondifferentiable": [
                {"x": point.x, "kind": point.kind} for point in self.singularities
            ],
            "notes": list(self.notes),
            "extrema": None
            if self.extrema is None
            else [
                {"x": p.x, "f": _finite_or_none(p.f), "kind": p.kind, "found_by": p.found_by}
                for p in self.extrema
            ],
            "methods": {key: result.to_dict() for key, result in self.results.items()},
        }


def _jsonable_param(value: Any) -> Any:
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    try:
        return np.asarray(value, dtype=float).tolist()
    except (TypeError, ValueError):
        return repr(value)


# ----------------------------------------------------------------------------- compare


def _too_slow(key: str, seconds: float) -> str:
    if ROWS[key].method == "symbolic":
        return (
            f"SymPy took longer than {seconds:g} s: skipped (expression swell?); "
            "raise symbolic_time_limit to wait longer"
        )
    return f"{ROWS[key].label} took longer than {seconds:g} s: stopped (does f sleep or loop?)"


def _prepare(
    key: str, target: Target, order: int, grid: np.ndarray, seconds: float
) -> tuple[Prepared, bool] | str:
    """(A prepared derivative, whether it was cached), or the reason the method cannot give one.

    Prepared derivatives come from the process-wide cache when the function, its globals, the
    fixed values and the order are unchanged: a rerun re-evaluates, it does not re-derive.
    """
    try:
        with bounds.time_limit(seconds):
            return PREPARED.get_or_prepare(
                key, target, order, lambda: ROWS[key].prepare(target, order, grid)
            )
    except bounds.TimeLimitExceeded:
        return _too_slow(key, seconds)
    except MethodFailure as failure:
        return one_line(failure)
    except DiffMagicError:
        raise
    except RecursionError:
        return f"{target.name} recurses too deeply"
    except Exception as error:
        return one_line(user_error(target.name, error))


def _evaluate(
    prepared: Prepared, grid: np.ndarray, name: str, key: str, seconds: float
) -> np.ndarray | str:
    try:
        with bounds.time_limit(seconds), np.errstate(all="ignore"):
            values = np.asarray(prepared.derivative(grid), dtype=np.float64)
    except bounds.TimeLimitExceeded:
        return _too_slow(key, seconds)
    except MethodFailure as failure:
        return one_line(failure)
    except Exception as error:
        return one_line(user_error(name, error))
    if values.shape != grid.shape:
        return f"{name}' has shape {values.shape}, not one value per point"
    return values


def _errors(
    values: np.ndarray, reference_values: np.ndarray, mask: np.ndarray
) -> tuple[float | None, float | None, int]:
    """(max abs error, max error relative to max|f'|, points non-finite where f' is finite)."""
    usable = mask & np.isfinite(reference_values)
    if not np.any(usable):
        return None, None, 0
    nonfinite = int(np.count_nonzero(usable & ~np.isfinite(values)))
    both = usable & np.isfinite(values)
    if not np.any(both):
        return None, None, nonfinite
    max_abs = float(np.max(np.abs(values[both] - reference_values[both])))
    scale = float(np.max(np.abs(reference_values[usable])))
    return max_abs, (max_abs / scale if scale > 0 else max_abs), nonfinite


def compare(
    f: Any,
    domain: Sequence[float] = (-5.0, 5.0),
    points: int = 100,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    order: int = 1,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    timing: bool = False,
    timing_points: int = 1_000_000,
    *,
    func: str | None = None,
    timing_mode: str = "quick",
    engines: Sequence[str] | str = ("numpy",),
    symbolic_time_limit: float = bounds.SYMBOLIC_SECONDS,
    method_time_limit: float = bounds.METHOD_SECONDS,
    extrema: bool = False,
) -> Comparison:
    """Differentiate `f` symbolically, numerically and automatically, and compare the results.

    `f` is a Python function, the text of a notebook cell that defines one (the last `def`, or
    the one named `func`), or an expression in x such as ``"exp(-2*x) + 3*sin(3*x)"``. `wrt`
    names the parameter to differentiate (default: the first); `params` fixes the others.
    `engines=("numpy", "jax")` also runs SymPy's derivative and finite differences compiled by
    JAX, so the table separates a method's cost from its engine's. SymPy's work stops after
    `symbolic_time_limit` seconds, any other method's after `method_time_limit`; what `f`
    prints is held back and counted. `extrema=True` finds the critical points of f in the
    domain (`comparison.extrema`), classified as minimum, maximum or neither.
    A method that fails becomes a row with a reason; only input that is no usable function or
    option raises `DiffMagicError`.
    """
    low, high = _check_domain(domain)
    count = bounds.check_points(points)
    derivative_order = _check_order(order)
    keys = select(methods, engines)
    if timing:
        timing_count = _check_timing(timing_points, timing_mode)
    for name, seconds in (
        ("symbolic_time_limit", symbolic_time_limit),
        ("method_time_limit", method_time_limit),
    ):
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
            raise DiffMagicError(f"{name} must be a positive number of seconds, not {seconds!r}")
    target = make_target(f, func=func, wrt=wrt, params=params)
    grid = np.linspace(low, high, count)
    comparer = _Comparer(
        target, grid, derivative_order, keys, float(symbolic_time_limit), float(method_time_limit)
    )
    with bounds.captured_output() as printed:
        comparison = comparer.run(timing_count if timing else None, timing_mode)
        if extrema:
            from diffmagic.extrema import critical_points, describe

            comparison.extrema = critical_points(comparison)
            comparison.notes.extend(
                f"critical point: {text}" for text in describe(comparison.extrema, target.wrt)
            )
    if printed.lines:
        shown = "; ".join(printed.kept)
        comparison.notes.append(
            f"{target.name} printed {printed.lines:,} lines while diffmagic ran it "
            f"(not shown; the first: {shown[:80]})"
        )
    return comparison


class _Comparer:
    """The steps of one comparison, kept apart so each stays short."""

    def __init__(
        self,
        target: Target,
        grid: np.ndarray,
        order: int,
        keys: tuple[str, ...],
        symbolic_seconds: float = bounds.SYMBOLIC_SECONDS,
        method_seconds: float = bounds.METHOD_SECONDS,
    ) -> None:
        self.symbolic_seconds = symbolic_seconds
        self.method_seconds = method_seconds
        self.target = target
        self.grid = grid
        self.order = order
        self.keys = keys
        self.notes: list[str] = []
        self.prepared: dict[str, Prepared] = {}
        self.results: dict[str, MethodResult] = {}

    def run(self, timing_points: int | None, timing_mode: str) -> Comparison:
        f_values = self._function_values()
        for key in self.keys:
            self.results[key] = self._row(key)
        symbolic = self._symbolic_for_reference()
        reference_values, reference_label = self._reference(symbolic)
        self._note_underflow(f_values, reference_values, symbolic)
        singularities = self._singularities(symbolic)
        self._measure_errors(reference_values, singularities)
        self._describe_singularities(singularities)
        if timing_points is not None:
            domain = (float(self.grid[0]), float(self.grid[-1]))
            finished = time_results(
                self.results, domain, timing_points, timing_mode, seconds=self.method_seconds
            )
            if not finished:
                self.notes.append("timing was interrupted: rows without times were not timed")
        return Comparison(
            target=self.target,
            x=self.grid,
            f_values=f_values,
            order=self.order,
            domain=(float(self.grid[0]), float(self.grid[-1])),
            results=self.results,
            reference_values=reference_values,
            reference_label=reference_label,
            singularities=singularities,
            function_expr=None if symbolic is None else symbolic.function_expr,
            derivative_expr=None if symbolic is None else symbolic.expr,
            notes=self.notes,
            timing_points=timing_points,
            function=self.numpy_function,
        )

    def _function_values(self) -> np.ndarray:
        """f on the grid, for the plot; a note when it is not finite everywhere."""
        self.numpy_function: NumpyFunction | None = None
        try:
            with bounds.time_limit(self.method_seconds):
                self.numpy_function = NumpyFunction(self.target, self.grid)
                values = self.numpy_function(self.grid)
        except bounds.TimeLimitExceeded:
            self.numpy_function = None
            self.notes.append(
                f"{self.target.name} took longer than {self.method_seconds:g} s on the grid: "
                "not plotted"
            )
            return np.full(self.grid.shape, np.nan)
        except MethodFailure as failure:
            self.numpy_function = None
            self.notes.append(f"f could not be evaluated with NumPy: {one_line(failure)}")
            return np.full(self.grid.shape, np.nan)
        nonfinite = int(np.count_nonzero(~np.isfinite(values)))
        if nonfinite:
            self.notes.append(
                f"{self.target.name} is NaN or infinite at {nonfinite} of {values.size} grid "
                "points (outside its domain, or overflow): those points are left out"
            )
        return values

    def _row(self, key: str) -> MethodResult:
        label = ROWS[key].label
        outcome = _prepare(key, self.target, self.order, self.grid, self._seconds(key))
        if isinstance(outcome, str):
            return MethodResult(key=key, label=label, ok=False, error=outcome)
        prepared, cached = outcome
        self.prepared[key] = prepared
        values = _evaluate(prepared, self.grid, self.target.name, key, self._seconds(key))
        if isinstance(values, str):
            return MethodResult(
                key=key, label=label, ok=False, error=values, engine=prepared.engine
            )
        return MethodResult(
            key=key,
            label=label,
            ok=True,
            engine=prepared.engine,
            values=values,
            derivative=prepared.derivative,
            setup_s=prepared.setup_s,
            notes=list(prepared.notes),
            expr=prepared.expr,
            pointwise=prepared.pointwise,
            cached=cached,
            prepared=prepared,
            work=prepared.work,
        )

    def _symbolic_for_reference(self) -> Prepared | None:
        """SymPy's derivative, prepared even when the symbolic row was not asked for."""
        if "symbolic" in self.prepared:
            return self.prepared["symbolic"]
        if "symbolic" in self.results:
            return None
        outcome = _prepare("symbolic", self.target, self.order, self.grid, self.symbolic_seconds)
        return None if isinstance(outcome, str) else outcome[0]

    def _seconds(self, key: str) -> float:
        return self.symbolic_seconds if ROWS[key].method == "symbolic" else self.method_seconds

    def _reference(self, symbolic: Prepared | None) -> tuple[np.ndarray | None, str]:
        import sympy as sp

        if symbolic is not None:
            symbol = sp.Symbol(self.target.wrt, real=True)
            values = reference.high_precision(symbolic.expr, symbol, self.grid)
            label = f"SymPy's exact derivative evaluated with {reference.DIGITS} digits (mpmath)"
            if values.size > reference.MAX_REFERENCE_POINTS:
                label += f" at {reference.MAX_REFERENCE_POINTS:,} of the points"
            return values, label
        for key in ("automatic", "finite_difference"):
            result = self.results.get(key)
            if result is not None and result.ok:
                result.is_reference = True
                return result.values, (
                    f"no exact derivative (SymPy cannot trace f): {result.label} is the reference"
                )
        return None, "no reference: no method produced a derivative"

    def _note_underflow(
        self, f_values: np.ndarray, reference_values: np.ndarray | None, symbolic: Prepared | None
    ) -> None:
        """Say so when float64 rounds f or f' to 0 everywhere although its formula is not 0.

        Then every error reads 0 and every curve lies flat: nothing is measured at all. A
        product of many probabilities does this; its logarithm does not.
        """
        if symbolic is None:
            return
        for values, expr, name in (
            (f_values, symbolic.function_expr, self.target.name),
            (reference_values, symbolic.expr, _derivative_name(self.order, self.target.name)),
        ):
            if values is None or expr is None or expr.is_zero:
                continue
            finite = values[np.isfinite(values)]
            if finite.size and not np.any(finite):
                self.notes.append(
                    f"{name} is 0 at every grid point in float64 although its formula is not: "
                    "it underflows (below 1e-308), so these errors measure nothing; "
                    "differentiate its logarithm instead"
                )

    def _singularities(self, symbolic: Prepared | None) -> list[singular.Singularity]:
        if self.numpy_function is None:
            return []
        domain = (float(self.grid[0]), float(self.grid[-1]))
        classify_with = self.numpy_function
        if symbolic is not None:
            import sympy as sp

            symbol = sp.Symbol(self.target.wrt, real=True)
            if self.order > 1:
                below = sp.diff(symbolic.function_expr, symbol, self.order - 1)
                classify_with = _numpy_of(below, symbol)
            return singular.from_expression(
                symbolic.function_expr, symbolic.expr, symbol, domain, classify_with
            )
        for key in ("automatic", "finite_difference"):
            result = self.results.get(key)
            if result is not None and result.ok and self.order == 1:
                return singular.from_values(
                    self.grid, result.values, result.derivative, classify_with
                )
        return []

    def _measure_errors(
        self, reference_values: np.ndarray | None, singularities: list[singular.Singularity]
    ) -> None:
        if reference_values is None:
            return
        width = float(self.grid[-1] - self.grid[0])
        mask = np.ones(self.grid.shape, dtype=bool)
        for point in singularities:
            mask &= np.abs(self.grid - point.x) > 1e-9 * width
        for result in self.results.values():
            if not result.ok or result.values is None:
                continue
            if result.is_reference:
                result.max_abs_error, result.max_rel_error = 0.0, 0.0
                continue
            max_abs, max_rel, nonfinite = _errors(result.values, reference_values, mask)
            result.max_abs_error, result.max_rel_error, result.nonfinite = (
                max_abs,
                max_rel,
                nonfinite,
            )
            if nonfinite:
                result.notes.append(f"{nonfinite} points gave NaN or inf where f' exists")

    def _describe_singularities(self, singularities: list[singular.Singularity]) -> None:
        for point in singularities:
            name = _derivative_name(self.order, self.target.name)
            below = _derivative_name(self.order - 1, self.target.name)
            self.notes.append(f"{name} does not exist at {point.describe(below, self.target.wrt)}")
            for result in self.results.values():
                if not result.ok or result.derivative is None:
                    continue
                if result.key == "numerical":
                    self._gradient_near(result, point)
                    continue
                try:
                    with np.errstate(all="ignore"):
                        value = float(result.derivative(np.array([point.x]))[0])
                except Exception:
                    continue
                result.at_singularities[point.x] = value
                result.notes.append(f"at {self.target.wrt} = {point.x:g} it returns {value:g}")

    def _gradient_near(self, result: MethodResult, point: singular.Singularity) -> None:
        """np.gradient has no value *at* the point, only on the grid: show its neighbours."""
        below = np.flatnonzero(self.grid < point.x)
        above = np.flatnonzero(self.grid > point.x)
        if below.size == 0 or above.size == 0 or result.values is None:
            return
        left, right = int(below[-1]), int(above[0])
        values = [float(result.values[left]), float(result.values[right])]
        result.at_singularities[point.x] = values
        why = {
            "jump": "the difference across the jump, divided by the grid step, is no slope",
            "undefined": "f has no value there to take differences of",
        }.get(point.kind, "differences across the point mix the slopes on both sides")
        variable = self.target.wrt
        result.notes.append(
            f"next to {variable} = {point.x:g} it gives {values[0]:.3g} and {values[1]:.3g}: {why}"
        )


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
    button) ends the timing cleanly: rows already timed keep their figures.
    """
    low, high = domain
    big_grid = np.linspace(low, high, timing_points)
    timed = [r for r in results.values() if r.ok and r.prepared and r.prepared.timed_call]
    for index, result in enumerate(timed):
        prepared = result.prepared
        if progress is not None:
            progress(index / len(timed), result.label)

        def make_call(n: int, prepared: Prepared = prepared) -> Callable[[], Any]:
            x = big_grid if n == timing_points else np.linspace(low, high, n)
            return prepared.timed_call(x)

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
            result.notes.append(f"timing stopped after {seconds:g} s")
            continue
        except KeyboardInterrupt:
            result.notes.append("timing interrupted")
            return False
        except Exception as error:
            result.notes.append(f"timing failed: {one_line(error)}")
            continue
        measured = result.timing.timed_points
        if measured != timing_points:
            result.notes.append(
                f"timed on {measured:,} points and scaled to {timing_points:,} "
                "(its cost grows in proportion to the points)"
            )
        if result.timing.warning:
            result.notes.append(result.timing.warning)
    if progress is not None:
        progress(1.0, "done")
    return True


def _derivative_name(order: int, name: str = "f") -> str:
    """How the course writes derivatives: primes up to three, then name^(n)."""
    if order == 0:
        return name
    return name + "'" * order if order <= 3 else f"{name}^({order})"


def _numpy_of(expr: Any, symbol: Any) -> Callable[[np.ndarray], np.ndarray]:
    import sympy as sp

    numeric = sp.lambdify([symbol], expr, modules="numpy")

    def evaluate(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(numeric(x), dtype=np.float64), np.shape(x))

    return evaluate


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
