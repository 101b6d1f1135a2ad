"""Each gradient's error against the reference, and how far the reference itself is trusted.

The reference is SymPy's exact gradient when it finished, or else the best method that worked
(`results.stand_in`); errors then become differences. Even an exact gradient is not taken on
faith: two independent methods that agree with each other and not with it outvote it, and a
stand-in that no other method confirms is said to be unconfirmed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.explain import one_line
from diffmagic.many.pytree import Flat
from diffmagic.many.reference import ExactGradient
from diffmagic.many.results import stand_in

if TYPE_CHECKING:
    from diffmagic.many.comparison import GradientResult


def choose_reference(
    results: dict[str, GradientResult], exact: ExactGradient | None, why_not: Any
) -> tuple[np.ndarray | None, str]:
    """The values errors are measured against, and which they are, in words (`why_not` is why
    SymPy gave no exact gradient, when it gave none)."""
    if exact is not None:
        return exact.values, "exact: SymPy's gradient evaluated by mpmath at 30 digits"
    row = stand_in(results)
    if row is not None:
        return row.flat_values, (
            f"no exact gradient (SymPy: {one_line(why_not, 120)}); errors are differences "
            f"from {row.label}"
        )
    return None, f"no reference: no exact gradient (SymPy: {one_line(why_not, 120)}) and no method"


def measure_errors(
    results: dict[str, GradientResult], reference: np.ndarray | None, flat: Flat
) -> None:
    """Every gradient that worked gets its max abs and rel error against `reference` and the
    place of the worst, as a reader writes it (nothing to measure without a reference)."""
    if reference is None:
        return
    for row in results.values():
        if row.ok:
            _measure(row, reference, flat)


def _measure(row: GradientResult, reference: np.ndarray, flat: Flat) -> None:
    difference = np.abs(row.flat_values - reference)
    if not np.all(np.isfinite(row.flat_values)):
        row.notes.append("some components are NaN or inf")
    finite = np.where(np.isfinite(difference), difference, np.inf)
    worst = int(np.argmax(finite))
    row.max_abs_error = float(finite[worst])
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    row.max_rel_error = row.max_abs_error / scale if scale > 0 else row.max_abs_error
    row.worst = flat.location(worst)
    row.worst_text = flat.describe(worst)


def outvoted(results: dict[str, GradientResult]) -> bool:
    """True when reverse mode and central differences agree (to central differences' accuracy)
    and both miss SymPy's exact gradient by far more than that."""
    reverse, numerical = results.get("reverse"), results.get("numerical")
    if not (reverse and numerical and reverse.ok and numerical.ok):
        return False
    scale = float(np.max(np.abs(reverse.flat_values))) or 1.0
    between = float(np.max(np.abs(reverse.flat_values - numerical.flat_values))) / scale
    return (
        between < 1e-6
        and (reverse.max_rel_error or 0.0) > 1e-4
        and (numerical.max_rel_error or 0.0) > 1e-4
    )


def disagreements(results: dict[str, GradientResult], exact: bool) -> list[str]:
    """Without an exact gradient, a stand-in is only trusted when another method agrees."""
    if exact:
        return []
    numerical = results.get("numerical")
    notes = []
    for row in results.values():
        if (
            row.is_reference
            and numerical is not None
            and numerical.ok
            and row is not numerical
            and numerical.max_rel_error is not None
            and numerical.max_rel_error > 1e-5
        ):
            notes.append(
                f"{row.label} and central differences differ by {numerical.max_rel_error:.2g}"
                " (relative): with no exact gradient, neither is confirmed"
            )
    return notes
