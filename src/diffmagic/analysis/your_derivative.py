"""How your own derivative differs from the reference, in words: the verdict of a yours row.

A hand-written derivative is exact, so it may differ from the 30-digit reference by round-off
only; anything more is "wrong", and `diagnose.describe_mismatch` says how (a constant factor, a
wrong sign, a missing chain-rule factor, wrong on one side of a point...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.analysis.diagnose import describe_mismatch
from diffmagic.analysis.verdicts import YOURS_TOLERANCE
from diffmagic.inputs.naming import derivative_name


def judge(
    values: np.ndarray,
    reference: np.ndarray,
    usable: np.ndarray,
    grid: np.ndarray,
    *,
    order: int,
    name: str,
    wrt: str,
) -> tuple[bool, str | None, np.ndarray]:
    """(ok, what is wrong in words or None, the x values where it is wrong)."""
    true = np.where(usable, reference, np.nan)
    quantity = {1: "derivative", 2: "second derivative"}.get(
        order, f"{derivative_name(order)} derivative"
    )
    diagnosis = describe_mismatch(
        values, true, grid, rtol=YOURS_TOLERANCE, name=name, variable=wrt, quantity=quantity
    )
    if diagnosis.kind == "nothing_to_compare":
        return False, "not measured: the reference has no finite value where f is defined", grid[:0]
    return diagnosis.ok_everywhere, diagnosis.words, np.asarray(diagnosis.wrong_at, dtype=float)


def mismatch_words(
    result: Any, grid: np.ndarray, *, order: int, wrt: str
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], str | None]:
    """For `verdicts.judge`: how your derivative differs from the reference, in words (None
    when it is right), keeping the x values where it is wrong in `result.wrong_at`; a row
    judged against a stand-in says so."""

    def words(values: np.ndarray, reference: np.ndarray, usable: np.ndarray) -> str | None:
        ok, said, result.wrong_at = judge(
            values, reference, usable, grid, order=order, name="yours", wrt=wrt
        )
        return None if ok else said or "differs from the reference"

    return words
