"""One step of a comparison under its method's time limit, and the words when it gives no value.

Every step that runs the learner's code or SymPy for one row (preparing it, checking its f,
evaluating it on the grid, the reference, the search for points where f' does not exist) goes
through `bounded`: one time limit, one way an exception becomes a row's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.explain import MethodFailure
from diffmagic.guard import Failure, guarded
from diffmagic.methods import ROWS


def too_slow(key: str, seconds: float) -> str:
    """What a row that ran out of time says: SymPy's swell, or a function that sleeps or loops."""
    if ROWS[key].method == "symbolic":
        return (
            f"SymPy took longer than {seconds:g} s: skipped (expression swell?); "
            "raise symbolic_time_limit to wait longer"
        )
    return f"{ROWS[key].label} took longer than {seconds:g} s: stopped (does f sleep or loop?)"


def bounded(work: Callable[[], Any], key: str, name: str, seconds: float) -> Any:
    """`work()` under the method's time limit, or the one-line reason (str) it gave none.

    `guard.guarded` is the one place where exceptions become reasons; `DiffMagicError` (the
    input itself is unusable) and `KeyboardInterrupt` (the user pressed stop) go on up.
    """

    def quietly() -> Any:
        with np.errstate(all="ignore"):
            return work()

    outcome = guarded(
        quietly,
        seconds=seconds,
        name=name,
        describe_timeout=lambda limit: too_slow(key, limit),
        passthrough=(DiffMagicError,),
    )
    return outcome.reason if isinstance(outcome, Failure) else outcome


def on_grid(function: Callable[[np.ndarray], Any], grid: np.ndarray, what: str) -> np.ndarray:
    """`function` on the grid as float64, refused unless it gives one value per point."""
    values = np.asarray(function(grid), dtype=np.float64)
    if values.shape != grid.shape:
        raise MethodFailure(f"{what} has shape {values.shape}, not one value per point")
    return values
