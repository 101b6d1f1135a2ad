"""Whether f' exists at the graph's x0, and whether the graph's f'(x0) is right.

The graph's derivative is JAX's number at one point: a row of its own, held to the rule that a
number shown as f'(x0) must be f'(x0). JAX returns a number where f' does not exist (relu's 0
at its corner, -1 for log at -1, where log has no real value), so the point is checked on
NumPy's own f (`singular_values.confirm`: its one-sided slopes down a ladder of steps), and the
number against SymPy's exact f'(x0) at 30 digits when SymPy reads f as NumPy does; without
SymPy, against central differences of NumPy's f, which only confirm (or leave unconfirmed).

The verdict is the one every row gets (`verdicts`): its words ("ok", "inaccurate",
"unconfirmed", "no derivative") and its tolerances, read for the precision NumPy's f computes
in: JAX's number is an exact-kind row (`tolerance(EXACT, 1, precision)`), the central
differences that confirm it without SymPy are held to the differences' tolerance, and SymPy's
f(x0) must be NumPy's as `fidelity.unfaithful` judges every backend's f.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.analysis import singular_values
from diffmagic.analysis.fidelity import unfaithful
from diffmagic.analysis.singular import KIND_EXPLANATION
from diffmagic.analysis.verdicts import (
    DIFFERENCES,
    EXACT,
    INACCURATE,
    NO_DERIVATIVE,
    OK,
    UNCONFIRMED,
    tolerance,
)
from diffmagic.inputs.target import Target
from diffmagic.limits import bounds


@dataclass
class PointCheck:
    """What is known of f' at x0 besides JAX's number."""

    #: Why f' does not exist at x0 ("corner", "jump", "undefined", ...), or None.
    kind: str | None = None
    #: The one-sided slopes of NumPy's f at a corner (left, right).
    slopes: tuple[float, float] | None = None
    #: SymPy's f'(x0) with 30 digits, when SymPy reads f as NumPy does.
    exact: float | None = None
    #: What confirmed JAX's number ("" when nothing did).
    confirmed_by: str = ""
    #: Sentences for the graph's cautions.
    notes: list[str] = field(default_factory=list)
    #: The precision NumPy's f computes in: JAX's number is judged at its tolerance.
    precision: str = "float64"

    @property
    def status(self) -> str:
        """The verdict's word (`verdicts`): "no derivative" where f' does not exist at x0,
        "ok" when SymPy's exact f'(x0) or central differences confirm JAX's number,
        "inaccurate" when it is off the exact value, else "unconfirmed"."""
        if self.kind is not None:
            return NO_DERIVATIVE
        if self.confirmed_by:
            return OK
        return INACCURATE if self.exact is not None else UNCONFIRMED


def checked_point(
    target: Target,
    x0: float,
    derivative: float,
    expressions: tuple[Any, Any] | None = None,
    ask_sympy: bool = True,
) -> PointCheck:
    """`check_point` under the method time limit (it calls f): a check that cannot finish
    leaves the derivative unconfirmed, with the reason."""
    from diffmagic.limits.guard import Failure
    from diffmagic.running.bounded import bounded_outcome

    outcome = bounded_outcome(
        lambda: check_point(target, x0, derivative, expressions, ask_sympy),
        "numerical",
        target.name,
        bounds.METHOD_SECONDS,
    )
    if isinstance(outcome, Failure):
        why = outcome.reason
        return PointCheck(notes=[f"unconfirmed: checking {target.name}' at x0 failed: {why}"])
    return outcome


def check_point(
    target: Target,
    x0: float,
    derivative: float,
    expressions: tuple[Any, Any] | None = None,
    ask_sympy: bool = True,
) -> PointCheck:
    """Check JAX's `derivative` of f at x0; `expressions` are SymPy's (f, f') when known, and
    SymPy is asked for them when not and `ask_sympy` (a comparison already asked)."""
    from diffmagic.methods.base import NumpyFunction

    check = PointCheck()
    name, wrt = target.name, target.wrt
    try:
        numpy_f = NumpyFunction(target, np.array([x0]))
        value = float(numpy_f(np.array([x0]))[0])
    except Exception:
        check.notes.append(f"NumPy cannot evaluate {name} at {wrt} = {x0:g}: nothing checks JAX")
        return check
    if not math.isfinite(value):
        check.kind = "undefined"
        check.notes.append(
            f"{name}({x0:g}) is {value}: {wrt} = {x0:g} is outside {name}'s domain (or "
            f"{name} overflows there), so {name}' has no value there; JAX's {derivative:.6g} "
            "is no derivative"
        )
        return check
    check.precision = getattr(numpy_f, "precision", "float64")
    eps = singular_values.machine_epsilon(check.precision)
    scale = max(1.0, abs(x0))
    check.kind = singular_values.confirm(numpy_f, x0, 0.0, 0.1 * scale, eps)
    if check.kind is not None:
        _say_missing(check, numpy_f, target, x0, derivative, scale)
        return check
    if expressions is None and ask_sympy:
        expressions = _sympy_expressions(target)
    if expressions is not None:
        _against_exact(check, expressions, target, x0, value, derivative)
    if check.exact is None and check.kind is None and not check.notes:
        _against_differences(check, numpy_f, target, x0, derivative, scale, eps)
    return check


def _say_missing(
    check: PointCheck, f: Any, target: Target, x0: float, derivative: float, scale: float
) -> None:
    name, wrt = target.name, target.wrt
    text = f"{name}' does not exist at {wrt} = {x0:g}: " + KIND_EXPLANATION[check.kind].format(
        f=name
    )
    if check.kind == "corner":
        h = 1e-7 * scale
        below, at, above = (float(v) for v in f(np.array([x0 - h, x0, x0 + h])))
        check.slopes = ((at - below) / h, (above - at) / h)
        text += (
            f" (slope {check.slopes[0]:.6g} from the left, {check.slopes[1]:.6g} from the right)"
        )
    check.notes.append(f"{text}; JAX's {derivative:.6g} is its own convention there")


def _sympy_expressions(target: Target) -> tuple[Any, Any] | None:
    """SymPy's (f, f') of the target, prepared (and cached) as the comparison prepares them,
    under the symbolic time limit; None when SymPy cannot."""
    from diffmagic.limits.guard import Failure
    from diffmagic.methods import ROWS
    from diffmagic.running.bounded import bounded_outcome
    from diffmagic.running.cache import PREPARED

    def prepare() -> Any:
        row = ROWS["symbolic"]
        grid = np.array([0.0])
        return PREPARED.get_or_prepare("symbolic", target, 1, lambda: row.prepare(target, 1, grid))[
            0
        ]

    prepared = bounded_outcome(prepare, "symbolic", target.name, bounds.SYMBOLIC_SECONDS)
    if isinstance(prepared, Failure) or prepared.expr is None or prepared.function_expr is None:
        return None
    return prepared.function_expr, prepared.expr


def _against_exact(
    check: PointCheck,
    expressions: tuple[Any, Any],
    target: Target,
    x0: float,
    value: float,
    derivative: float,
) -> None:
    """SymPy's f'(x0) at 30 digits, once SymPy's f(x0) is NumPy's: JAX's number against it."""
    import sympy as sp

    from diffmagic.analysis.reference import high_precision

    function_expr, derivative_expr = expressions
    symbol = sp.Symbol(target.wrt, real=True)
    point = np.array([x0])
    sympy_value = float(high_precision(function_expr, symbol, point)[0])
    if unfaithful(np.array([sympy_value]), np.array([value]), precision=check.precision)[0]:
        return  # SymPy reads f differently here: its f' is no reference
    exact = float(high_precision(derivative_expr, symbol, point)[0])
    name = target.name
    if not math.isfinite(exact):
        check.kind = "undefined"
        if not math.isfinite(derivative):
            return  # JAX says as much: the graph's caution about a non-finite f' says it
        check.notes.append(
            f"{name}' has no finite value at {target.wrt} = {x0:g} (SymPy's exact {name}' is "
            f"infinite or undefined there); JAX's {derivative:.6g} is no derivative"
        )
        return
    check.exact = exact
    limit = tolerance(EXACT, 1, check.precision) or 0.0
    if abs(derivative - exact) <= limit * abs(exact) + 1e-300:
        check.confirmed_by = f"SymPy's exact {name}'({x0:g}) with 30 digits"
    else:
        check.notes.append(
            f"JAX's {name}'({x0:g}) = {derivative:.12g} is off SymPy's exact {exact:.12g} "
            f"(30 digits) by {abs(derivative - exact):.3g}: more than JAX's round-off "
            f"({limit:g} of it)"
        )


