"""How far a hand-written gradient may be from the reference, and the words for the outcome.

The words are the ones every diffmagic row uses: "ok" (within the tolerance of a reference
that two independent estimates confirm), "wrong" (outside it: your gradient, not a method, is
at fault) and "failed" (no verdict: no reference could be confirmed, or f has no derivative at
the point). The tolerance table is one function, `default_rtol`, so that it can sit with the
rest of diffmagic's tolerances: a gradient is judged at the precision of the narrowest float
among the point, the gradient and f's own value, each width at its own tolerance.
"""

from __future__ import annotations

import numpy as np

from diffmagic.analysis.verdicts import EXACT, tolerance
from diffmagic.methods.precision import narrowest

OK, WRONG, FAILED = "ok", "wrong", "failed"

#: The relative tolerance of a gradient in each width: float64 as every exact method of
#: diffmagic, the narrower ones about a thousand times their epsilon (float16 ~1e-3,
#: bfloat16 ~8e-3) ...
WIDTH_RTOL = {"float64": 1e-7, "float32": 1e-4, "float16": 1e-2, "bfloat16": 5e-2}
#: ... and ten times looser when f itself computes in that width (its value carries the
#: round-off into every slope).
F_WIDTH_RTOL = {"float32": 1e-3, "float16": 1e-1, "bfloat16": 3e-1}
#: Against central differences alone (about 1e-8 to 1e-10 accurate), float64 is judged at this.
NUMERICAL_RTOL = 1e-5


def default_rtol(widths: dict[str, str], numerical: bool) -> tuple[float, str, str]:
    """(rtol, the precision it is for, a sentence that says why).

    `widths` maps what carries a width ("`at`", "your gradient", "f") to it; f's own width
    counts at F_WIDTH_RTOL, the others at WIDTH_RTOL; the loosest wins. `numerical` when the
    reference is central differences alone (float64 is then judged at NUMERICAL_RTOL).
    """
    exact = tolerance(EXACT, 1, "float64") or WIDTH_RTOL["float64"]
    rtol, because, precision = exact, "", "float64"
    for carrier, carried in widths.items():
        table = F_WIDTH_RTOL if carrier == "f" else WIDTH_RTOL
        if carried != "float64" and table[carried] > rtol:
            rtol, precision = table[carried], narrowest(precision, carried)
            because = f"f computes in {carried}" if carrier == "f" else f"{carrier} is {carried}"
    if because:
        return (
            rtol,
            precision,
            (f"{precision} ({because}): rtol {rtol:.0e} (float64 would be {exact:.0e})"),
        )
    if numerical:
        return (
            NUMERICAL_RTOL,
            precision,
            (f"float64, against central differences: rtol {NUMERICAL_RTOL:.0e}"),
        )
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
