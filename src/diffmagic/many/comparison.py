"""`compare_gradient()`: every method on one loss, one honest table.

The loss is evaluated once under NumPy at the point (that is the function every method must
differentiate, and one evaluation of it is the unit of cost); each method then computes the
gradient or says why it could not; errors are measured against SymPy's exact gradient at 30
digits when SymPy finishes, or else as differences from the best method that worked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffmagic import bounds
from diffmagic.errors import DiffMagicError
from diffmagic.explain import MethodFailure, one_line
from diffmagic.guard import Failure, guarded, still_running_note
from diffmagic.jsonable import finite_or_none
from diffmagic.many import methods as gradient_methods
from diffmagic.many.loss import (
    evaluate_once,
    f_seconds_of,
    first_parameter,
    function_name,
    numpy_loss,
)
from diffmagic.many.measure import choose_reference, disagreements, measure_errors, outvoted
from diffmagic.many.methods import LABELS, GradientTiming, Outcome, warm_seconds
from diffmagic.many.pytree import Flat, flatten
from diffmagic.many.reference import MAX_SYMBOLIC_PARAMETERS, ExactGradient, exact_gradient
from diffmagic.many.results import MethodResult, MethodTable
from diffmagic.target import resolve_function

DEFAULT_METHODS = ("symbolic", "numerical", "forward", "reverse")


@dataclass(repr=False)
class GradientResult(MethodResult):
    """One method's gradient at the point, how far it is from the reference, what it cost."""

    #: The gradient in the structure and shapes of `at` (None when the method failed).
    values: Any = None
    flat_values: np.ndarray | None = None
    #: The place of `worst` as a reader writes it: "w[7]", "W1[3, 2]".
    worst_text: str | None = None
    engine: str = ""
    work: str | None = None

    def _error_text(self) -> str:
        return "—" if self.max_abs_error is None else f"{self.max_abs_error:.3g}"

    def _own_record(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "worst_text": self.worst_text,
            "work": self.work,
            "values": None
            if self.flat_values is None
            else [finite_or_none(v) for v in self.flat_values],
        }


class GradientComparison(MethodTable[GradientResult]):
    """The outcome of `compare_gradient()`: one row per method, the reference, f's cost.

    Index it by method (`g["reverse"]`, or an alias: `g["jax"]`, `g["automatic"]`); display it
    in a notebook for the table, `print(g)` for text, `g.figure()` for the error per coordinate.
    """

    def __init__(
        self,
        *,
        name: str,
        at: Any,
        flat: Flat,
        f_value: float,
        f_seconds: float,
        results: dict[str, GradientResult],
        reference: str,
        reference_values: np.ndarray | None,
        exact: ExactGradient | None,
        notes: list[str],
    ) -> None:
        self.name = name
        #: The point, as given.
        self.at = at
        self.flat = flat
        self.f_value = f_value
        #: One evaluation of f at `at` under NumPy, measured in the same run.
        self.f_seconds = f_seconds
        self.results = results
        #: Which method the errors are measured against, in words.
        self.reference = reference
        self.reference_values = reference_values
        self.exact = exact
        self.notes = notes

    @property
    def size(self) -> int:
        return self.flat.size

    @property
    def exact_reference(self) -> bool:
        return self.exact is not None and self.reference_values is self.exact.values

    def __contains__(self, name: object) -> bool:
        try:
            return gradient_methods.method_key(name) in self.results
        except DiffMagicError:
            return False

    @property
    def failures(self) -> dict[str, str]:
        """The methods that failed, with their one-line reasons (the CLI exits 1 if any)."""
        return {key: row.error or "failed" for key, row in self.results.items() if not row.ok}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "gradient",
            "function": self.name,
            "parameters": self.size,
            "shapes": self.flat.shape_text(),
            "f_value": finite_or_none(self.f_value),
            "f_seconds": self.f_seconds,
            "reference": self.reference,
            "exact_reference": self.exact_reference,
            "symbolic_ops": None if self.exact is None else self.exact.expr_ops,
            "notes": list(self.notes),
            "methods": {key: row.to_dict() for key, row in self.results.items()},
        }

    def figure(self) -> Any:
        from diffmagic.many.views import gradient_figure

        return gradient_figure(self)

    def _repr_html_(self) -> str:
        from diffmagic.many.views import gradient_html

        return gradient_html(self)

    def __str__(self) -> str:
        from diffmagic.many.views import gradient_text

        return gradient_text(self)


