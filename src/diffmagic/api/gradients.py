"""`compare_gradient()`: every method on one loss, one honest table.

The loss is evaluated under NumPy at the point first (that is the function every method must
differentiate, one evaluation of it is the unit of cost, and it must give the same value
twice); each method then computes the gradient or says why it could not, every call of the
user's code under the one guard; and every row is judged by the one verdict
(`measure.judge_rows`): against SymPy's exact gradient at 30 digits when SymPy finishes, else
against a stand-in that an independent method must confirm, and never "ok" along a
coordinate where f has a corner or a jump.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diffmagic.analysis import measure, verdicts
from diffmagic.analysis.exact_gradient import MAX_SYMBOLIC_PARAMETERS, ExactGradient, exact_gradient
from diffmagic.inputs.pytree import Flat, flatten
from diffmagic.inputs.target import resolve_function
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure, explain_jax, one_line
from diffmagic.limits.guard import Failure, still_running_note
from diffmagic.methods import gradients as gradient_methods
from diffmagic.methods.gradients import LABELS, GradientTiming, Outcome, warm_seconds
from diffmagic.results.gradient import GradientComparison
from diffmagic.results.point import GradientResult
from diffmagic.running.loss import Loss, call, checked_options, first_parameter, loss_at, loss_notes

DEFAULT_METHODS = ("symbolic", "numerical", "forward", "reverse")


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


def _exact(loss: Loss, seconds: float) -> ExactGradient | Failure:
    """SymPy's exact gradient of the loss, or why there is none (too many parameters, SymPy
    could not, or it traced a function other than NumPy's f)."""
    function, flat, name, f_value = loss.function, loss.flat, loss.name, loss.f_value
    if flat.size > MAX_SYMBOLIC_PARAMETERS:
        return Failure(
            f"not tried at {flat.size:,} parameters (limit {MAX_SYMBOLIC_PARAMETERS:,}): "
            "n derivatives, each as large as f, would take minutes"
        )
    exact = exact_gradient(function, flat, seconds=seconds, params=loss.params)
    if isinstance(exact, Failure):
        return exact
    if not gradient_methods.close_to(exact.f_value, f_value, loss.noise, loss.precision):
        return Failure(
            f"SymPy computes {name}(at) = {exact.f_value:.17g}, NumPy {f_value:.17g}: "
            "it traced another function"
        )
    return exact


def _row(key: str, loss: Loss, exact: ExactGradient | None, why_not: str) -> Outcome:
    """One method's gradient, under the guard and its limit (MethodFailure: why not)."""
    if key == "symbolic":
        if exact is None:
            raise MethodFailure(why_not)
        return call(
            lambda: _symbolic_outcome(exact, loss.flat),
            name="SymPy's gradient",
            seconds=loss.seconds,
        )
    if key == "numerical":
        _refuse_if_too_long(8 * loss.flat.size, loss.f_seconds, "8n evaluations of f or more")
        f0 = np.array([loss.f_value])
        return call(
            lambda: gradient_methods.central(
                loss.of_flat, loss.flat, f0, loss.floor, loss.precision
            ),
            name=loss.name,
            seconds=loss.seconds,
        )
    if key == "forward":
        _refuse_if_too_long(loss.flat.size, loss.f_seconds, "n JVPs, each about one f")
    run = gradient_methods.reverse if key == "reverse" else gradient_methods.forward

    def jax_gradient() -> Outcome:
        jax_of_flat = gradient_methods.jax_loss(loss.function, loss.flat, loss.params)
        return run(jax_of_flat, loss.flat, loss.f_value, loss.name, loss.noise, loss.precision)

    return call(jax_gradient, name=loss.name, seconds=loss.seconds, explain=explain_jax)


