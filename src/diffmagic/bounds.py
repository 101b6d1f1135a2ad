"""Limits that keep a learner's cell from hanging the kernel or eating the machine."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from diffmagic.errors import DiffMagicError

#: Grid points above this are refused before anything is allocated (8 MB an array).
MAX_POINTS = 1_000_000
#: Points for timing; the harness holds a few arrays of this size at most.
MAX_TIMING_POINTS = 10_000_000
#: Derivatives larger than this (SymPy `count_ops`) are not lambdified: too slow to be useful.
MAX_SYMBOLIC_OPS = 20_000
#: Derivatives at most this large are offered to `simplify`, under a time limit.
MAX_SIMPLIFY_OPS = 80
SIMPLIFY_SECONDS = 2.0
MAX_ORDER = 8


class TimeLimitExceeded(Exception):
    """Raised inside work that ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop pure-Python work (SymPy) after `seconds`, using SIGALRM on the main thread.

    Elsewhere (a worker thread, Windows) no alarm can be set; the caller's size gates are then
    the only bound.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeLimitExceeded

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def check_points(points: object, name: str = "points", limit: int = MAX_POINTS) -> int:
    """A whole number of points from 2 to `limit`, or a one-line refusal."""
    if isinstance(points, bool) or not isinstance(points, int | float):
        raise DiffMagicError(f"{name} must be a whole number such as 100, not {points!r}")
    if isinstance(points, float) and not points.is_integer():
        raise DiffMagicError(f"{name} must be a whole number such as 100, not {points!r}")
    count = int(points)
    if count < 2:
        raise DiffMagicError(f"{name} must be at least 2, not {count}")
    if count > limit:
        raise DiffMagicError(f"{name} is {count:,}; the limit is {limit:,} on this machine")
    return count
