"""Limits that keep a learner's cell from hanging the kernel or eating the machine.

The sizes and default seconds live here; the rest of the package reads every limit through
this module (`bounds.time_limit`, `bounds.check_points`, ...). Two mechanisms make a time limit
hold, each in a module of its own:

* `worker`: guarded work (`guard.guarded`) runs on a worker thread that the caller stops
  waiting for at the limit, so the limit holds whatever the work does, even blocking in one C
  call; work that does not stop is abandoned, said so, and listed by `still_running()`.
* `time_limits`: `time_limit(seconds)`, the limit inside the working thread: a watchdog thread
  raises `TimeLimitExceeded` (a `BaseException`, so a learner's `except Exception:` cannot
  swallow it) between two bytecodes, again while the work swallows it; limits nest.

Here too: the number of points and of seconds a caller asks for, refused in one line.
"""

from __future__ import annotations

import math
import operator

from diffmagic.errors import DiffMagicError
from diffmagic.limits.deadline import (
    REFIRE_SECONDS,
    Deadline,
    TimeLimitExceeded,
    check_seconds,
    never_fire_in,
)
from diffmagic.limits.time_limits import HEAVY_MODULES, import_heavy, time_limit
from diffmagic.limits.worker import still_running

__all__ = [
    "HEAVY_MODULES",
    "MAX_ORDER",
    "MAX_POINTS",
    "MAX_SIMPLIFY_OPS",
    "MAX_SYMBOLIC_OPS",
    "MAX_TIMING_POINTS",
    "METHOD_SECONDS",
    "REFIRE_SECONDS",
    "SIMPLIFY_SECONDS",
    "SYMBOLIC_SECONDS",
    "Deadline",
    "TimeLimitExceeded",
    "check_points",
    "check_seconds",
    "import_heavy",
    "never_fire_in",
    "still_running",
    "time_limit",
]

#: Points for timing; the harness holds a few arrays of this size at most.
MAX_TIMING_POINTS = 10_000_000
#: Derivatives larger than this (SymPy `count_ops`) are not lambdified: too slow to be useful.
MAX_SYMBOLIC_OPS = 20_000
#: Derivatives at most this large are offered to `simplify`, under a time limit.
MAX_SIMPLIFY_OPS = 80
SIMPLIFY_SECONDS = 2.0
#: Default limit on SymPy's work for one derivative (trace, diff, simplify, lambdify).
SYMBOLIC_SECONDS = 5.0
#: Limit on any other method's preparation and evaluation on the grid (a function that sleeps).
METHOD_SECONDS = 30.0
MAX_ORDER = 8
#: Grid points above this are refused before anything is allocated (8 MB an array).
MAX_POINTS = 1_000_000


def check_points(points: object, name: str = "points", limit: int = MAX_POINTS) -> int:
    """A whole number of points from 2 to `limit`, or a one-line refusal.

    NumPy integers and whole floats are accepted (`np.int64(50)`, `50.0`); strings are not:
    the API takes numbers, and the front ends convert their text before calling this.
    """
    if isinstance(points, bool | str | bytes):
        raise DiffMagicError(f"{name} must be a whole number such as 100, not {points!r}")
    try:
        count = operator.index(points)  # int, np.int64, ...
    except TypeError:
        try:
            value = float(points)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            value = math.nan
        if not value.is_integer():
            raise DiffMagicError(
                f"{name} must be a whole number such as 100, not {points!r}"
            ) from None
        count = int(value)
    if count < 2:
        raise DiffMagicError(f"{name} must be at least 2, not {count}")
    if count > limit:
        raise DiffMagicError(f"{name} is {count:,}; the limit is {limit:,} on this machine")
    return count