def _jax_witness(loss: Loss) -> list[Any]:
    """JAX's reverse mode, not asked for, as a second opinion on a stand-in (empty when it
    cannot give one)."""
    try:
        outcome = _row("reverse", loss, None, "")
    except MethodFailure:
        return []
    row = GradientResult(key="reverse", label=LABELS["reverse"], ok=True)
    row.flat_values = outcome.flat_values
    found = measure.candidate("reverse", row)
    return [] if found is None else [found]


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

    Every row is judged by the one verdict (`verdicts.judge`): see "What ok means" in the
    README. Each call of f, and each method, stops after `method_time_limit` seconds whatever
    f does; SymPy after `symbolic_seconds`.

    Parameters
    ----------
    f : callable or str
        The loss, or a cell's text defining it, taking the point as its first argument.
    at : array_like or pytree
        A 1-D array (or list of numbers) or a pytree (dict / list / tuple of arrays).
    methods : sequence of str or str, optional
        "symbolic", "numerical", "forward", "reverse" (aliases "jax" and "automatic" mean
        reverse).
    params : mapping, optional
        Values of f's other arguments.
    timing : bool, optional
        False skips the warm timing runs (setup and one gradient are still measured once).
    func : str, optional
        Which function of a cell's text to use (default: the last one it defines).
    symbolic_seconds, method_time_limit : float, optional
        The limits above, in seconds.

    Returns
    -------
    GradientComparison
        A row per method (`g["reverse"]`: values, errors, timing, status and why), the
        reference and f's own cost, each gradient's cost counted in evaluations of f.

    Raises
    ------
    DiffMagicError
        When an option is unknown, f raises at `at`, or f does not return one number.

    Examples
    --------
    >>> import numpy as np, diffmagic
    >>> def loss(w, b): return b * np.sum(w**2)
    >>> g = diffmagic.compare_gradient(loss, [1.0, 2.0], params={"b": 3.0}, timing=False)
    >>> g["reverse"].values, g["symbolic"].status, g.failures
    (array([ 6., 12.]), 'ok', {})
    """
    params, timing, symbolic_seconds = checked_options(params, timing, func, symbolic_seconds)
    seconds = bounds.check_seconds(method_time_limit, "method_time_limit")
    function, _ = resolve_function(f, func, seconds=seconds)
    keys = gradient_methods.select(methods)
    flat = flatten(at, name=first_parameter(function))
    loss = loss_at(function, flat, params, seconds)
    found = _exact(loss, symbolic_seconds)
    exact, why_not = (None, found.reason) if isinstance(found, Failure) else (found, "")
    results = {key: _method_row(key, loss, exact, why_not, timing) for key in keys}
    reference, reference_words, distrust = _judge(loss, results, exact, why_not)
    return GradientComparison(
        name=loss.name,
        at=at,
        flat=flat,
        f_value=loss.f_value,
        f_seconds=loss.f_seconds,
        results=results,
        reference=reference_words,
        reference_values=None if reference is None else reference.values,
        exact=exact if distrust is None else None,
        notes=loss_notes(loss) + still_running_note(),
    )


def _method_row(
    key: str, loss: Loss, exact: ExactGradient | None, why_not: str, timing: bool
) -> GradientResult:
    """Method `key`'s row: its gradient, filled in and timed, or the reason it has none."""
    row = GradientResult(key=key, label=LABELS[key], ok=False)
    try:
        outcome = _row(key, loss, exact, why_not)
    except MethodFailure as failure:
        row.error = one_line(failure)
    else:
        _fill(row, outcome, loss.flat, timing)
        row.precision = loss.precision if key == "numerical" else "float64"
    return row


def _judge(
    loss: Loss, results: dict[str, GradientResult], exact: ExactGradient | None, why_not: str
) -> tuple[verdicts.Reference | None, str, str | None]:
    """Every row's verdict (`measure.judge_rows`), with the witnesses a stand-in may need, and
    each row's worst coordinate as a place: (reference, its words, why SymPy was distrusted)."""
    flat = loss.flat
    x_size = float(np.max(np.abs(flat.values)))
    point = measure.Point(
        flat.describe, flat.describe, "gradient", abs(loss.f_value), x_size, (1, flat.size)
    )
    numerical = results.get("numerical")
    differences, unchecked = (numerical.differences, None) if numerical else (None, None)
    if numerical is None:
        differences, unchecked = measure.witness_differences(
            loss.of_flat,
            flat,
            np.array([loss.f_value]),
            loss.floor,
            loss.precision,
            loss.name,
            loss.f_seconds,
            seconds=loss.seconds,
        )
    if unchecked:
        loss.notes.append(unchecked)
    witnesses = []
    if differences is not None:
        witnesses.append(measure.witness(differences, LABELS["numerical"], loss.precision))
    if exact is None and not ({"forward", "reverse"} & set(results)):
        witnesses += _jax_witness(loss)
    judged = measure.judge_rows(
        results,
        None if exact is None else exact.values,
        "exact: SymPy's gradient evaluated by mpmath at 30 digits",
        why_not,
        point,
        differences,
        witnesses,
    )
    for row in results.values():
        if isinstance(row.worst, int):
            row.worst, row.worst_text = flat.location(row.worst), flat.describe(row.worst)
    return judged


def _fill(row: GradientResult, outcome: Outcome, flat: Flat, timing: bool) -> None:
    """A method's outcome in its row (before the verdict)."""
    row.ok = True
    row.flat_values = outcome.flat_values
    row.values = flat.unflatten(outcome.flat_values.copy())
    row.timing = outcome.timing if timing else _untimed(outcome.timing)
    row.engine = outcome.engine
    row.notes.extend(outcome.notes)
    row.work = outcome.work
    row.differences = outcome.differences


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


def _untimed(measured: GradientTiming) -> GradientTiming:
    return GradientTiming(measured.setup_s, measured.eval_s, measured.f_evals, 1)
