"""`time_limit(seconds)`: raise `TimeLimitExceeded` in this thread's work after `seconds`.

This is the in-thread half of a limit: a watchdog thread raises the exception in the working
thread with `PyThreadState_SetAsyncExc`. The exception lands between two bytecodes, so a
function that sleeps in short steps, SymPy (pure Python) and any Python loop stop within a few
milliseconds of the limit; one long C call (one `time.sleep(100)`, one large NumPy operation)
does not: the exception lands when that call returns. That is why `guard.guarded` runs the work
on a worker thread (`worker.py`) and stops waiting for it at the limit: the caller's side of the
limit holds whatever the work does, this side stops the work as soon as Python can.

One mechanism on every thread and every system: a SIGALRM handler would reach only the main
thread (and cut its blocking calls short), but guarded work never runs there any more.

`TimeLimitExceeded` derives from `BaseException`, so a learner's `except Exception:` cannot
swallow it. A bare `except:` can: the limit then fires again every `REFIRE_SECONDS` until the
block exits, and a block that swallowed it and returned anyway still ends in
`TimeLimitExceeded` (its result cannot be trusted). Limits nest: an inner limit never extends an
outer one; when the outer one expires first its own exception is raised (`error.deadline` says
which limit fired), so a handler can tell "my limit" from "the caller's limit".
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import math
import threading
import time
from types import TracebackType

from diffmagic.limits.deadline import (
    REFIRE_SECONDS,
    Deadline,
    TimeLimitExceeded,
    check_seconds,
    current_frames,
    due,
    limit_waits,
    never_fire_in,
    record_sent,
    stacks,
    stacks_lock,
    watch_collections,
)

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

    Called before any limit is armed, so no limit can fire inside an import. Cached: the
    second call costs nothing.
    """
    missing = []
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    return tuple(missing)


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int
#: How long a limit waits, once it has ended, for an exception sent just before that has not
#: landed yet (it lands within the interpreter's switch interval, 5 ms; it may also never
#: land, replaced by an outer limit's).
_DRAIN_SECONDS = 0.02


def _drain(deadline: Deadline) -> None:
    """Let an exception the watchdog sent just before `deadline` ended land here, where it is
    dropped, rather than later in code that has no limit.

    Not cleared with `PyThreadState_SetAsyncExc(id, NULL)`: on CPython 3.11 that leaves the
    interpreter's eval breaker set, and a thread that profiles or traces (a debugger,
    coverage, the graph's step counter) then spins forever at its next call.
    """
    ends = time.monotonic() + _DRAIN_SECONDS
    try:
        while deadline.pending and time.monotonic() < ends:
            pass
    except TimeLimitExceeded as late:
        if late.deadline is not deadline:
            raise  # an outer limit: it goes on up


