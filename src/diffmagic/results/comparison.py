"""What a comparison holds: a row per method (`MethodResult`) and the whole (`Comparison`).

Result types only: they are built by `diffmagic.api.compare.compare()` and shown by
`diffmagic.views`; the few methods that compute (`secants`, `step_study`, `time`) hand the work
to the analysis and timing modules, imported when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.analysis import reference, singular, verdicts
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.naming import derivative_name
from diffmagic.inputs.target import Target
from diffmagic.limits import bounds
from diffmagic.methods import method_key
from diffmagic.methods.base import Prepared, Work
from diffmagic.results.jsonable import finite_or_none
from diffmagic.running import timing as timing_harness
from diffmagic.running.request import Request, check_timing


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
    #: The floating-point type this row's f computes in ("float32" for a jitted f without x64).
    precision: str = "float64"
    #: Seconds its evaluation on the grid took (sizes the quick timing of slow rows).
    grid_seconds: float | None = field(default=None, repr=False)
    #: x values where a hand-written derivative ("yours") is wrong.
    wrong_at: np.ndarray | None = field(default=None, repr=False)
    #: The notes the last timing added (timing again replaces them).
    timing_notes: list[str] = field(default_factory=list, repr=False)

    #: Where the largest error is: a flat index on a grid (a gradient or a Jacobian names the
    #: place its own way).
    worst: Any = field(default=None, repr=False)
    #: The status the verdict gave (`verdicts.judge`); None before the row is judged.
    judged: str | None = field(default=None, repr=False)

    def take(self, verdict: verdicts.Verdict) -> None:
        """The verdict's status, reason and errors, in this row."""
        self.ok = verdict.ok
        self.judged = verdict.status
        self.error = verdict.reason
        self.max_abs_error, self.max_rel_error = verdict.max_abs_error, verdict.max_rel_error
        self.worst = verdict.worst
        self.nonfinite = verdict.nonfinite

    @property
    def status(self) -> str:
        """ "ok" only for a derivative of NumPy's own f that is finite and within its method's
        accuracy of a reference that is exact or confirmed; otherwise the word of
        `verdicts` that says why not ("inaccurate", "reference", "no derivative", "failed"...).
        """
        if not self.ok and self.values is None:
            return verdicts.FAILED
        word = self.judged
        if word is None or (word == verdicts.OK and not self.ok):
            word = verdicts.OK if self.ok else self._not_ok_word()
        if word not in verdicts.VOUCHED:
            return word
        qualifiers = []
        if self.pointwise:
            qualifiers.append("slow fallback")
        if self.precision != "float64":
            qualifiers.append(self.precision)
        return f"{word} ({', '.join(qualifiers)})" if qualifiers else word

    def _not_ok_word(self) -> str:
        return verdicts.WRONG if self.key.startswith("yours") else verdicts.INACCURATE

    def __repr__(self) -> str:
        kind = type(self).__name__
        if not self.ok:
            return f"<{kind} {self.key}: {self.status}: {self.error}>"
        error = "—" if self.max_abs_error is None else f"{self.max_abs_error:.3g}"
        return f"<{kind} {self.key}: {self.status}, max abs error {error}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "ok": self.ok,
            "error": self.error,
            "engine": self.engine,
            "status": self.status,
            "precision": self.precision,
            "max_abs_error": finite_or_none(self.max_abs_error),
            "max_rel_error": finite_or_none(self.max_rel_error),
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
            "values": None if self.values is None else [finite_or_none(v) for v in self.values],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return finite_or_none(value)


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
        precision: str = "float64",
        method_time_limit: float = bounds.METHOD_SECONDS,
    ) -> None:
        self.target = target
        #: The floating-point type NumPy's f computes in ("float32" for a jitted f without x64).
        self.precision = precision
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
        #: The limit on each method's work, which `time()` keeps to as `compare()` did.
        self.method_time_limit = method_time_limit
        #: The checked options this comparison ran with (`run(f, cmp.request)` runs it again).
        self.request: Request | None = None

    def __getitem__(self, name: str) -> MethodResult:
        if name in self.results:  # "yours", "yours:dfdx", "symbolic@jax"
            return self.results[name]
        key = method_key(name)
        if key not in self.results:
            asked = ", ".join(self.results)
            raise KeyError(f"method `{name}` was not run; this comparison has {asked}")
        return self.results[key]

    def __contains__(self, name: object) -> bool:
        if name in self.results:
            return True
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
        return derivative_name(self.order, self.target.name)

    def latex(self) -> str | None:
        """f and its derivative in LaTeX (SymPy's forms), or None without a symbolic form."""
        from diffmagic.views.text import latex

        return latex(self)

    def figure(self, **options: Any) -> Any:
        """A matplotlib Figure: f and each f' on top, each method's error below (log scale)."""
        from diffmagic.analysis.at_point import tangents
        from diffmagic.views.figure import comparison_figure

        options.setdefault("tangents", lambda x0, dx=None: tangents(self, x0, dx))
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

    def graph(self, at: float, mode: str = "reverse") -> Any:
        """The computational graph of this comparison's f at x0 = `at` (`diffmagic.graph`):
        each step's value, and its tangent (forward) or adjoint (reverse)."""
        from diffmagic.results.graph import graph_of_comparison

        return graph_of_comparison(self, at, mode)

    def _first_order_only(self, what: str) -> None:
        if self.order != 1:
            raise DiffMagicError(f"{what} approximate f', so they need a comparison of order 1")

    def secants(self, x0: float) -> list[tuple[float, float, float | None]]:
        """(dx, (f(x0+dx) - f(x0))/dx, its error) for dx = 1, 0.1, ... 1e-15: the course's limit."""
        from diffmagic.analysis.at_point import function_at
        from diffmagic.analysis.steps import secant_table

        self._first_order_only("secants")
        return self._calling_f(
            lambda: secant_table(lambda x: function_at(self, x), x0, self.exact_derivative_at(x0)),
            "the secants",
        )

    def step_study(self, x0: float) -> Any:
        """Errors of forward and central quotients at x0 against the step h (`steps.StepStudy`),
        or None when there is no exact derivative to measure them against."""
        from diffmagic.analysis.at_point import function_at
        from diffmagic.analysis.steps import step_study

        self._first_order_only("step studies")

        def study() -> Any:
            exact = self.exact_derivative_at(x0)  # JAX's, when SymPy has none, calls f
            if exact is None or self.function is None:
                return None
            return step_study(lambda x: function_at(self, x), x0, exact)

        return self._calling_f(study, "the step study")

    def _calling_f(self, work: Callable[[], Any], what: str) -> Any:
        """Work that calls f again after the comparison (hundreds of difference quotients)
        under the one guard and the comparison's method time limit: f blocking, sleeping or
        looping there is stopped, and a call left running is said so in the notes."""
        from diffmagic.limits.guard import guarded_entry

        found, notes = guarded_entry(
            work,
            seconds=self.method_time_limit,
            fix="raise method_time_limit to wait longer",
            name=self.target.name,
            what=what,
        )
        self.notes.extend(note for note in notes if note not in self.notes)
        return found

    def time(
        self,
        timing_points: int = 1_000_000,
        mode: str = "quick",
        progress: Callable[[float, str], None] | None = None,
    ) -> Comparison:
        """Time each working method now (as `compare(..., timing=True)` would); returns self."""
        from diffmagic.running.row_timing import time_results

        points = check_timing(timing_points, mode)
        self.timing_points = points
        finished = time_results(
            self.results, self.domain, points, mode, progress, seconds=self.method_time_limit
        )
        self.notes = [note for note in self.notes if note != _INTERRUPTED]
        if not finished:
            self.notes.append(_INTERRUPTED)
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
            "f": [finite_or_none(v) for v in self.f_values],
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
                {"x": p.x, "f": finite_or_none(p.f), "kind": p.kind, "found_by": p.found_by}
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


_INTERRUPTED = "timing was interrupted: rows without times were not timed"