def _against_differences(
    check: PointCheck,
    f: Any,
    target: Target,
    x0: float,
    derivative: float,
    scale: float,
    eps: float,
) -> None:
    """Without SymPy: central differences of NumPy's f confirm JAX's number, or say they do
    not (they are only an estimate: their disagreement is no proof that JAX is wrong). The
    step balances truncation and the rounding of f (float32's when f computes in float32)."""
    h = eps ** (1 / 3) * scale
    below, above = (float(v) for v in f(np.array([x0 - h, x0 + h])))
    estimate = (above - below) / (2 * h)
    rounding = 4.0 * eps * max(abs(below), abs(above)) / h
    limit = tolerance(DIFFERENCES, 1, check.precision) or 0.0
    if abs(derivative - estimate) <= limit * abs(estimate) + rounding:
        check.confirmed_by = "central differences of NumPy's f (no exact derivative)"
    else:
        check.notes.append(
            f"unconfirmed: JAX's {target.name}'({x0:g}) = {derivative:.10g}, central "
            f"differences of NumPy's f give {estimate:.10g} (no exact derivative to settle it)"
        )


# --- steps of JAX's program at x0 where f' may not exist ----------------------------------

#: Steps with a corner or a jump where their inputs meet a condition, and what happens there.
_CORNERS = {"abs": "a corner at 0", "sign": "a jump at 0"}
_JUMPS = {"floor", "ceil", "round"}
_TIES = {"max", "min", "gt", "ge", "lt", "le", "eq", "ne"}


