"""`compare()`: one function, every method, one honest comparison.

The flow is one way: options are checked (`request`, before anything is traced or allocated),
the target is built, NumPy's own f is evaluated on the grid, each method prepares its
derivative or a reason it cannot, each backend's f is checked against NumPy's f (a backend
that reads f differently fails), every derivative is evaluated on the grid and measured
against a high-precision reference (`verdicts`: non-finite or inaccurate rows are not ok),
points where f' does not exist are found and explained, and, if asked, each method is timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from diffmagic import bounds, reference, singular, verdicts
from diffmagic import yours as yours_rows
from diffmagic.at_point import function_at, tangent_slopes
from diffmagic.cache import PREPARED
from diffmagic.errors import DiffMagicError
from diffmagic.explain import MethodFailure
from diffmagic.guard import Failure, guarded
from diffmagic.methods import ROWS, select
from diffmagic.methods.base import NumpyFunction, Prepared
from diffmagic.naming import derivative_name
from diffmagic.request import (
    check_domain,
    check_grid,
    check_order,
    check_timing,
)
from diffmagic.results import _INTERRUPTED, Comparison, MethodResult
from diffmagic.row_timing import time_results
from diffmagic.target import Target, make_target

__all__ = [
    "DEFAULT_METHODS",
    "Comparison",
    "MethodResult",
    "compare",
    "function_at",
    "tangent_slopes",
    "time_results",
]

DEFAULT_METHODS = ("symbolic", "numerical", "automatic")


def _too_slow(key: str, seconds: float) -> str:
    if ROWS[key].method == "symbolic":
        return (
            f"SymPy took longer than {seconds:g} s: skipped (expression swell?); "
            "raise symbolic_time_limit to wait longer"
        )
    return f"{ROWS[key].label} took longer than {seconds:g} s: stopped (does f sleep or loop?)"


def _bounded(work: Callable[[], Any], key: str, name: str, seconds: float) -> Any:
    """`work()` under the method's time limit, or the one-line reason (str) it gave none.

    `guard.guarded` is the one place where exceptions become reasons; `DiffMagicError` (the
    input itself is unusable) and `KeyboardInterrupt` (the user pressed stop) go on up.
    """

    def quietly() -> Any:
        with np.errstate(all="ignore"):
            return work()

    outcome = guarded(
        quietly,
        seconds=seconds,
        name=name,
        describe_timeout=lambda limit: _too_slow(key, limit),
        passthrough=(DiffMagicError,),
    )
    return outcome.reason if isinstance(outcome, Failure) else outcome


def _on_grid(function: Callable[[np.ndarray], Any], grid: np.ndarray, what: str) -> np.ndarray:
    values = np.asarray(function(grid), dtype=np.float64)
    if values.shape != grid.shape:
        raise MethodFailure(f"{what} has shape {values.shape}, not one value per point")
    return values


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
    cache: bool = True,
    yours: Any = None,
) -> Comparison:
    """Differentiate `f` symbolically, numerically and automatically, and compare the results.

    Parameters
    ----------
    f
        A Python function, the text of a notebook cell that defines one (the last `def`, or
        the one named `func`), or an expression in x such as ``"exp(-2*x) + 3*sin(3*x)"``.
    domain, points
        The grid: `points` evenly spaced values of the variable from low to high.
    methods, engines
        Which rows: `"symbolic"`, `"numerical"` (np.gradient and finite differences),
        `"automatic"`...; `engines=("numpy", "jax")` also runs SymPy's derivative and finite
        differences compiled by JAX, so the table separates a method's cost from its engine's.
    order
        1 for f', 2 for f'', up to 8.
    wrt, params
        The parameter to differentiate (default: the first) and fixed values for the others.
    timing, timing_points, timing_mode
        Time each row on `timing_points` points (quick: about a second; full: %timeit-like).
    symbolic_time_limit, method_time_limit
        SymPy's work stops after the first, any other method's after the second (seconds).
    extrema
        Find the critical points of f in the domain (`comparison.extrema`).
    yours
        Your own derivative (`dfdx`, of order `order`), or several as a dict {name: function}:
        a row each ("yours", or "yours:NAME"), judged against the same reference, with where
        and how it is wrong in words ("yours is 1.5 times the true derivative everywhere").
    cache
        Reuse derivatives prepared by earlier calls for the same function (default). The key is
        everything the derivative depends on, never the object's identity; `False` derives
        afresh, `diffmagic.clear_cache()` empties it.

    A row says ok only when its backend computes NumPy's own f, its values are finite where
    f' exists, and its error is within what its method promises; otherwise it says why. A
    method that fails becomes a row with a reason; only input that is no usable function or
    option raises `DiffMagicError`. What `f` prints is held back and counted.
    """
    low, high = check_domain(domain)
    count = bounds.check_points(points)
    derivative_order = check_order(order)
    keys = select(methods, engines)
    timing_count = check_timing(timing_points, timing_mode) if timing else None
    symbolic_seconds = bounds.check_seconds(symbolic_time_limit, "symbolic_time_limit")
    method_seconds = bounds.check_seconds(method_time_limit, "method_time_limit")
    if not isinstance(cache, bool):
        raise DiffMagicError(f"cache must be True or False, not {cache!r}")
    target = make_target(f, func=func, wrt=wrt, params=params)
    grid = check_grid(low, high, count)
    comparer = _Comparer(
        target, grid, derivative_order, keys, symbolic_seconds, method_seconds, cache
    )
    comparer.yours = yours_rows.candidates(yours)
    with bounds.captured_output() as printed:
        comparison = comparer.run(timing_count, timing_mode)
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
        cache: bool = True,
    ) -> None:
        self.symbolic_seconds = symbolic_seconds
        self.method_seconds = method_seconds
        self.cache = cache
        self.target = target
        self.grid = grid
        self.order = order
        self.keys = keys
        self.notes: list[str] = []
        self.prepared: dict[str, Prepared] = {}
        self.results: dict[str, MethodResult] = {}
        self.numpy_function: NumpyFunction | None = None
        #: Why NumPy could not evaluate f (then no backend's reading of f can be checked).
        self.numpy_failure: str | None = None
        self.precision = "float64"
        self.f_values = np.full(grid.shape, np.nan)
        self.suspects = verdicts.ambiguous_names(target.function)
        #: Hand-written derivatives to judge, by row key ("yours", "yours:NAME").
        self.yours: dict[str, tuple[str, Callable[..., Any]]] = {}

    def run(self, timing_points: int | None, timing_mode: str) -> Comparison:
        self._function_values()
        for key in self.keys:
            self.results[key] = self._row(key)
        symbolic = self._symbolic_for_reference()
        reference_values, reference_label, exact = self._reference(symbolic)
        if symbolic is not None:
            self.notes.extend(
                reference.underflow_notes(
                    self.f_values,
                    reference_values,
                    symbolic.function_expr,
                    symbolic.expr,
                    self.target.name,
                    derivative_name(self.order, self.target.name),
                )
            )
        singularities = self._singularities(symbolic)
        self._judge_yours(reference_values, reference_label, singularities)
        verdicts.judge(
            self.results,
            reference_values,
            self.f_values,
            self.grid,
            singularities,
            order=self.order,
            exact=exact,
            wrt=self.target.wrt,
        )
        self.notes.extend(
            singular.describe_methods_at(
                singularities,
                self.results,
                self.grid,
                self.order,
                self.target.name,
                self.target.wrt,
            )
        )
        if timing_points is not None:
            domain = (float(self.grid[0]), float(self.grid[-1]))
            finished = time_results(
                self.results, domain, timing_points, timing_mode, seconds=self.method_seconds
            )
            if not finished:
                self.notes.append(_INTERRUPTED)
        return Comparison(
            target=self.target,
            x=self.grid,
            f_values=self.f_values,
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
            precision=self.precision,
            method_time_limit=self.method_seconds,
        )

    # ------------------------------------------------------------------ NumPy's own f

    def _function_values(self) -> None:
        """NumPy's own f on the grid: what the plot shows and what every backend must match."""
        name = self.target.name

        def evaluate() -> tuple[NumpyFunction, np.ndarray]:
            function = NumpyFunction(self.target, self.grid)
            return function, _on_grid(function, self.grid, name)

        outcome = _bounded(evaluate, "numerical", name, self.method_seconds)
        if isinstance(outcome, str):
            self.numpy_failure = outcome
            self.notes.append(f"f could not be evaluated with NumPy: {outcome}")
            return
        self.numpy_function, self.f_values = outcome
        self.precision = self.numpy_function.precision
        if self.precision == "float32":
            self.notes.append(
                f"{name} computes in float32 (jitted without x64, or np.float32 inside): "
                "np.gradient and finite differences use its float32 values, with float32's "
                "steps and tolerances; SymPy and JAX compute in float64"
            )
        nonfinite = int(np.count_nonzero(~np.isfinite(self.f_values)))
        if nonfinite == self.f_values.size:
            self.numpy_failure = (
                f"{name} is NaN or infinite at every grid point (outside its domain, or "
                "overflow): choose a domain where f has values"
            )
            self.notes.append(self.numpy_failure)
        elif nonfinite:
            self.notes.append(
                f"{name} is NaN or infinite at {nonfinite} of {self.f_values.size} grid "
                "points (outside its domain, or overflow): f' is not measured there"
            )

    # ------------------------------------------------------------------ rows

    def _prepare(self, key: str) -> tuple[Prepared, bool] | str:
        """(A prepared derivative, whether it was cached), or the reason there is none."""
        row = ROWS[key]

        def prepare() -> Prepared:
            return row.prepare(self.target, self.order, self.grid)

        if not self.cache:
            return _bounded(lambda: (prepare(), False), key, self.target.name, self._seconds(key))
        return _bounded(
            lambda: PREPARED.get_or_prepare(key, self.target, self.order, prepare),
            key,
            self.target.name,
            self._seconds(key),
        )

    def _fidelity(self, key: str, prepared: Prepared) -> str | None:
        """Why this row's backend does not compute NumPy's f, or None when it does."""
        row = ROWS[key]
        if self.numpy_failure is not None:
            return f"not checked against NumPy's f, so not trusted: {self.numpy_failure}"
        if prepared.function is None:
            return None
        backend = verdicts.backend_label(row.method, row.engine)
        values = _bounded(
            lambda: _on_grid(prepared.function, self.grid, f"{backend}'s f"),
            key,
            self.target.name,
            self._seconds(key),
        )
        if isinstance(values, str):
            return f"{backend} cannot evaluate f itself: {values}"
        return verdicts.fidelity_failure(
            backend,
            values,
            self.f_values,
            self.grid,
            precision=self.precision,
            suspects=self.suspects,
            wrt=self.target.wrt,
        )

    def _row(self, key: str) -> MethodResult:
        label = ROWS[key].label
        outcome = self._prepare(key)
        if isinstance(outcome, str):
            return MethodResult(key=key, label=label, ok=False, error=outcome)
        prepared, cached = outcome
        unfaithful = self._fidelity(key, prepared)
        if unfaithful is not None:
            return MethodResult(
                key=key, label=label, ok=False, error=unfaithful, engine=prepared.engine
            )
        self.prepared[key] = prepared
        started = time.perf_counter()
        values = _bounded(
            lambda: _on_grid(prepared.derivative, self.grid, f"{self.target.name}'"),
            key,
            self.target.name,
            self._seconds(key),
        )
        grid_seconds = time.perf_counter() - started
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
            precision=prepared.precision,
            grid_seconds=grid_seconds,
        )

    def _symbolic_for_reference(self) -> Prepared | None:
        """SymPy's derivative, prepared even when the symbolic row was not asked for; only a
        derivative of f as NumPy computes it can be the reference."""
        for key in ("symbolic", "symbolic@jax"):
            if key in self.prepared:
                return self.prepared[key]
            if key in self.results:
                return None
        outcome = self._prepare("symbolic")
        if isinstance(outcome, str) or self._fidelity("symbolic", outcome[0]) is not None:
            return None
        return outcome[0]

    def _seconds(self, key: str) -> float:
        return self.symbolic_seconds if ROWS[key].method == "symbolic" else self.method_seconds

    def _judge_yours(
        self,
        reference_values: np.ndarray | None,
        reference_label: str,
        singularities: list[singular.Singularity],
    ) -> None:
        """A row for each hand-written derivative: right, or where and how it is wrong."""
        for key, (label, function) in self.yours.items():
            values = _bounded(
                lambda function=function: yours_rows.evaluate(function, self.target, self.grid),
                "finite_difference",
                label,
                self.method_seconds,
            )
            if isinstance(values, str):
                self.results[key] = MethodResult(key=key, label=label, ok=False, error=values)
                continue
            result = MethodResult(
                key=key,
                label=label,
                ok=False,
                engine="numpy",
                values=values,
                derivative=lambda x, function=function: yours_rows.evaluate(
                    function, self.target, np.asarray(x, dtype=np.float64)
                ),
            )
            self.results[key] = result
            if reference_values is None:
                result.error = "not measured: no method produced a derivative to judge it by"
                continue
            usable = verdicts.measurable(
                self.f_values, self.grid, [point.x for point in singularities]
            ) & np.isfinite(reference_values)
            result.max_abs_error, result.max_rel_error, result.nonfinite = verdicts.errors(
                values, reference_values, usable
            )
            result.ok, result.error, result.wrong_at = yours_rows.judge(
                values,
                reference_values,
                usable,
                self.grid,
                order=self.order,
                name="yours",
                wrt=self.target.wrt,
            )
            if not reference_label.startswith("SymPy's exact"):
                result.notes.append(f"judged against the stand-in: {reference_label}")

    # ------------------------------------------------------------------ reference

    def _reference(self, symbolic: Prepared | None) -> tuple[np.ndarray | None, str, bool]:
        """(reference values, what they are in words, whether they are exact).

        The exact reference is SymPy's f' at 30 digits, under the symbolic time limit like
        every SymPy step; when it cannot be had, the most accurate method that worked stands in.
        """
        why_not = "SymPy cannot trace f"
        if symbolic is not None:
            import sympy as sp

            symbol = sp.Symbol(self.target.wrt, real=True)
            values = _bounded(
                lambda: reference.high_precision(symbolic.expr, symbol, self.grid),
                "symbolic",
                "the exact reference",
                self.symbolic_seconds,
            )
            if not isinstance(values, str):
                label = (
                    f"SymPy's exact derivative evaluated with {reference.DIGITS} digits (mpmath)"
                )
                if values.size > reference.MAX_REFERENCE_POINTS:
                    label += f" at {reference.MAX_REFERENCE_POINTS:,} of the points"
                return values, label, True
            why_not = f"evaluating it at {reference.DIGITS} digits failed: {values}"
        for key in ("automatic", "finite_difference"):
            result = self.results.get(key)
            if result is not None and result.ok:
                result.is_reference = True
                return (
                    result.values,
                    f"no exact derivative ({why_not}): {result.label} is the reference",
                    False,
                )
        return None, "no reference: no method produced a derivative", False

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

    # ------------------------------------------------------------------ verdicts


def _numpy_of(expr: Any, symbol: Any) -> Callable[[np.ndarray], np.ndarray]:
    import sympy as sp

    numeric = sp.lambdify([symbol], expr, modules="numpy")

    def evaluate(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(numeric(x), dtype=np.float64), np.shape(x))

    return evaluate
