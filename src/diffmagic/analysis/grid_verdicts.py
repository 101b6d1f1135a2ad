"""The one verdict (`verdicts.judge`) applied to a comparison on a grid: `compare()`'s rows.

Each row of the table offers its values as a stand-in or a witness (`reference_choice`);
the reference is chosen once; then every row, your own derivatives included, is judged on the
grid points where f' exists (f finite there, away from the points where it does not exist, and
for np.gradient with both neighbours defined).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from diffmagic.analysis import reference_choice, verdicts
from diffmagic.inputs.naming import derivative_name

#: Row method -> (kind of method, family it belongs to).
KINDS = {
    "symbolic": (verdicts.EXACT, reference_choice.SYMPY),
    "automatic": (verdicts.EXACT, reference_choice.JAX),
    "autograd": (verdicts.EXACT, reference_choice.AUTOGRAD),
    "torch": (verdicts.EXACT, reference_choice.TORCH),
    "mygrad": (verdicts.EXACT, reference_choice.MYGRAD),
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
    singular_points: Sequence[float] = (),
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
        if method == "numerical" and verdict.status == verdicts.OK and reference is not None:
            verdict = _across_singular(
                verdict, result.values, reference, grid, usable, singular_points, quantity, wrt
            )
        result.take(verdict)
        result.is_reference = reference is not None and key == reference.stand_in
        if verdict.reason and not yours:
            result.error = verdict.reason + _cause(key, verdict.reason, grid)


def _across_singular(
    verdict: verdicts.Verdict,
    values: np.ndarray,
    reference: verdicts.Reference,
    grid: np.ndarray,
    usable: np.ndarray,
    singular_points: Sequence[float],
    quantity: str,
    wrt: str,
) -> verdicts.Verdict:
    """np.gradient's verdict where its differences span a point where f' does not exist.

    np.gradient has no tolerance of its own (its truncation error is what the course shows),
    but that error is bounded only where f is smooth over the two neighbours it differences.
    At a grid point whose neighbours straddle a pole, a corner or a jump, its value is no
    approximation of f' (the lab: "inaccurate at the points where there are jumps of the
    derivative"), so such a value, unless it happens to be right, makes the row inaccurate.
    """
    exact = np.asarray(reference.values, dtype=np.float64)
    finite = usable & np.isfinite(exact)
    scale = float(np.max(np.abs(exact[finite]))) if finite.any() else 0.0
    for point in singular_points:
        index = _straddling(grid, point, usable)
        if index is None or not np.isfinite(exact[index]):
            continue
        given, wanted = float(values[index]), float(exact[index])
        if abs(given - wanted) <= 1e-8 * max(scale, abs(wanted)):
            continue
        reason = (
            f"inaccurate next to {wrt} = {point:g}, where {quantity} does not exist: at "
            f"{wrt} = {grid[index]:.6g} np.gradient's differences span that point, so its "
            f"{given:.3g} is no approximation of {quantity} ({wanted:.3g} there)"
        )
        return replace(verdict, status=verdicts.INACCURATE, reason=reason)
    return verdict


def _straddling(grid: np.ndarray, point: float, usable: np.ndarray) -> int | None:
    """The usable grid point with the largest error risk whose np.gradient stencil has
    `point` strictly inside (not at a grid point), or None."""
    inside = [
        index
        for index in range(grid.size)
        if usable[index]
        and grid[max(index - 1, 0)] < point < grid[min(index + 1, grid.size - 1)]
        and point != grid[index]
    ]
    return min(inside, key=lambda index: abs(grid[index] - point)) if inside else None