def caveats(program: Any, check: PointCheck) -> list[str]:
    """Why f'(x0) may not mean what it seems: the check's notes, with the steps of JAX's
    program at x0 that have a corner, a jump or a tie (which step makes the corner)."""
    steps = step_notes(program)
    if check.kind is not None and steps and check.notes:
        return [f"{check.notes[0]} (at step {'; '.join(steps)})", *check.notes[1:]]
    if steps:
        steps = [
            "f' may not exist at this x0: "
            + "; ".join(steps)
            + ". JAX's derivative there is its own convention"
        ]
    return steps + check.notes


def step_notes(program: Any) -> list[str]:
    """Steps at x0 where f' may not exist: JAX still returns a number there (its convention).

    The graph shows JAX's numbers; these notes keep a corner from passing as an ordinary slope.
    """
    notes: list[str] = []
    nodes = program.nodes
    for node in nodes:
        if node.kind != "operation":
            continue
        inputs = [np.asarray(nodes[i].value) for i in node.inputs]
        if any(value.shape != () for value in inputs):
            continue
        first = inputs[0].item() if inputs else None
        if node.op in _CORNERS and first == 0:
            notes.append(f"#{node.index} {node.op} has {_CORNERS[node.op]} and its input is 0 here")
        elif node.op in _JUMPS and isinstance(first, float) and first == round(first):
            notes.append(
                f"#{node.index} {node.op} jumps at whole numbers, and its input is {first:g}"
            )
        elif node.op in _TIES and len(inputs) == 2 and inputs[0].item() == inputs[1].item():
            notes.append(
                f"#{node.index} {node.op} compares two equal values: x0 is on a branch point"
            )
    return notes