def _symbolic_outcome(exact: ExactGradient, flat: Flat) -> Outcome:
    """SymPy's gradient evaluated in float64 (a walk over its shared expression graph)."""
    values = exact.float64_values(flat.values)
    eval_s, runs = warm_seconds(lambda: exact.float64_values(flat.values))
    return Outcome(
        values,
        GradientTiming(exact.derive_s, eval_s, None, runs),
        engine="sympy, float64 evaluation",
        work=f"{exact.expr_ops:,} operations written out (f: {exact.f_ops:,})",
    )


def _exact(
    function: Callable[..., Any],
    flat: Flat,
    params: Mapping[str, Any] | None,
    f_value: float,
    name: str,
    seconds: float,
) -> ExactGradient | str:
    if flat.size > MAX_SYMBOLIC_PARAMETERS:
        return (
            f"not tried at {flat.size:,} parameters (limit {MAX_SYMBOLIC_PARAMETERS:,}): "
            "n derivatives, each as large as f, would take minutes"
        )
    exact = exact_gradient(function, flat, seconds=seconds, params=params)
    if isinstance(exact, str):
        return exact
    if not gradient_methods.close_to(exact.f_value, f_value):
        return (
            f"SymPy computes {name}(at) = {exact.f_value:.17g}, NumPy {f_value:.17g}: "
            "it traced another function"
        )
    return exact


