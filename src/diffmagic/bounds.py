"""Limits that keep a learner's cell from hanging the kernel or eating the machine."""

from __future__ import annotations

import contextlib
import io
import signal
import threading
import time
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
#: Default limit on SymPy's work for one derivative (trace, diff, simplify, lambdify).
SYMBOLIC_SECONDS = 5.0
#: Limit on any other method's preparation and evaluation on the grid (a function that sleeps).
METHOD_SECONDS = 30.0
MAX_ORDER = 8


class Deadline:
    """One time limit; `TimeLimitExceeded.deadline` says which limit fired."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class TimeLimitExceeded(Exception):
    """Raised inside work that ran past its time limit."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(f"took longer than {deadline.seconds:g} s")
        self.deadline = deadline


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[Deadline]:
    """Stop Python work (a learner's function, SymPy) after `seconds`, by SIGALRM.

    A Python thread cannot be stopped from outside, but the main thread can be interrupted by a
    signal between two bytecodes: the handler raises `TimeLimitExceeded` there, which unwinds the
    work for real. Limits nest: an inner limit never extends an outer one, and a handler that
    catches `TimeLimitExceeded` checks `error.deadline is` its own before treating it as its own.
    Off the main thread (or on Windows) no alarm can be set, and the size gates are the only
    bound.
    """
    deadline = Deadline(seconds)
    if not _can_use_alarm():
        yield deadline
        return
    started = time.monotonic()
    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_remaining and outer_remaining < seconds:
        yield deadline  # the outer limit comes first and stays in force
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(deadline)

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield deadline
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if outer_remaining:
            left = outer_remaining - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


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


class _LineCounter(io.TextIOBase):
    """A stream that keeps the first few lines written to it and counts the rest."""

    def __init__(self, keep: int = 3) -> None:
        self.lines = 0
        self.kept: list[str] = []
        self._keep = keep
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        if len(self.kept) < self._keep:
            *complete, self._partial = (self._partial + text).split("\n")
            self.kept.extend(complete[: self._keep - len(self.kept)])
        return len(text)


@contextlib.contextmanager
def captured_output() -> Iterator[_LineCounter]:
    """Hold back what a function prints while diffmagic calls it thousands of times.

    A `print` in the learner's function would otherwise flood the notebook; the count of lines
    it printed is reported instead.
    """
    counter = _LineCounter()
    with contextlib.redirect_stdout(counter), contextlib.redirect_stderr(counter):
        yield counter
