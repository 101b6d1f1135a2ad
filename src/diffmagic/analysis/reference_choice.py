"""Which values every row is measured against: exact when an exact derivative exists, else a
stand-in that only counts when an independent method agrees with it.

One choice for every kind of row (a grid of f', a gradient, a Jacobian): the exact reference
(SymPy's derivative evaluated at 30 digits by mpmath) whenever there is one, unless two
independent methods agree with each other and not with it (then SymPy traced something else,
and it is not trusted). Without it, the best method that worked stands in, and it is
confirmed only by a method of another family: JAX's forward and reverse mode share their trace
and cannot confirm each other; JAX and differences of NumPy's f can. A stand-in nothing
confirms leaves every row unconfirmed: where no two independent methods agree, no row is ok.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from diffmagic.analysis.verdicts import DIFFERENCES, GRID, Reference, tolerance

#: Families of methods: two rows of one family share their source and cannot confirm each
#: other (a learner's own derivative confirms nothing).
SYMPY, JAX, NUMPY_DIFFERENCES, HAND = "sympy", "jax", "differences", "yours"
#: The eager tape engines: each its own family (its own tape of f run on its own arrays), so
#: each can confirm a stand-in of another family.
AUTOGRAD, TORCH, MYGRAD = "autograd", "torch", "mygrad"
#: How much further than both tolerances two agreeing methods must be from the exact
#: reference before they outvote it.
OUTVOTE_FACTOR = 100.0


@dataclass(frozen=True)
class Candidate:
    """A row's values offered as a stand-in or as a witness for one."""

    key: str
    label: str
    #: Flat float64 values, NaN where the method gave none.
    values: np.ndarray
    family: str
    kind: str
    precision: str = "float64"
    #: The method's own error estimate per value (central differences give one), or None.
    error: np.ndarray | None = None


def _scale(values: np.ndarray, usable: np.ndarray, floor: float) -> float:
    """The derivative's scale: its largest size where it is measured, at least `floor`."""
    finite = usable & np.isfinite(values)
    return max(float(np.max(np.abs(values[finite]), initial=0.0)), floor)


def agree(
    first: Candidate, second: Candidate, usable: np.ndarray, floor: float, order: int = 1
) -> bool:
    """True when both are finite and within both tolerances of each other at every usable
    value, and there is at least one; the tolerances are relative to the first's scale (at
    least `floor`)."""
    limits = [tolerance(c.kind, order, c.precision) for c in (first, second)]
    if None in limits or not np.any(usable):
        return False
    allowed = (limits[0] + limits[1]) * _scale(first.values, usable, floor) + 1e-300
    with np.errstate(all="ignore"):
        difference = np.abs(first.values - second.values)
    return bool(np.all(difference[usable] <= allowed))


def outvoters(
    exact: np.ndarray, candidates: Sequence[Candidate], usable: np.ndarray, floor: float, order: int
) -> tuple[Candidate, Candidate] | None:
    """Two methods of different families that agree with each other and are both far from the
    exact values (SymPy then differentiated another function), or None."""
    usable = usable & np.isfinite(exact)
    scale = _scale(exact, usable, floor)
    for index, first in enumerate(candidates):
        for second in candidates[index + 1 :]:
            if first.family == second.family or not agree(first, second, usable, floor, order):
                continue
            limit = sum(tolerance(c.kind, order, c.precision) or 0.0 for c in (first, second))
            with np.errstate(all="ignore"):
                off = [np.max(np.abs(c.values[usable] - exact[usable])) for c in (first, second)]
            if min(off) > OUTVOTE_FACTOR * limit * scale:
                return first, second
    return None


def _can_stand_in(candidate: Candidate, usable: np.ndarray) -> str | None:
    """Why this candidate cannot stand in, or None when it can."""
    if candidate.kind == GRID or candidate.family == HAND:
        return f"{candidate.label} has no tolerance to vouch with"
    if candidate.kind == DIFFERENCES and candidate.precision != "float64":
        # Differences of float32 values are good to about 1e-3: they vouch for nothing.
        return f"differences of a {candidate.precision} f cannot stand in"
    if np.any(usable & ~np.isfinite(candidate.values)):
        return f"{candidate.label} is not finite everywhere"
    return None


