"""One step of a comparison under its method's time limit, and the words when it gives no value.

Every step that runs the learner's code or SymPy for one row (preparing it, checking its f,
evaluating it on the grid, the reference, the search for points where f' does not exist) goes
through `bounded_outcome`: one time limit, one way an exception becomes a row's reason (a
`Failure`, typed, never a bare string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.limits.explain import MethodFailure
from diffmagic.limits.guard import guarded
from diffmagic.methods import ROWS


def too_slow(key: str, seconds: float, culprit: str | None = None, step: str = "") -> str:
    """What a step that ran out of time says, naming what was running when the limit fired:
    the learner's function `culprit` (it sleeps or loops), else SymPy (swell) or the method."""
    symbolic = ROWS[key].method == "symbolic"
    fix = "raise symbolic_time_limit" if symbolic else "raise method_time_limit"
    if culprit is not None:
        where = step or ("while SymPy traced it" if symbolic else f"in {ROWS[key].label}")
        return (
            f"{culprit} took longer than {seconds:g} s {where} (does it sleep or loop?); "
            f"{fix} to wait longer"
        )
    if symbolic:
        return (
            f"SymPy took longer than {seconds:g} s: skipped (expression swell?); "
            f"{fix} to wait longer"
        )
    return f"{ROWS[key].label} took longer than {seconds:g} s; {fix} to wait longer"


def bounded_outcome(
    work: Callable[[], Any],
    key: str,
    name: str,
    seconds: float,
    *,
    culprit: str | None = None,
    step: str = "",
) -> Any:
    """`work()` under the method's time limit, or the `Failure` that says why it gave none.

    `guard.guarded` is the one place where exceptions become reasons; `DiffMagicError` (the
    input itself is unusable) and `KeyboardInterrupt` (the user pressed stop) go on up. A
    timeout names the learner's function as `culprit` (default `name`) when it was running,
    and `step` says where ("on the grid"; default: the row's method).
    """

    def quietly() -> Any:
        with np.errstate(all="ignore"):
            return work()

    return guarded(
        quietly,
        seconds=seconds,
        name=name,
        describe_timeout=lambda limit: too_slow(key, limit),
        describe_user_timeout=lambda limit, running: too_slow(key, limit, culprit or running, step),
        passthrough=(DiffMagicError,),
    )


def on_grid(function: Callable[[np.ndarray], Any], grid: np.ndarray, what: str) -> np.ndarray:
    """`function` on the grid as float64, refused unless it gives one value per point."""
    values = np.asarray(function(grid), dtype=np.float64)
    if values.shape != grid.shape:
        raise MethodFailure(f"{what} has shape {values.shape}, not one value per point")
    return values
