"""Time limits on the main thread of a POSIX process: SIGALRM (`signal.setitimer`).

The handler runs between two bytecodes and raises there; a signal also interrupts a blocking
system call, so a `time.sleep(60)` in the learner's function stops at once instead of after a
minute. Only the main thread can set a signal handler, and Windows has no SIGALRM: everywhere
else `watchdog` enforces the limits.

The interval timer is armed for the nearest active limit of the main thread and re-fires every
`REFIRE_SECONDS` after it, so a limit that a bare `except:` swallowed fires again. A timer that
someone else had set before the outermost limit is paused while the limits run and given back
what is left of it when they end.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from types import FrameType
from typing import Any

from diffmagic.deadline import REFIRE_SECONDS, Deadline, due, in_exit, stacks

#: The thread (at most one: the main thread) whose limits are enforced by SIGALRM, the handler
#: it replaced, and the (seconds left, interval) of a timer that was running before.
_signal_thread: dict[str, Any] = {"ident": None, "previous": None, "foreign": (0.0, 0.0)}


def is_signal_thread(ident: int) -> bool:
    """Whether SIGALRM enforces the limits of thread `ident` (the watchdog leaves it alone)."""
    return _signal_thread["ident"] == ident


def can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    """SIGALRM handler: raise the outermost expired limit of the main thread."""
    stack = stacks.get(threading.get_ident(), [])
    now = time.monotonic()
    expired = due(stack, now)
    if expired is None:
        arm(stack, now)  # woke early (an outer limit was re-armed): wait for the next
        return
    if in_exit(frame):
        return  # the interval timer fires again in REFIRE_SECONDS, if the block still runs
    expired.fired = True
    raise expired.exception_type()


def arm(stack: list[Deadline], now: float) -> None:
    """Set the timer for the nearest active limit of `stack` (none: stop it)."""
    active = [deadline.ends for deadline in stack if deadline.active]
    if not active or math.isinf(min(active)):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.setitimer(signal.ITIMER_REAL, max(min(active) - now, 1e-4), REFIRE_SECONDS)


def take_over(ident: int) -> bool:
    """Install the handler for the outermost limit of thread `ident` and pause a foreign timer;
    False where no handler can be set (not the main interpreter)."""
    try:
        _signal_thread["previous"] = signal.signal(signal.SIGALRM, _on_alarm)
    except ValueError:
        return False
    _signal_thread["ident"] = ident
    _signal_thread["foreign"] = signal.setitimer(signal.ITIMER_REAL, 0)
    return True


def give_back(outermost: Deadline) -> None:
    """After the outermost limit's block: stop the timer, restore the handler it replaced, and
    resume a foreign timer with what is left of it."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    previous = _signal_thread["previous"]
    signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
    _signal_thread["ident"] = None
    foreign_left, foreign_interval = _signal_thread["foreign"]
    if foreign_left:  # someone else's timer was running: give it back what is left
        left = foreign_left - (time.monotonic() - outermost.ends + outermost.seconds)
        signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), foreign_interval)
