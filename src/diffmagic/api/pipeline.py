"""The steps of one comparison, run in order by `Comparer.run` (what `compare()` calls).

NumPy's own f on the grid first (what every backend must match), then each row: prepare (from
the cache), check its backend's f against NumPy's, evaluate on the grid; the reference, the
points where f' does not exist, the verdicts (`verdicts.judge`), your derivatives, and timing
if asked. Every bounded step goes through `running.bounded.bounded_outcome` (one time limit,
one way an exception becomes a row's reason); the reference is chosen in `reference_choice`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.analysis import fidelity, grid_verdicts, reference, singular, your_derivative
from diffmagic.api.grid_reference import ReferenceSteps
from diffmagic.inputs.naming import derivative_name
from diffmagic.inputs.target import Target
from diffmagic.limits import bounds
from diffmagic.limits.guard import Failure
from diffmagic.methods import ROWS
from diffmagic.methods import yours as yours_rows
from diffmagic.methods.base import NumpyFunction, Prepared, rounds_like_float32
from diffmagic.results.comparison import _INTERRUPTED, Comparison
from diffmagic.results.method_result import MethodResult
from diffmagic.running.bounded import bounded_outcome, on_grid
from diffmagic.running.cache import PREPARED
from diffmagic.running.row_timing import time_results


class Comparer(ReferenceSteps):
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
        #: NumPy's f on the grid ran past its limit: every method would call f again, so
        #: none is run (each would wait out its limit, and leave one more call behind).
        self.f_too_slow: str | None = None
        self.precision = "float64"
        self.f_values = np.full(grid.shape, np.nan)
        self.suspects = fidelity.ambiguous_names(target.function)
        #: Hand-written derivatives to judge, by row key ("yours", "yours:NAME").
        self.yours: dict[str, tuple[str, Callable[..., Any]]] = {}
        #: Rows whose backend's f agrees with NumPy's only when read at 30 digits.
        self.read_at_30_digits: set[str] = set()

    def run(self, timing_points: int | None, timing_mode: str) -> Comparison:
        self._function_values()
        for key in self.keys:
            self.results[key] = self._row(key)
        self._yours_rows()
        symbolic = self._symbolic_for_reference()
        exact, exact_label, why_not = self._exact_reference(symbolic)
        singularities = self._singularities(symbolic)
        chosen, reference_label = self._reference(exact, exact_label, why_not, singularities)
        reference_values = None if chosen is None else chosen.values
        if symbolic is not None:
            self.notes.extend(self._underflow_notes(symbolic, reference_values))
        grid_verdicts.judge_rows(
            self.results,
            chosen,
            self._usable(singularities),
            self.f_values,
            self.grid,
            order=self.order,
            wrt=self.target.wrt,
            floor=self._floor(),
            mismatch_for=lambda result: your_derivative.mismatch_words(
                result, self.grid, order=self.order, wrt=self.target.wrt
            ),
            no_reference=reference_label,
            singular_points=[point.x for point in singularities],
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
            return function, on_grid(function, self.grid, name)

        outcome = bounded_outcome(
            evaluate, "numerical", name, self.method_seconds, step="on the grid"
        )
        if isinstance(outcome, Failure):
            self.numpy_failure = outcome.reason
            if outcome.timed_out:
                self.f_too_slow = f"not run: {outcome.reason}"
            self.notes.append(f"f could not be evaluated with NumPy: {outcome.reason}")
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

    def _prepare(self, key: str) -> tuple[Prepared, bool] | Failure:
        """(A prepared derivative, whether it was cached), or the `Failure` saying why not."""
        row = ROWS[key]
        with contextlib.suppress(Exception):  # a broken install fails in prepare, in words
            row.load()  # an optional engine's import, before the row's limit is armed

        def prepare() -> Prepared:
            return row.prepare(self.target, self.order, self.grid)

        if not self.cache:
            return self._for_row(key, lambda: (prepare(), False))
        return self._for_row(
            key, lambda: PREPARED.get_or_prepare(key, self.target, self.order, prepare)
        )

    def _precision_of(self, key: str, prepared: Prepared) -> str:
        """The precision this row's f computes in: its result's type, or float32 inside a
        float64 result (a cast the backend kept: `np.float32(x)` reads as `jnp.float32`)."""
        if prepared.precision != "float64" or prepared.function is None:
            return prepared.precision
        if key in self.read_at_30_digits:  # its float64 round-off is the formula's, not float32
            return "float64"
        hidden = self._for_row(key, lambda: rounds_like_float32(prepared.function, self.grid))
        return "float32" if hidden is True else "float64"

    def _fidelity(self, key: str, prepared: Prepared) -> str | None:
        """Why this row's backend does not compute NumPy's f, or None when it does."""
        row = ROWS[key]
        if self.numpy_failure is not None:
            return f"not checked against NumPy's f, so not trusted: {self.numpy_failure}"
        if prepared.function is None:
            return None
        backend = fidelity.backend_label(row.method, row.engine)
        values = self._for_row(key, lambda: on_grid(prepared.function, self.grid, f"{backend}'s f"))
        if isinstance(values, Failure):
            return f"{backend} cannot evaluate f itself: {values.reason}"
        failure = fidelity.fidelity_failure(
            backend,
            values,
            self.f_values,
            self.grid,
            precision=self.precision,
            suspects=self.suspects,
            wrt=self.target.wrt,
        )
        if failure is None or prepared.function_expr is None or self.numpy_function is None:
            return failure
        # SymPy's f in float64 may lose digits where its formula cancels: read at 30 digits.
        faithful = self._for_row(key, lambda: self._faithful_at_30_digits(prepared, values))
        if faithful is not True:
            return failure
        self.read_at_30_digits.add(key)
        return None

    def _row(self, key: str) -> MethodResult:
        label = ROWS[key].label
        if self.f_too_slow is not None:
            return MethodResult(key=key, label=label, ok=False, error=self.f_too_slow)
        outcome = self._prepare(key)
        if isinstance(outcome, Failure):
            return MethodResult(key=key, label=label, ok=False, error=outcome.reason)
        prepared, cached = outcome
        unfaithful = self._fidelity(key, prepared)
        if unfaithful is not None:
            return MethodResult(
                key=key, label=label, ok=False, error=unfaithful, engine=prepared.engine
            )
        self.prepared[key] = prepared
        started = time.perf_counter()
        values = self._for_row(
            key, lambda: on_grid(prepared.derivative, self.grid, f"{self.target.name}'")
        )
        grid_seconds = time.perf_counter() - started
        if isinstance(values, Failure):
            return MethodResult(
                key=key, label=label, ok=False, error=values.reason, engine=prepared.engine
            )
        return MethodResult(
            key=key,
            label=label,
            ok=True,
            engine=prepared.engine,
            values=values,
            derivative=prepared.derivative,
            setup_s=prepared.setup_s,
            notes=list(prepared.notes) + self._read_note(key),
            expr=prepared.expr,
            pointwise=prepared.pointwise,
            cached=cached,
            prepared=prepared,
            work=prepared.work,
            precision=self._precision_of(key, prepared),
            grid_seconds=grid_seconds,
        )

    def _underflow_notes(self, symbolic: Prepared, reference_values: Any) -> list[str]:
        """Where f or f' underflows float64 though SymPy's closed form has a value: SymPy and
        mpmath work, so under SymPy's limit like every SymPy step (an expression that swells
        in lambdify once hung here); none when it does not finish."""
        import sympy as sp

        notes = bounded_outcome(
            lambda: reference.underflow_notes(
                self.f_values,
                reference_values,
                symbolic.function_expr,
                symbolic.expr,
                self.target.name,
                derivative_name(self.order, self.target.name),
                sp.Symbol(self.target.wrt, real=True),
                self.grid,
            ),
            "symbolic",
            self.target.name,
            self.symbolic_seconds,
        )
        return [] if isinstance(notes, Failure) else notes

    def _read_note(self, key: str) -> list[str]:
        if key not in self.read_at_30_digits:
            return []
        return [
            "SymPy's f loses digits in float64 where its formula cancels (it agrees with NumPy's "
            "f at 30 digits): this row's float64 values may too; the reference is evaluated at "
            f"{reference.DIGITS} digits"
        ]

    def _symbolic_for_reference(self) -> Prepared | None:
        """SymPy's derivative, prepared even when the symbolic row was not asked for; only a
        derivative of f as NumPy computes it can be the reference."""
        if self.f_too_slow is not None:
            return None
        for key in ("symbolic", "symbolic@jax"):
            if key in self.prepared:
                return self.prepared[key]
            if key in self.results:
                return None
        outcome = self._prepare("symbolic")
        if isinstance(outcome, Failure) or self._fidelity("symbolic", outcome[0]) is not None:
            return None
        return outcome[0]

    def _seconds(self, key: str) -> float:
        return self.symbolic_seconds if ROWS[key].method == "symbolic" else self.method_seconds

    def _for_row(self, key: str, work: Callable[[], Any]) -> Any:
        """`work()` under row `key`'s limit, or the `Failure` whose reason names f as the
        learner named it."""
        return bounded_outcome(work, key, self.target.name, self._seconds(key))

    def _singularities(self, symbolic: Prepared | None) -> list[singular.Singularity]:
        """Points where f' does not exist, found under the symbolic limit (SymPy's solveset and
        diff are bounded like every SymPy step); none when the search cannot finish."""
        if self.numpy_function is None:
            return []
        found = bounded_outcome(
            lambda: singular.find(
                self.grid,
                self.order,
                self.target.wrt,
                self.numpy_function,
                None if symbolic is None else (symbolic.function_expr, symbolic.expr),
                [self.results.get(key) for key in ("automatic", "finite_difference")],
                self.f_values,
            ),
            "symbolic",
            "the search for points where f' does not exist",
            self.symbolic_seconds,
            step="in the search for points where f' does not exist",
        )
        if isinstance(found, Failure):
            self.notes.append(f"points where f' does not exist were not searched: {found}")
            return []
        return found  # type: ignore[no-any-return]

    def _yours_rows(self) -> None:
        """A row for each hand-written derivative, its values on the grid (judged with the
        others)."""
        for key, (label, function) in self.yours.items():
            values = bounded_outcome(
                lambda function=function: yours_rows.evaluate(function, self.target, self.grid),
                "finite_difference",
                label,
                self.method_seconds,
                culprit=yours_rows.culprit(function),
                step="on the grid",
            )
            if isinstance(values, Failure):
                self.results[key] = MethodResult(
                    key=key, label=label, ok=False, error=values.reason
                )
                continue
            self.results[key] = MethodResult(
                key=key,
                label=label,
                ok=False,
                engine="numpy",
                values=values,
                derivative=lambda x, function=function: yours_rows.evaluate(
                    function, self.target, np.asarray(x, dtype=np.float64)
                ),
            )
