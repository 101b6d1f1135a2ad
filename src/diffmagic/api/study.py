"""`parameter_study()`: the cost of one gradient against n, as a multiple of one f, measured.

For each size the point is built (`make_at(n)`, default a fixed random vector), f is timed, and
each method still in the race computes one gradient (setup apart, then warm). A method has a time
budget: once its total time passes it, or its next size is predicted to pass it, it stops and the
study says so; within a size, one gradient gets only what is left of the budget (the one guard
stops it there, whatever f does). An interrupt (Ctrl-C, the notebook's stop button) keeps what
was measured.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from diffmagic.analysis.exact_gradient import MAX_SYMBOLIC_PARAMETERS, exact_gradient
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.pytree import Flat, flatten
from diffmagic.inputs.target import resolve_function
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure, one_line
from diffmagic.limits.guard import Failure, guarded
from diffmagic.methods import gradients as gradient_methods
from diffmagic.methods.gradients import warm_seconds
from diffmagic.results.study import ParameterStudy
from diffmagic.running.loss import (
    check_make_at,
    evaluate_once,
    f_seconds_of,
    first_parameter,
    function_name,
    numpy_loss,
)
from diffmagic.running.progress import Progress, default_progress

T = TypeVar("T")

DEFAULT_SIZES = (1, 10, 100, 1_000, 10_000, 100_000)
DEFAULT_METHODS = ("symbolic", "numerical", "forward", "reverse")
#: Sizes above this are refused: the point alone and f's work would not fit a study.
MAX_SIZE = 10_000_000
#: How cost is assumed to grow when predicting a method's next size (time ~ n^k, k from the
#: two last sizes, at least 1 and at most 2.5): a method is stopped before a run that would
#: overrun its budget by itself.
MIN_GROWTH, MAX_GROWTH = 1.0, 2.5


def check_sizes(sizes: Any) -> list[int]:
    """Whole numbers from 1 to MAX_SIZE, increasing, without repeats; else a one-line error."""
    if isinstance(sizes, str):
        sizes = [part for part in sizes.replace(",", " ").split() if part]
    try:
        items = list(sizes)
    except TypeError:
        raise DiffMagicError(f"sizes must be a list of whole numbers, not {sizes!r}") from None
    if not items:
        raise DiffMagicError("sizes is empty: give sizes such as 10,100,1000")
    checked = []
    for item in items:
        try:
            number = float(item)
        except (TypeError, ValueError):
            raise DiffMagicError(f"sizes must be whole numbers, not {item!r}") from None
        if isinstance(item, bool) or not number.is_integer():
            raise DiffMagicError(f"sizes must be whole numbers, not {item!r}")
        if number < 1:
            raise DiffMagicError(f"sizes must be at least 1 parameter, not {int(number)}")
        if number > MAX_SIZE:
            raise DiffMagicError(f"size {int(number):,} is above the limit of {MAX_SIZE:,}")
        checked.append(int(number))
    return sorted(set(checked))


def _default_at(n: int) -> np.ndarray:
    """The same random point for a given n on every run (seed 0), entries of order 1."""
    return np.random.default_rng(0).normal(size=n)


def _predicted(seconds: list[float | None], sizes: list[int], index: int) -> float | None:
    """Seconds the method is expected to take at sizes[index], from its last measurements."""
    measured = [(sizes[i], s) for i, s in enumerate(seconds[:index]) if s is not None and s > 0]
    if not measured:
        return None
    if len(measured) >= 2:
        (n0, s0), (n1, s1) = measured[-2], measured[-1]
        growth = math.log(s1 / s0) / math.log(n1 / n0) if n1 != n0 else MIN_GROWTH
    else:
        growth = MIN_GROWTH
    growth = min(max(growth, MIN_GROWTH), MAX_GROWTH)
    n_last, s_last = measured[-1]
    return s_last * (sizes[index] / n_last) ** growth


def _one_gradient(
    key: str, run: _Run, flat: Flat, of_flat: Callable[[np.ndarray], Any], f_value: float
) -> tuple[float, float]:
    """(setup seconds, warm seconds of one gradient) for one method at one size."""
    function, params, name = run.function, run.params, run.name
    symbolic_seconds = run.symbolic_seconds
    if key == "symbolic":
        if flat.size > MAX_SYMBOLIC_PARAMETERS:
            raise MethodFailure(f"not tried above {MAX_SYMBOLIC_PARAMETERS:,} parameters")
        exact = exact_gradient(function, flat, seconds=symbolic_seconds, params=params)
        if isinstance(exact, Failure):
            raise MethodFailure(exact.reason)
        if not gradient_methods.close_to(exact.f_value, f_value):
            raise MethodFailure(f"SymPy computes another {name}(at) than NumPy")
        eval_s, _ = warm_seconds(lambda: exact.float64_values(flat.values))
        return exact.setup_s, eval_s
    if key == "numerical":
        outcome = gradient_methods.numerical(of_flat, flat, name)
    else:
        jax_of_flat = gradient_methods.jax_loss(function, flat, params)
        run = gradient_methods.reverse if key == "reverse" else gradient_methods.forward
        outcome = run(jax_of_flat, flat, f_value, name)
    return outcome.timing.setup_s, outcome.timing.eval_s


def parameter_study(
    f: Any,
    sizes: Sequence[int] | str = DEFAULT_SIZES,
    make_at: Callable[[int], Any] | None = None,
    methods: Sequence[str] | str = DEFAULT_METHODS,
    time_budget_s: float | Mapping[str, float] = 20.0,
    params: Mapping[str, Any] | None = None,
    *,
    func: str | None = None,
    progress: bool | Progress = True,
    symbolic_seconds: float = bounds.SYMBOLIC_SECONDS,
) -> ParameterStudy:
    """Time one gradient by each method at each size n, against one evaluation of f.

    Parameters
    ----------
    f : callable or str
        Takes a parameter vector of any length (or whatever `make_at(n)` returns).
    sizes : sequence of int or str, optional
        The sizes n, such as (10, 100, 1000) or "10,100,1000".
    make_at : callable, optional
        make_at(n) -> the point at size n (default: n random numbers, the same every run).
    time_budget_s : float or mapping, optional
        Per method (a number, or a dict by method): a method stops at the size where its total
        time passes the budget, or before a size predicted to pass it.
    methods, params, func, symbolic_seconds
        As `compare_gradient()` takes them.
    progress : bool or callable, optional
        A bar (a widget in a notebook, a line on stderr elsewhere); False for none, or a
        callable(fraction, label).

    Returns
    -------
    ParameterStudy
        Seconds per method and size beside f's own, `.slopes` (log-log), `.failures`.

    Raises
    ------
    DiffMagicError
        When a size, a budget or a method is refused (one line).

    Examples
    --------
    >>> from diffmagic import parameter_study
    >>> study = parameter_study(lambda w: w @ w, (1, 10), methods="reverse", progress=False)
    >>> study.sizes, study.failures, [cost > 0 for cost in study.cost_in_f("reverse")]
    ([1, 10], {}, [True, True])
    """
    function, _ = resolve_function(f, func)
    checked_sizes = check_sizes(sizes)
    keys = gradient_methods.select(methods)
    budgets = _budgets(time_budget_s, keys)
    report = _progress(progress)
    run = _Run(
        function,
        function_name(function),
        params,
        budgets,
        symbolic_seconds,
        ParameterStudy(function_name(function), checked_sizes, keys, max(budgets.values())),
    )
    started = time.perf_counter()
    steps = len(checked_sizes) * (len(keys) + 1)
    try:
        for index, n in enumerate(checked_sizes):
            report(index * (len(keys) + 1) / steps, f"n = {n:,}: f")
            point = run.point(make_at if make_at is not None else _default_at, n, index)
            if point is None:
                break
            for offset, key in enumerate(keys, start=1):
                report((index * (len(keys) + 1) + offset) / steps, f"n = {n:,}: {key}")
                run.method(key, index, n, *point)
        report(1.0, "done")
    except KeyboardInterrupt:
        run.study.interrupted = True
        run.study.notes.append("interrupted: the sizes measured before the interrupt are kept")
    run.study.elapsed_s = time.perf_counter() - started
    for key, why in run.study.stopped.items():
        run.study.notes.append(f"{key}: {why}")
    return run.study


@dataclass
class _Run:
    """One study under way: what each method has spent of its budget, and its steps."""

    function: Callable[..., Any]
    name: str
    params: Mapping[str, Any] | None
    budgets: dict[str, float]
    symbolic_seconds: float
    study: ParameterStudy
    spent: dict[str, float] = field(default_factory=dict)

    def point(
        self, build: Callable[[int], Any], n: int, index: int
    ) -> tuple[Flat, Callable[[np.ndarray], Any], float] | None:
        """The point at size n and f there (timed), under what is left of the budgets; None
        when no method is left or the learner's code ran out of it (a note says so)."""
        study = self.study
        running = [key for key in self.budgets if key not in study.stopped]
        if not running:
            return None
        limit = max(self.budgets[key] - self.spent.get(key, 0.0) for key in running)
        made = _within_budget(
            functools.partial(check_make_at, build, n), limit, "make_at", f"make_at({n:,})"
        )
        if isinstance(made, Failure):
            study.notes.append(f"stopped at n = {n:,}: {made.reason}")
            return None
        flat = flatten(made, name=first_parameter(self.function))
        of_flat = numpy_loss(self.function, flat, self.params)
        first = _within_budget(
            lambda: (
                float(evaluate_once(of_flat, flat, self.name, scalar=True).reshape(-1)[0]),
                f_seconds_of(of_flat, flat),
            ),
            limit,
            self.name,
            f"{self.name} at n = {n:,}",
        )
        if isinstance(first, Failure):
            study.notes.append(f"stopped at n = {n:,}: {first.reason}")
            return None
        f_value, study.f_seconds[index] = first
        return flat, of_flat, f_value

    def method(
        self,
        key: str,
        index: int,
        n: int,
        flat: Flat,
        of_flat: Callable[[np.ndarray], Any],
        f_value: float,
    ) -> None:
        """One gradient by `key` at size n, or why it stops: its budget is checked before the
        size (a prediction), inside it (the one guard stops it) and after it."""
        study, budget = self.study, self.budgets[key]
        if key in study.stopped:
            return
        left = budget - self.spent.get(key, 0.0)
        expected = _predicted(study.seconds[key], study.sizes, index)
        if expected is not None and expected > left:
            study.stopped[key] = (
                f"stopped before n = {n:,}: one gradient would take about "
                f"{expected:.2g} s, beyond what is left of its {budget:g} s budget"
            )
            return
        began = time.perf_counter()
        measured = _within_budget(
            lambda: _one_gradient(key, self, flat, of_flat, f_value),
            left,
            self.name,
        )
        self.spent[key] = self.spent.get(key, 0.0) + time.perf_counter() - began
        if isinstance(measured, Failure):
            reason = measured.reason
            if measured.timed_out:
                reason = f"{reason} (what was left of its {budget:g} s budget)"
            study.stopped[key] = f"stopped at n = {n:,}: {one_line(reason, 220)}"
            return
        study.setup_seconds[key][index], study.seconds[key][index] = measured
        if self.spent[key] > budget and index + 1 < len(study.sizes):
            study.stopped[key] = (
                f"stopped after n = {n:,}: {self.spent[key]:.1f} s spent, past its "
                f"{budget:g} s budget"
            )


