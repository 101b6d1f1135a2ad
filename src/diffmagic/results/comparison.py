"""What a comparison holds: a row per method (`MethodResult`) and the whole (`Comparison`).

Result types only: they are built by `diffmagic.api.compare.compare()` and shown by
`diffmagic.views`; the few methods that compute (`secants`, `step_study`, `time`) hand the work
to the analysis and timing modules, imported when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from diffmagic.analysis import reference, singular
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.naming import derivative_name
from diffmagic.inputs.target import Target
from diffmagic.limits import bounds
from diffmagic.methods import method_key
from diffmagic.results.method_result import MethodResult
from diffmagic.running.request import DEFAULT_TIMING_POINTS, Request, check_timing
from diffmagic.views.figure import FIGURE_HEIGHT, FIGURE_WIDTH

# ----------------------------------------------------------------------------- result


class Comparison:
    """The outcome of `compare()`: a row per method, the grid, the reference, the verdicts.

    Index it by method (`cmp["symbolic"]`, or an alias such as `cmp["jax"]`); display it in a
    notebook for the table, or call `figure()` for the plot.

    Examples
    --------
    >>> import diffmagic
    >>> cmp = diffmagic.compare("x**2", domain=(-1, 1), points=5)
    >>> [row.key for row in cmp], "jax" in cmp, cmp.ok
    (['symbolic', 'numerical', 'finite_difference', 'automatic'], True, True)
    >>> print(cmp.table())
    f' of f(x) on [-1, 1], 5 points; timing off: ...
    <BLANKLINE>
    method  ...  status  ...
    ...
    symbolic (SymPy)  ...  ok  ...
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
        """True when every row is ok (or the stand-in reference): none failed, none inaccurate,
        none of your derivatives wrong."""
        return all(result.ok for result in self.results.values())

    @property
    def derivative_name(self) -> str:
        """The derivative as the table names it: `f'`, `f''`, `f^(3)`."""
        return derivative_name(self.order, self.target.name)

    def latex(self) -> str | None:
        """f and its derivative in LaTeX (SymPy's forms), or None without a symbolic form."""
        from diffmagic.views.text import latex

        return latex(self)

    def figure(
        self,
        *,
        at: float | None = None,
        secant: float | None = None,
        extra: dict[str, np.ndarray] | None = None,
        width: float = FIGURE_WIDTH,
        height: float = FIGURE_HEIGHT,
    ) -> Any:
        """A matplotlib Figure: f and each f' on top, each method's error below (log scale).

        Parameters
        ----------
        at : float, optional
            Draw the tangent line of each row at x0 = `at`.
        secant : float, optional
            Also draw the secant through x0 and x0 + `secant` (with `at`).
        extra : dict of str to ndarray, optional
            More derivative curves on the grid (`cmp.x`) by label, drawn with their errors.
        width, height : float, optional
            The figure's size in inches.

        Returns
        -------
        matplotlib.figure.Figure
            Not shown or kept by pyplot: display it, or `fig.savefig("compare.png")`.
        """
        from diffmagic.analysis.at_point import tangents
        from diffmagic.views.figure import comparison_figure

        return comparison_figure(
            self,
            at=at,
            secant=secant,
            extra=extra,
            width=width,
            height=height,
            tangents=lambda x0, dx=None: tangents(self, x0, dx),
        )

    def table(self) -> str:
        """The plain-text table (as `print(cmp)` shows it): a row per method, then notes."""
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
        against; None where f' does not exist (SymPy's sign(0) = 0 is no slope of |x|).

        Parameters
        ----------
        x0 : float
            The point.

        Returns
        -------
        float or None
            None where f' does not exist at x0, or when neither SymPy's derivative nor a
            working JAX row is there, or f'(x0) is not finite.

        Examples
        --------
        >>> import diffmagic
        >>> diffmagic.compare("x**2", points=5).exact_derivative_at(0.25)
        0.5
        """
        from diffmagic.analysis.at_point import no_derivative_at

        if no_derivative_at(self, x0) is not None:
            return None
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
        each step's value, and its tangent (forward) or adjoint (reverse).

        Parameters
        ----------
        at : float
            The point x0.
        mode : {'reverse', 'forward'}, optional
            Pull adjoints back from f, or push tangents forward from x.

        Returns
        -------
        ComputationalGraph
            As `diffmagic.graph(f, at, mode)` returns it.

        Raises
        ------
        DiffMagicError
            When `at` is not one finite number, `mode` is neither, or JAX cannot trace f.
        """
        from diffmagic.results.graph import graph_of_comparison

        return graph_of_comparison(self, at, mode)

    def _first_order_only(self, what: str) -> None:
        if self.order != 1:
            raise DiffMagicError(f"{what} approximate f', so they need a comparison of order 1")

    def secants(self, x0: float) -> list[tuple[float, float, float | None]]:
        """(dx, (f(x0+dx) - f(x0))/dx, its error) for dx = 1, 0.1, ... 1e-15: the course's limit.

        Where f' does not exist at x0, from both sides (dx < 0 too): at a corner each side
        against its own slope, elsewhere with no error (`at_point.secants`).

        Parameters
        ----------
        x0 : float
            The point.

        Returns
        -------
        list of (float, float, float or None)
            A row per step; the error is None without an exact f'(x0) to measure it against.

        Raises
        ------
        DiffMagicError
            For a comparison of order 2 or more: a secant's slope approximates f' only.

        Examples
        --------
        >>> import diffmagic
        >>> diffmagic.compare("x**2", points=5).secants(1.0)[:2]  # (1+dx)**2 - 1 = 2 dx + dx**2
        [(1.0, 3.0, 1.0), (0.1, 2.1..., 0.1...)]
        """
        from diffmagic.analysis.at_point import secants

        self._first_order_only("secants")
        return self._calling_f(lambda: secants(self, x0), "the secants")

    def step_study(self, x0: float) -> Any:
        """Errors of forward and central quotients at x0 against the step h, in float64 and
        float32: where round-off overtakes truncation.

        Parameters
        ----------
        x0 : float
            The point.

        Returns
        -------
        StepStudyResult or None
            `.steps`, `.errors` by scheme and precision, `.best_step(label)`, `.figure()`;
            None when there is no exact derivative to measure them against.

        Raises
        ------
        DiffMagicError
            For a comparison of order 2 or more: the quotients approximate f' only.
        """
        from diffmagic.analysis.at_point import function_at
        from diffmagic.analysis.steps import step_study
        from diffmagic.results.steps import StepStudyResult

        self._first_order_only("step studies")

        def study() -> Any:
            exact = self.exact_derivative_at(x0)  # JAX's, when SymPy has none, calls f
            if exact is None or self.function is None:
                return None
            return StepStudyResult.of(step_study(lambda x: function_at(self, x), x0, exact))

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
        timing_points: int = DEFAULT_TIMING_POINTS,
        mode: str = "quick",
        progress: Callable[[float, str], None] | None = None,
    ) -> Comparison:
        """Time each working method now (as `compare(..., timing=True)` would).

        Parameters
        ----------
        timing_points : int, optional
            Evaluate each derivative on this many points.
        mode : {'quick', 'full'}, optional
            Quick: about a second in all; full: %timeit-like repeats.
        progress : callable, optional
            Called as progress(fraction done, label) while timing.

        Returns
        -------
        Comparison
            This comparison, its rows timed (`cmp["symbolic"].timing`).

        Raises
        ------
        DiffMagicError
            When `timing_points` is below 2 or too large, or `mode` is neither.
        """
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
        """A JSON-serialisable summary (numbers that are NaN or infinite become None): a dict
        of the function, the grid, the reference, the notes and a dict per method."""
        from diffmagic.results.jsonable import comparison_dict

        return comparison_dict(self)


_INTERRUPTED = "timing was interrupted: rows without times were not timed"
