"""How far a hand-written gradient may be from the reference, and the words for the outcome.

The words are the ones every diffmagic row uses (`verdicts`): "ok" (within the tolerance of a
reference that two independent estimates confirm), "wrong" (outside it: your gradient, not a
method, is at fault) and "failed" (no verdict: no reference could be confirmed, or f has no
derivative at the point). The tolerances are the one table's (`verdicts.tolerance`), read for
what a check compares; `default_rtol` says which entry and why.
"""

from __future__ import annotations

import numpy as np

from diffmagic.analysis.verdicts import DIFFERENCES, EXACT, FAILED, OK, WRONG, tolerance
from diffmagic.methods.precision import narrowest


def width_rtol(carrier: str, width: str, numerical: bool = False) -> float:
    """The one table's tolerance for what carries `width`, as a check reads it.

    Your gradient (or `at`) in a width is a formula evaluated in that width: an exact-kind row
    of that precision (`tolerance(EXACT, 1, width)`; a float32 gradient that sums many terms
    loses more near an optimum, and there the atol follows JAX's own float32 gradient:
    `check_coordinates.tolerances`). f computing in a width rounds its value, and every slope
    taken from it, by differences or through JAX's trace of the rounded f, carries that
    round-off the way differences of its values do: the differences kind in that width. A
    float64 gradient judged against central differences alone is held to the differences'
    tolerance (they are accurate to about 1e-8, not 1e-16).
    """
    if carrier == "f" and width != "float64":
        return tolerance(DIFFERENCES, 1, width) or 0.0
    if width == "float64" and numerical:
        return tolerance(DIFFERENCES, 1, "float64") or 0.0
    return tolerance(EXACT, 1, width) or 0.0


def default_rtol(widths: dict[str, str], numerical: bool) -> tuple[float, str, str]:
    """(rtol, the precision it is for, a sentence that says why).

    `widths` maps what carries a width ("`at`", "your gradient", "f") to it; each is read by
    `width_rtol` and the loosest wins. `numerical` when the reference is central differences
    alone.
    """
    exact = width_rtol("your gradient", "float64")
    rtol, because, precision = exact, "", "float64"
    for carrier, carried in widths.items():
        if carried == "float64":
            continue
        allowed = width_rtol(carrier, carried)
        precision = narrowest(precision, carried)
        if allowed > rtol:
            rtol = allowed
            because = f"f computes in {carried}" if carrier == "f" else f"{carrier} is {carried}"
    if because:
        return (
            rtol,
            precision,
            (f"{precision} ({because}): rtol {rtol:.0e} (float64 would be {exact:.0e})"),
        )
    if numerical:
        rtol = width_rtol("your gradient", "float64", numerical=True)
        return rtol, precision, f"float64, against central differences: rtol {rtol:.0e}"
    return exact, precision, f"float64: rtol {exact:.0e}"


def finite(values: np.ndarray) -> np.ndarray:
    """`values` with NaN and inf read as 0 (for scales and tolerances: not a number has none)."""
    return np.where(np.isfinite(values), values, 0.0)


def largest(values: np.ndarray) -> float:
    """The largest finite |value| (0 for none)."""
    return float(np.max(np.abs(finite(values)))) if values.size else 0.0


def default_atol(rtol: float, scale: float, f0: float) -> float:
    """rtol times the largest |reference| (so a tiny coordinate is judged on the gradient's
    scale, not its own), and never below rtol times 1e-8 |f| (a gradient that is all zero)."""
    return rtol * max(scale, 1e-8 * max(1.0, abs(f0)))


def compare(
    yours: np.ndarray, reference: np.ndarray, rtol: float, atol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(absolute error, tolerance, indices outside it) per entry; NaN anywhere is outside."""
    with np.errstate(invalid="ignore"):
        error = np.abs(yours - reference)
    error = np.where(np.isnan(error), np.inf, error)
    allowed = atol + rtol * np.abs(finite(reference))
    return error, allowed, np.flatnonzero(~(error <= allowed))


def status(wrong: int, unconfirmed: bool, jumps: int) -> str:
    """ "wrong" when yours is off anywhere a confirmed reference holds; else "failed" when the
    reference is unconfirmed or f jumps (no verdict); else "ok"."""
    if wrong:
        return WRONG
    if unconfirmed or jumps:
        return FAILED
    return OK