def _within_budget(
    work: Callable[[], T], seconds: float, name: str, what: str = "one gradient"
) -> T | Failure:
    """`work()` under the one guard, stopped after `seconds` (what is left of a budget);
    `what` names the work in a timeout when the learner's function was not seen running."""
    return guarded(
        work,
        seconds=max(seconds, 1e-3),
        name=name,
        describe_timeout=lambda limit: f"{what} took longer than {limit:.2g} s",
        describe_user_timeout=lambda limit, culprit: (
            f"{culprit} took longer than {limit:.2g} s (does it sleep or loop?)"
        ),
        passthrough=(DiffMagicError,),
    )


def _budgets(time_budget_s: Any, keys: tuple[str, ...]) -> dict[str, float]:
    if isinstance(time_budget_s, Mapping):
        given = {gradient_methods.method_key(k): v for k, v in time_budget_s.items()}
        budgets = {key: given.get(key, 20.0) for key in keys}
    else:
        budgets = dict.fromkeys(keys, time_budget_s)
    for key, value in budgets.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise DiffMagicError(f"time_budget_s for {key} must be a positive number of seconds")
    return {key: float(value) for key, value in budgets.items()}


def _progress(progress: bool | Progress) -> Progress:
    if callable(progress):
        return progress
    if progress:
        return default_progress("parameter study")
    return lambda fraction, label: None
