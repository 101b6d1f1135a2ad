"""`time_limit(seconds)`: stop Python work after `seconds`, on any thread and any system.

Arming a limit pushes its `Deadline` on the thread's stack and hands it to the mechanism that
can reach the thread: SIGALRM on the main thread of a POSIX process (`alarm`), the watchdog
thread everywhere else (`watchdog`). Disarming pops it and makes sure nothing fires after the
block: the timer is re-armed for the limit around it, or a pending exception is cleared.

Either way the exception, `TimeLimitExceeded`, derives from `BaseException`, so a learner's
`try: ... except Exception:` cannot swallow it. A bare `except:` can: the limit then fires again
every `REFIRE_SECONDS` until the guarded block exits, and a block that swallowed it and returned
anyway still ends in `TimeLimitExceeded` (its result cannot be trusted). What no in-process
mechanism can stop is a loop that swallows every exception forever, or one C call that never
returns; those need a worker process.

Limits nest: an inner limit never extends an outer one. When the outer one expires first, its
own exception is raised (`error.deadline` says which limit fired), so a handler around the inner
block can tell "my limit" from "the caller's limit" and re-raise the latter.
"""

from __future__ import annotations

import functools
import importlib
import math
import threading
import time
from types import TracebackType

from diffmagic import alarm
from diffmagic.deadline import Deadline, TimeLimitExceeded, never_fire_in, stacks, stacks_lock
from diffmagic.limit_checks import check_seconds
from diffmagic.watchdog import clear_pending, watchdog

#: Modules imported before any limit is armed: an import interrupted half-way leaves a module
#: that later fails with "module 'sympy' has no attribute 'logic'" for the rest of the process.
HEAVY_MODULES = (
    "mpmath",
    "sympy",
    "sympy.printing.numpy",
    "scipy.differentiate",
    "scipy.optimize",
    "numdifftools",
    "jax",
    "jax.numpy",
)


@functools.cache
def import_heavy() -> tuple[str, ...]:
    """Import every module of `HEAVY_MODULES` once (the names it could not import come back).

    `time_limit` calls it before arming, so no limit can fire inside an import. Cached: the
    second call costs nothing.
    """
    missing = []
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    return tuple(missing)


class time_limit:  # lower case: used as `with time_limit(5) as limit:`, like a function
    """Stop Python work after `seconds` (infinity: no limit), on any thread.

    `with time_limit(2) as limit:` yields the `Deadline`; a handler that catches
    `TimeLimitExceeded` checks `error.deadline is limit` before treating it as its own.
    A class rather than a generator-based context manager: its exit must run no Python code
    of `contextlib` in which a limit could land before it is disarmed.
    """

    def __init__(self, seconds: float) -> None:
        self.deadline = Deadline(check_seconds(seconds))
        self._ident = 0
        self._uses_alarm = False

    def __enter__(self) -> Deadline:
        import_heavy()
        try:
            return self._arm()
        except BaseException:  # an outer limit landed while arming: leave nothing armed
            self._disarm()
            raise

    def _arm(self) -> Deadline:
        deadline = self.deadline
        deadline.ends = time.monotonic() + deadline.seconds  # the clock starts now
        self._ident = ident = threading.get_ident()
        with stacks_lock:
            stack = stacks.setdefault(ident, [])
            outermost = not stack
            self._uses_alarm = alarm.can_use_alarm() and (
                outermost or alarm.is_signal_thread(ident)
            )
            if self._uses_alarm and outermost:
                self._uses_alarm = alarm.take_over(ident)
            stack.append(deadline)
        if self._uses_alarm:
            alarm.arm(stack, time.monotonic())
        elif not math.isinf(deadline.seconds):
            watchdog.poke()
        return deadline

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        landed: list[TimeLimitExceeded] = []
        while True:  # a limit that lands while disarming is retried, never let out
            try:
                self._disarm()
                break
            except TimeLimitExceeded as late:
                landed.append(late)
        if not isinstance(exc, TimeLimitExceeded):
            # A limit fired inside the block, the work swallowed it (a bare `except:`) and
            # returned or raised something else: its outcome cannot be trusted. End as the
            # limit would have.
            fired = [d for d in self._fired_limits() if d.fired]
            if fired:
                raise fired[0].exception_type() from exc
        return False

    def _fired_limits(self) -> list[Deadline]:
        """This limit and those around it on this thread (outermost first)."""
        with stacks_lock:
            return [*stacks.get(self._ident, []), self.deadline]

    def _disarm(self) -> None:
        deadline = self.deadline
        ident = self._ident
        with stacks_lock:
            if deadline.active:
                deadline.active = False
                stack = stacks.get(ident, [])
                if deadline in stack:
                    stack.remove(deadline)
                if not stack:
                    stacks.pop(ident, None)
            if not self._uses_alarm:
                clear_pending(ident)  # one set just before deactivation, not landed
                return
            remaining = stacks.get(ident, [])
        if remaining:
            alarm.arm(remaining, time.monotonic())
            return
        alarm.give_back(deadline)


# A limit firing while it is being armed or disarmed would escape the block with the limit
# still armed (or the signal handler half restored).
never_fire_in(
    time_limit.__enter__.__code__,
    time_limit._arm.__code__,
    time_limit.__exit__.__code__,
    time_limit._disarm.__code__,
    time_limit._fired_limits.__code__,
)
