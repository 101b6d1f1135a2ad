"""The one verdict (`verdicts.judge`) applied at a point: the rows of a gradient or a Jacobian.

The reference is chosen by `reference_choice.choose_reference`, as for a grid: SymPy's exact
derivative at 30 digits unless two independent methods outvote it, else a stand-in (reverse
mode, forward mode, central differences) that counts only when a method of another family
agrees. Central differences also say where the derivative exists: along a coordinate where f
has a corner, a jump or no value on one side, no row may say ok, whatever it computed there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.analysis import reference_choice, verdicts
from diffmagic.methods.central import CORNER, JUMP, Differences
from diffmagic.methods.precision import resolvable

if TYPE_CHECKING:
    from diffmagic.results.point import PointResult

#: Row key -> (kind of method, family).
KINDS = {
    "symbolic": (verdicts.EXACT, reference_choice.SYMPY),
    "numerical": (verdicts.DIFFERENCES, reference_choice.NUMPY_DIFFERENCES),
    "forward": (verdicts.EXACT, reference_choice.JAX),
    "reverse": (verdicts.EXACT, reference_choice.JAX),
}
#: Rows that may stand in when there is no exact derivative, best first.
STAND_INS = ("reverse", "forward", "numerical")
#: Places named in a reason where the derivative does not exist, at most.
NAMED_PLACES = 3
#: Central differences run only to see where f has corners or jumps (when the numerical row
#: was not asked for) if they take at most this long.
WITNESS_SECONDS = 5.0
#: Evaluations of f central differences take per coordinate, about (two steps, both ways).
EVALUATIONS_PER_COORDINATE = 8


@dataclass(frozen=True)
class Point:
    """What the verdict needs to know of the point: how to name an index, how large f is."""

    #: Names a flat index of the derivative ("w[3]", "J[1, 2] (output 1, w[2])").
    locate: Callable[[int], str]
    #: Names input coordinate i ("w[3]").
    coordinate: Callable[[int], str]
    #: "gradient" or "Jacobian".
    what: str
    #: max |f(at)| and max |at|: the size of the smallest derivative f's values resolve.
    f_size: float
    x_size: float
    #: (outputs, inputs): (1, n) for a gradient.
    shape: tuple[int, int]
    #: The derivative's symbol in a reason: "max |∇f|", "where J exists".
    symbol: str = "∇f"


def candidate(key: str, row: PointResult) -> reference_choice.Candidate | None:
    if row.flat_values is None or not row.ok:
        return None
    kind, family = KINDS[key]
    error = None if row.differences is None else row.differences.error.reshape(-1)
    values = np.asarray(row.flat_values, dtype=np.float64)
    return reference_choice.Candidate(key, row.label, values, family, kind, row.precision, error)


def witness(
    differences: Differences, label: str, precision: str = "float64"
) -> reference_choice.Candidate:
    """Central differences not asked for, offered only to confirm a stand-in."""
    return reference_choice.Candidate(
        "numerical",
        label,
        differences.values.reshape(-1),
        reference_choice.NUMPY_DIFFERENCES,
        verdicts.DIFFERENCES,
        precision,
        differences.error.reshape(-1),
    )


def witness_differences(
    of_flat: Callable[[np.ndarray], Any],
    flat: Any,
    f0: np.ndarray,
    floor: float,
    precision: str,
    name: str,
    f_seconds: float,
    *,
    seconds: float = WITNESS_SECONDS,
) -> tuple[Differences | None, str | None]:
    """(central differences for what only they tell: where f has corners or jumps, and a
    second opinion on a stand-in; or None) when the numerical row was not asked for, and the
    note to show when they were too slow to run. They stop after WITNESS_SECONDS, or the
    caller's `seconds` (its method time limit) when that is shorter."""
    from diffmagic.limits.explain import MethodFailure
    from diffmagic.methods import gradients as gradient_methods
    from diffmagic.running.loss import call

    expected = EVALUATIONS_PER_COORDINATE * flat.size * f_seconds
    if expected > WITNESS_SECONDS:
        return None, (
            f"whether f has a corner or a jump here was not checked (central differences "
            f"would take about {expected:,.0f} s): ask for methods=... 'numerical' to check"
        )
    try:
        outcome = call(
            lambda: gradient_methods.central(of_flat, flat, f0, floor, precision),
            name=name,
            seconds=min(seconds, WITNESS_SECONDS),
        )
    except MethodFailure as failure:
        return None, f"whether f has a corner or a jump here was not checked: {failure}"
    return outcome.differences, None