def compare_gradient(
    f: Any,
    at: Any,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    params: Mapping[str, Any] | None = None,
    timing: bool = True,
    *,
    func: str | None = None,
    symbolic_seconds: float = bounds.SYMBOLIC_SECONDS,
    method_time_limit: float = bounds.METHOD_SECONDS,
) -> GradientComparison:
    """The gradient of a loss f: R^n -> R at `at` by each method, with errors and timings.

    `f` is a callable or a cell's text, taking the point as its first argument; `at` is a 1-D
    array (or list of numbers) or a pytree (dict / list / tuple of arrays); other arguments of
    f go in `params`. Methods: "symbolic", "numerical", "forward", "reverse" (aliases "jax"
    and "automatic" mean reverse). `timing=False` skips the warm timing runs (setup and one
    gradient are still measured once).
    """
    function, _ = resolve_function(f, func)
    name = function_name(function)
    keys = gradient_methods.select(methods)
    flat = flatten(at, name=first_parameter(function))
    of_flat = numpy_loss(function, flat, params)
    f_value, f_seconds = _within(
        lambda: (
            float(evaluate_once(of_flat, flat, name, scalar=True).reshape(-1)[0]),
            f_seconds_of(of_flat, flat),
        ),
        "at `at`",
        name,
        method_time_limit,
        failure=DiffMagicError,
    )
    notes: list[str] = []
    if flat.dtype_was_float32:
        notes.append("`at` was float32: every method computes in float64")

    exact_or_reason = _exact(function, flat, params, f_value, name, symbolic_seconds)
    exact = exact_or_reason if isinstance(exact_or_reason, ExactGradient) else None

    results: dict[str, GradientResult] = {}
    for key in keys:
        row = GradientResult(key=key, label=LABELS[key], ok=False)
        try:
            if key == "symbolic":
                if exact is None:
                    raise MethodFailure(str(exact_or_reason))
                outcome = _within(
                    lambda: _symbolic_outcome(exact, flat), LABELS[key], name, symbolic_seconds
                )
            elif key == "numerical":
                _refuse_if_too_long(2 * flat.size, f_seconds, "2n evaluations of f")
                outcome = _within(
                    lambda: gradient_methods.numerical(of_flat, flat, name),
                    LABELS[key],
                    name,
                    method_time_limit,
                )
            else:
                if key == "forward":
                    _refuse_if_too_long(flat.size, f_seconds, "n JVPs, each about one f")
                jax_of_flat = gradient_methods.jax_loss(function, flat, params)
                run = gradient_methods.reverse if key == "reverse" else gradient_methods.forward
                outcome = _within(
                    functools.partial(run, jax_of_flat, flat, f_value, name),
                    LABELS[key],
                    name,
                    method_time_limit,
                )
        except MethodFailure as failure:
            row.error = one_line(failure)
            results[key] = row
            continue
        row.ok = True
        row.flat_values = outcome.flat_values
        row.values = flat.unflatten(outcome.flat_values.copy())
        row.timing = outcome.timing if timing else _untimed(outcome.timing)
        row.engine = outcome.engine
        row.notes.extend(outcome.notes)
        row.work = outcome.work
        results[key] = row

    reference_values, reference = choose_reference(results, exact, exact_or_reason)
    measure_errors(results, reference_values, flat)
    if exact is not None and outvoted(results):
        # Two independent methods agree with each other and not with SymPy: SymPy is wrong.
        exact_or_reason = (
            "its gradient disagrees with JAX's reverse mode and central differences, which "
            "agree with each other: not trusted"
        )
        exact = None
        symbolic = results.get("symbolic")
        if symbolic is not None:
            results["symbolic"] = GradientResult(
                key="symbolic", label=LABELS["symbolic"], ok=False, error=exact_or_reason
            )
        reference_values, reference = choose_reference(results, None, exact_or_reason)
        measure_errors(results, reference_values, flat)
    notes.extend(disagreements(results, exact is not None))
    notes.extend(still_running_note())
    return GradientComparison(
        name=name,
        at=at,
        flat=flat,
        f_value=f_value,
        f_seconds=f_seconds,
        results=results,
        reference=reference,
        reference_values=reference_values,
        exact=exact,
        notes=notes,
    )


def _refuse_if_too_long(evaluations: int, f_seconds: float, what: str) -> None:
    """Central differences and forward mode cost about n evaluations of f: refused, with the
    estimate, when that passes bounds.METHOD_SECONDS (2 million evaluations of a 30 ms f would
    take 17 hours)."""
    expected = evaluations * f_seconds
    if expected > bounds.METHOD_SECONDS:
        raise MethodFailure(
            f"skipped: {what} would take about {expected:,.0f} s here "
            f"(limit {bounds.METHOD_SECONDS:g} s); parameter_study shows how it grows"
        )


def _within(
    work: Callable[[], Any],
    where: str,
    name: str,
    seconds: float,
    failure: type[Exception] = MethodFailure,
) -> Any:
    """`work()` under the one guard (`guard.guarded`): its value, or `failure` with the reason
    (a timeout names f when f was running, else the method `where`)."""
    outcome = guarded(
        work,
        seconds=seconds,
        name=name,
        describe_timeout=lambda limit: (
            f"{where} took longer than {limit:g} s; raise method_time_limit to wait longer"
        ),
        describe_user_timeout=lambda limit, culprit: (
            f"{culprit} took longer than {limit:g} s {'' if where.startswith('at ') else 'in '}"
            f"{where} (does it sleep or loop?); raise method_time_limit to wait longer"
        ),
        passthrough=(DiffMagicError,),
    )
    if isinstance(outcome, Failure):
        raise failure(outcome.reason)
    return outcome


def _untimed(measured: GradientTiming) -> GradientTiming:
    return GradientTiming(measured.setup_s, measured.eval_s, measured.f_evals, 1)