def stand_in(
    candidates: Sequence[Candidate],
    preference: Sequence[str],
    usable: np.ndarray,
    floor: float,
    order: int,
) -> tuple[Candidate | None, Candidate | None, list[str]]:
    """(the stand-in, the independent method that confirms it or None, why others could not
    stand in): the first of `preference` that can, confirmed if possible."""
    by_key = {candidate.key: candidate for candidate in candidates}
    reasons = []
    for key in preference:
        chosen = by_key.get(key)
        if chosen is None:
            continue
        why_not = _can_stand_in(chosen, usable)
        if why_not is not None:
            reasons.append(why_not)
            continue
        for witness in candidates:
            if (
                witness.family not in (chosen.family, HAND)
                and witness.kind != GRID
                and agree(chosen, witness, usable & np.isfinite(witness.values), floor, order)
                and np.any(usable & np.isfinite(witness.values))
            ):
                return chosen, witness, reasons
        return chosen, None, reasons
    return None, None, reasons


def _confirmed_to(
    chosen: Candidate, witness: Candidate, usable: np.ndarray, floor: float, order: int
) -> float:
    """How closely the witness vouches for the stand-in, relative to its scale: the witness's
    tolerance, or, when the witness has its own error estimate, the agreement seen plus twice
    that estimate (central differences that agree to 1e-10 vouch for 1e-10, not for their
    1e-5 tolerance); never less than the stand-in's own tolerance."""
    own = tolerance(chosen.kind, order, chosen.precision) or 0.0
    loose = tolerance(witness.kind, order, witness.precision) or 0.0
    if witness.error is None:
        return max(own, loose)
    both = usable & np.isfinite(witness.values)
    with np.errstate(all="ignore"):
        seen = np.abs(chosen.values - witness.values) + 2 * witness.error
    observed = float(np.max(seen[both], initial=0.0)) / _scale(chosen.values, both, floor)
    return max(own, min(loose, observed))


def choose_reference(
    exact: np.ndarray | None,
    exact_label: str,
    candidates: Sequence[Candidate],
    *,
    what: str,
    why_not: str,
    usable: np.ndarray,
    floor: float = 0.0,
    order: int = 1,
    preference: Sequence[str] = (),
) -> tuple[Reference | None, str | None, str]:
    """(the reference or None, why the exact one is not trusted or None, why there is none).

    `exact` are the exact values (None when SymPy gave none, `why_not` says why); `candidates`
    are the rows that worked, shown or computed only as witnesses; `usable` is where the
    derivative exists, `floor` its smallest meaningful size; `what` names it ("derivative",
    "gradient", "Jacobian").
    """
    distrust = None
    if exact is not None:
        voters = outvoters(
            exact, [c for c in candidates if c.family != SYMPY], usable, floor, order
        )
        if voters is None:
            return Reference(exact, True, exact_label, f"the exact {what}"), None, ""
        distrust = (
            f"its {what} disagrees with {voters[0].label} and {voters[1].label}, which agree "
            "with each other: not trusted"
        )
        why_not = distrust
    chosen, witness, reasons = stand_in(
        [c for c in candidates if c.family != SYMPY or distrust is None],
        preference,
        usable,
        floor,
        order,
    )
    if chosen is None:
        words = "; ".join([f"no exact {what} ({why_not})", *reasons])
        return None, distrust, words
    confirmation = (
        f"confirmed by {witness.label}"
        if witness is not None
        else "no independent method confirms it"
    )
    label = f"no exact {what} ({why_not}): {chosen.label} is the reference, {confirmation}"
    against = f"{chosen.label}, the stand-in"
    confirmed_to = 0.0 if witness is None else _confirmed_to(chosen, witness, usable, floor, order)
    reference = Reference(
        chosen.values,
        False,
        label,
        against,
        stand_in=chosen.key,
        confirmed_by=None if witness is None else witness.key,
        confirmed_to=confirmed_to,
        family=chosen.family,
    )
    return reference, distrust, ""