def _break_words(differences: Differences, output: int, index: int, point: Point) -> str:
    kind = differences.breaks[output, index]
    who = "f" if point.shape[0] == 1 else f"output {output} of f"
    along = point.coordinate(index)
    if kind == CORNER:
        left, right = differences.slopes[output, index]
        return f"{who} has a corner along {along} (one-sided slopes {left:.6g} and {right:.6g})"
    if kind == JUMP:
        return f"{who} jumps along {along}"
    return f"{who} has no value on one side along {along}"


def existence(differences: Differences | None, point: Point) -> tuple[np.ndarray | None, str]:
    """(where the derivative exists, flat; None when not looked at) and why it does not."""
    if differences is None:
        return None, ""
    exists = differences.breaks == ""
    if np.all(exists):
        return exists.reshape(-1), ""
    places = [(int(o), int(i)) for o, i in zip(*np.nonzero(~exists), strict=True)]
    named = [_break_words(differences, o, i, point) for o, i in places[:NAMED_PLACES]]
    more = f" (and {len(places) - NAMED_PLACES} more)" if len(places) > NAMED_PLACES else ""
    words = f"the {point.what} does not exist here: {'; '.join(named)}{more}"
    return exists.reshape(-1), words


def judge_rows(
    results: dict[str, PointResult],
    exact: np.ndarray | None,
    exact_label: str,
    why_not: str,
    point: Point,
    differences: Differences | None,
    witnesses: Sequence[reference_choice.Candidate] = (),
) -> tuple[verdicts.Reference | None, str, str | None]:
    """Every row's verdict, in place: (the reference, its words, why the exact one was not
    trusted or None). A row that failed keeps its reason; a symbolic row outvoted fails."""
    exists, missing = existence(differences, point)
    usable = np.ones(point.shape[0] * point.shape[1], bool) if exists is None else exists
    floor = resolvable(point.f_size, point.x_size)
    candidates = [c for key, row in results.items() if (c := candidate(key, row)) is not None]
    shown = {c.key for c in candidates}
    offered = candidates + [w for w in witnesses if w.key not in shown]
    reference, distrust, words = reference_choice.choose_reference(
        exact,
        exact_label,
        offered,
        what=point.what,
        why_not=why_not,
        usable=usable,
        floor=floor,
        preference=STAND_INS,
    )
    symbolic = results.get("symbolic")
    if distrust is not None and symbolic is not None and symbolic.flat_values is not None:
        symbolic.ok, symbolic.values, symbolic.flat_values = False, None, None
        symbolic.error = f"SymPy: {distrust}"
    place = verdicts.Place(
        locate=point.locate,
        unit="coordinates" if point.shape[0] == 1 else "entries",
        quantity=point.symbol,
        exists=exists,
        at_point=True,
        missing=missing,
        floor=floor,
    )
    for key, row in results.items():
        if row.flat_values is None:
            continue
        kind, family = KINDS[key]
        verdict = verdicts.judge(
            row.flat_values,
            reference,
            verdicts.Row(key, row.label, kind, precision=row.precision, family=family),
            place,
            no_reference=f"not measured, nothing to measure against: {words}",
        )
        row.take(verdict)
        row.is_reference = reference is not None and key == reference.stand_in
    label = reference.label if reference is not None else f"no reference: {words}"
    return reference, label, distrust