class Watchdog:
    """One daemon thread that raises `TimeLimitExceeded` in threads whose limit expired.

    The exception is set while `stacks_lock` is held and the limit is still active, and the
    exit of a limit deactivates it and clears a pending exception under the same lock, so a
    limit never fires after its block has ended.
    """

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_fired: dict[int, float] = {}
        #: When it looks at the limits next (infinity while it is looking).
        self._next_look = math.inf

    def poke(self, ends: float = -math.inf) -> None:
        """Have it look at the limits now, unless it will anyway before `ends` (a new limit
        that expires then: waking it for nothing would cost the work a thread switch)."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="diffmagic-time-limit", daemon=True
                )
                self._thread.start()
        if ends < self._next_look:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._next_look = math.inf
            self._wake.clear()  # before looking: a poke while it looks wakes it again
            wait = self._fire_due()
            self._next_look = time.monotonic() + wait
            self._wake.wait(wait)

    def _fire_due(self) -> float:
        """Fire every expired limit; the seconds until something may need firing next."""
        now = time.monotonic()
        wait = 1.0
        frames = None
        with stacks_lock:
            for gone in set(self._last_fired) - set(stacks):
                del self._last_fired[gone]
            for ident, stack in stacks.items():
                expired = due(stack, now)
                if expired is None:
                    active = [d.ends for d in stack if d.active]
                    wait = min(wait, min(active, default=math.inf) - now)
                    continue
                since = now - self._last_fired.get(ident, -math.inf)
                if expired.fired and since < REFIRE_SECONDS:
                    wait = min(wait, REFIRE_SECONDS - since)
                    continue
                if frames is None:
                    frames = current_frames()
                if limit_waits(ident, frames):
                    wait = min(wait, 0.005)
                    continue
                self._last_fired[ident] = now
                record_sent(ident, expired)
                _set_async_exc(ident, expired.exception_type)
                wait = min(wait, REFIRE_SECONDS)
        return max(wait, 0.001)


#: The one watchdog of the process, started on the first limit it has to enforce.
watchdog = Watchdog()


def expire_now(deadline: Deadline) -> None:
    """Make `deadline` due at once (the caller stopped waiting, or the user pressed stop): the
    watchdog raises it in its thread now, and again while the work swallows it."""
    with stacks_lock:
        deadline.stopped = True
        deadline.ends = min(deadline.ends, time.monotonic())
    watchdog.poke()


class time_limit:  # lower case: used as `with time_limit(5) as limit:`, like a function
    """Stop Python work after `seconds` (infinity: no limit), on the thread that enters it.

    `with time_limit(2) as limit:` yields the `Deadline`; a handler that catches
    `TimeLimitExceeded` checks `error.deadline is limit` before treating it as its own.
    A class rather than a generator-based context manager: its exit must run no Python code
    of `contextlib` in which a limit could land before it is disarmed.
    """

    def __init__(self, seconds: float) -> None:
        self.deadline = Deadline(check_seconds(seconds))
        self._ident = 0
        self._drained = False

    def __enter__(self) -> Deadline:
        import_heavy()
        try:
            return self._arm()
        except BaseException:  # an outer limit landed while arming: leave nothing armed
            self._disarm()
            raise

    def _arm(self) -> Deadline:
        deadline = self.deadline
        self._ident = threading.get_ident()
        watch_collections()
        with stacks_lock:
            if not deadline.stopped:
                deadline.ends = time.monotonic() + deadline.seconds  # the clock starts now
            stacks.setdefault(self._ident, []).append(deadline)
        if deadline.stopped or not math.isinf(deadline.seconds):
            watchdog.poke(deadline.ends)
        return deadline

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        while True:  # a limit that lands while disarming is retried, never let out
            try:
                self._disarm()
                break
            except TimeLimitExceeded:
                pass
        if not isinstance(exc, TimeLimitExceeded):
            # A limit fired inside the block, the work swallowed it (a bare `except:`) and
            # returned or raised something else: its outcome cannot be trusted. End as the
            # limit would have.
            fired = [d for d in self._fired_limits() if d.fired]
            if fired:
                raise fired[0].exception_type(fired[0]) from exc
        return False

    def _fired_limits(self) -> list[Deadline]:
        """This limit and those around it on this thread (outermost first)."""
        with stacks_lock:
            return [*stacks.get(self._ident, []), self.deadline]

    def _disarm(self) -> None:
        deadline = self.deadline
        with stacks_lock:
            if deadline.active:
                deadline.active = False
                stack = stacks.get(self._ident, [])
                if deadline in stack:
                    stack.remove(deadline)
                if not stack:
                    stacks.pop(self._ident, None)
        if deadline.pending and not self._drained:
            self._drained = True
            _drain(deadline)  # one sent just before deactivation, not landed yet


# A limit firing while it is being armed or disarmed would escape the block with the limit
# still armed.
never_fire_in(
    time_limit.__enter__.__code__,
    time_limit._arm.__code__,
    time_limit.__exit__.__code__,
    time_limit._disarm.__code__,
    time_limit._fired_limits.__code__,
    _drain.__code__,
)
