"""The one verdict (`verdicts.judge`) applied to a comparison on a grid: `compare()`'s rows.

Each row of the table offers its values as a stand-in or a witness (`reference_choice`);
the reference is chosen once; then every row, your own derivatives included, is judged on the
grid points where f' exists (f finite there, away from the points where it does not exist, and
for np.gradient with both neighbours defined).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from diffmagic.analysis import reference_choice, verdicts
from diffmagic.inputs.naming import derivative_name

#: Row method -> (kind of method, family it belongs to).
KINDS = {
    "symbolic": (verdicts.EXACT, reference_choice.SYMPY),
    "automatic": (verdicts.EXACT, reference_choice.JAX),
    "finite_difference": (verdicts.DIFFERENCES, reference_choice.NUMPY_DIFFERENCES),
    "numerical": (verdicts.GRID, reference_choice.NUMPY_DIFFERENCES),
}
#: Rows that may stand in when there is no exact derivative, best first.
STAND_INS = ("automatic", "finite_difference", "finite_difference@jax")


def measurable(
    f_values: np.ndarray, grid: np.ndarray, singular_points: Iterable[float]
) -> np.ndarray:
    """Grid points where f' exists: f finite there, and away from every singular point."""
    width = float(grid[-1] - grid[0])
    mask = np.isfinite(f_values)
    for point in singular_points:
        mask &= np.abs(grid - point) > 1e-9 * width
    return mask


def beside_defined(usable: np.ndarray, f_values: np.ndarray) -> np.ndarray:
    """np.gradient differences neighbours: next to a point where f has no value it has none."""
    beside = usable.copy()
    beside[1:] &= np.isfinite(f_values[:-1])
    beside[:-1] &= np.isfinite(f_values[1:])
    return beside


def candidate(key: str, result: Any) -> reference_choice.Candidate | None:
    """A row's values as a stand-in or witness (None for a row without values or a yours)."""
    if result.values is None or key.startswith("yours") or not result.ok:
        return None
    kind, family = KINDS[key.partition("@")[0]]
    return reference_choice.Candidate(
        key,
        result.label,
        np.asarray(result.values, dtype=np.float64),
        family,
        kind,
        result.precision,
    )


def _cause(key: str, failure: str, grid: np.ndarray) -> str:
    """What in the grid explains a failure, when something does."""
    step = float(grid[1] - grid[0])
    if key.startswith("numerical") and "NaN" in failure and step * step < 2.3e-308:
        return (
            f": the grid step {step:.3g} is so small that its square underflows float64, "
            "and np.gradient's weights become 0/0; widen the domain"
        )
    return ""


def judge_rows(
    results: dict[str, Any],
    reference: verdicts.Reference | None,
    usable: np.ndarray,
    f_values: np.ndarray,
    grid: np.ndarray,
    *,
    order: int,
    wrt: str,
    floor: float,
    mismatch_for: Callable[[Any], Any] | None = None,
    no_reference: str = verdicts.NO_REFERENCE,
) -> None:
    """Every row's verdict and errors, in place (rows that failed keep their reason).

    `mismatch_for(result)` gives, for a row of your own derivative, the function that words
    its mismatch (`your_derivative.mismatch_words`).
    """
    quantity = derivative_name(order)
    beside = beside_defined(usable, f_values)
    for key, result in results.items():
        if result.values is None or (not result.ok and result.error is not None):
            continue
        method = key.partition("@")[0]
        yours = key.startswith("yours")
        kind, family = (verdicts.YOURS, reference_choice.HAND) if yours else KINDS[method]
        place = verdicts.Place(
            locate=lambda index: f"{wrt} = {grid[index]:.6g}",
            quantity=quantity,
            exists=beside if method == "numerical" else usable,
            floor=floor,
        )
        row = verdicts.Row(key, result.label, kind, order, result.precision, family)
        mismatch = mismatch_for(result) if yours and mismatch_for is not None else None
        verdict = verdicts.judge(
            result.values, reference, row, place, mismatch=mismatch, no_reference=no_reference
        )
        result.take(verdict)
        result.is_reference = reference is not None and key == reference.stand_in
        if verdict.reason and not yours:
            result.error = verdict.reason + _cause(key, verdict.reason, grid)
