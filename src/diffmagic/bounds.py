"""Limits that keep a learner's cell from hanging the kernel or eating the machine.

`time_limit(seconds)` stops Python work after `seconds` on any thread and any operating system:

* On the main thread of a POSIX process it uses SIGALRM (`signal.setitimer`). The handler runs
  between two bytecodes and raises there; a signal also interrupts a blocking system call, so a
  `time.sleep(60)` in the learner's function stops at once instead of after a minute.
* Elsewhere (another thread, where no signal handler can be set, and Windows, which has no
  SIGALRM) a watchdog thread raises the exception in the working thread with
  `ctypes.pythonapi.PyThreadState_SetAsyncExc`. It lands between two bytecodes as well, but a
  long call into C (one `time.sleep(60)`, one large NumPy operation) is not interrupted: the
  exception lands when that call returns. A function that sleeps in short steps, SymPy (pure
  Python) and any Python loop stop within a few milliseconds of the limit. Measured under a
  1 s limit: `for _ in range(1000): time.sleep(0.01)` stops at 1.00 s on a thread (1.00 s on
  the main thread); one `time.sleep(4)` at 4.04 s on a thread (1.01 s on the main thread, where
  the signal cuts the sleep short); three 3000x3000 matrix products in NumPy run to the end of
  the product under way on either (C code, no bytecode boundary to land on). Re-firing does
  not help inside one C call: the pending exception is delivered once, when it returns.

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

import ctypes
import functools
import importlib
import io
import math
import operator
import signal
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import Any, TextIO

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
#: After a limit fired, it fires again this often until the guarded block exits (a bare
#: `except:` in the learner's code swallowed the first one).
REFIRE_SECONDS = 0.05

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


class TimeLimitExceeded(BaseException):
    """Raised inside work that ran past its time limit; `.deadline` says which limit.

    A `BaseException`, not an `Exception`: a learner's `except Exception:` must not swallow it.
    """

    deadline: Deadline | None = None

    def __init__(self, deadline: Deadline | None = None) -> None:
        if deadline is not None:
            self.deadline = deadline
        limit = self.deadline
        super().__init__(
            f"took longer than {limit.seconds:g} s" if limit else "took longer than its limit"
        )


class Deadline:
    """One time limit; `TimeLimitExceeded.deadline` says which limit fired."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        #: Monotonic time at which it expires (infinite for no limit).
        self.ends = time.monotonic() + seconds
        #: Whether it fired at least once (the work may have swallowed it).
        self.fired = False
        self.active = True
        self._exception_type: type[TimeLimitExceeded] | None = None

    @property
    def exception_type(self) -> type[TimeLimitExceeded]:
        """A subclass bound to this deadline: `PyThreadState_SetAsyncExc` raises a class, which
        the interpreter instantiates without arguments, so the class carries `.deadline`."""
        if self._exception_type is None:
            self._exception_type = type(
                "TimeLimitExceeded",
                (TimeLimitExceeded,),
                {"deadline": self, "__module__": __name__, "__qualname__": "TimeLimitExceeded"},
            )
        return self._exception_type

    def expired(self, now: float) -> bool:
        return self.active and now >= self.ends


def check_seconds(seconds: object, name: str = "time limit") -> float:
    """A positive number of seconds (infinity meaning no limit), or a one-line refusal."""
    if isinstance(seconds, bool):
        raise DiffMagicError(f"{name} must be a number of seconds such as 5, not {seconds!r}")
    try:
        value = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DiffMagicError(
            f"{name} must be a number of seconds such as 5, not {seconds!r}"
        ) from None
    if math.isnan(value) or value <= 0:
        raise DiffMagicError(f"{name} must be more than 0 seconds, not {seconds!r}")
    return value


# --- the two mechanisms -------------------------------------------------------------------

#: Each thread's limits, outermost first (the per-thread stack that makes nesting work).
_stacks: dict[int, list[Deadline]] = {}
_stacks_lock = threading.Lock()


def _due(stack: list[Deadline], now: float) -> Deadline | None:
    """The outermost expired limit: the caller's limit wins over an inner one."""
    return next((deadline for deadline in stack if deadline.expired(now)), None)


def _in_exit(frame: FrameType | None) -> bool:
    """Whether the thread runs the entry or exit of `time_limit` or `captured_output`: no limit
    fires there, or it would escape the block before the limit is disarmed (or the streams
    restored)."""
    depth = 0
    while frame is not None and depth < 8:
        if frame.f_code in _NO_FIRE_CODES:
            return True
        frame, depth = frame.f_back, depth + 1
    return False


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


class _Watchdog:
    """One daemon thread that raises `TimeLimitExceeded` in threads whose limit expired.

    Used where SIGALRM is not: any thread but the main one, and Windows. The exception is set
    with `PyThreadState_SetAsyncExc` while `_stacks_lock` is held and the limit is still
    active, and the exit of a limit deactivates it and clears a pending exception under the
    same lock, so a limit never fires after its block has ended.
    """

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_fired: dict[int, float] = {}

    def poke(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="diffmagic-time-limit", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._fire_due())
            self._wake.clear()

    def _fire_due(self) -> float:
        """Fire every expired limit; the seconds until something may need firing next."""
        now = time.monotonic()
        wait = 1.0
        frames = None
        with _stacks_lock:
            for gone in set(self._last_fired) - set(_stacks):
                del self._last_fired[gone]
            for ident, stack in _stacks.items():
                if not stack or _is_signal_thread(ident):
                    continue
                due = _due(stack, now)
                if due is None:
                    wait = min(wait, min(d.ends for d in stack if d.active) - now)
                    continue
                since = now - self._last_fired.get(ident, -math.inf)
                if due.fired and since < REFIRE_SECONDS:
                    wait = min(wait, REFIRE_SECONDS - since)
                    continue
                if frames is None:
                    frames = sys._current_frames()
                if _in_exit(frames.get(ident)):
                    wait = min(wait, 0.005)
                    continue
                due.fired = True
                self._last_fired[ident] = now
                _set_async_exc(ident, due.exception_type)
                wait = min(wait, REFIRE_SECONDS)
        return max(wait, 0.001)


_watchdog = _Watchdog()
#: The thread (at most one: the main thread) whose limits are enforced by SIGALRM.
_signal_thread: dict[str, Any] = {"ident": None, "previous": None, "foreign": (0.0, 0.0)}


def _is_signal_thread(ident: int) -> bool:
    return _signal_thread["ident"] == ident


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    """SIGALRM handler: raise the outermost expired limit of the main thread."""
    stack = _stacks.get(threading.get_ident(), [])
    now = time.monotonic()
    due = _due(stack, now)
    if due is None:
        _arm_alarm(stack, now)  # woke early (an outer limit was re-armed): wait for the next
        return
    if _in_exit(frame):
        return  # the interval timer fires again in REFIRE_SECONDS, if the block still runs
    due.fired = True
    raise due.exception_type()


def _arm_alarm(stack: list[Deadline], now: float) -> None:
    active = [deadline.ends for deadline in stack if deadline.active]
    if not active or math.isinf(min(active)):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.setitimer(signal.ITIMER_REAL, max(min(active) - now, 1e-4), REFIRE_SECONDS)


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
        with _stacks_lock:
            stack = _stacks.setdefault(ident, [])
            outermost = not stack
            self._uses_alarm = _can_use_alarm() and (outermost or _is_signal_thread(ident))
            if self._uses_alarm and outermost:
                try:
                    _signal_thread["previous"] = signal.signal(signal.SIGALRM, _on_alarm)
                except ValueError:  # not the main interpreter: no handler can be set
                    self._uses_alarm = False
                else:
                    _signal_thread["ident"] = ident
                    _signal_thread["foreign"] = signal.setitimer(signal.ITIMER_REAL, 0)
            stack.append(deadline)
        if self._uses_alarm:
            _arm_alarm(stack, time.monotonic())
        elif not math.isinf(deadline.seconds):
            _watchdog.poke()
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
        with _stacks_lock:
            return [*_stacks.get(self._ident, []), self.deadline]

    def _disarm(self) -> None:
        deadline = self.deadline
        ident = self._ident
        with _stacks_lock:
            if deadline.active:
                deadline.active = False
                stack = _stacks.get(ident, [])
                if deadline in stack:
                    stack.remove(deadline)
                if not stack:
                    _stacks.pop(ident, None)
            if not self._uses_alarm:
                _clear_async_exc(ident, None)  # one set just before deactivation, not landed
                return
            remaining = _stacks.get(ident, [])
        if remaining:
            _arm_alarm(remaining, time.monotonic())
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        previous = _signal_thread["previous"]
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        _signal_thread["ident"] = None
        foreign_left, foreign_interval = _signal_thread["foreign"]
        if foreign_left:  # someone else's timer was running: give it back what is left
            left = foreign_left - (time.monotonic() - deadline.ends + deadline.seconds)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), foreign_interval)


_NO_FIRE_CODES = frozenset(
    {
        time_limit.__enter__.__code__,
        time_limit._arm.__code__,
        time_limit.__exit__.__code__,
        time_limit._disarm.__code__,
        time_limit._fired_limits.__code__,
    }
)


# --- options ------------------------------------------------------------------------------


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
            raise DiffMagicError(
                f"{name} must be a whole number such as 100, not {points!r}"
            ) from None
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


# --- output held back, per thread ---------------------------------------------------------


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


class _ThreadRoutedStream:
    """Stands in for sys.stdout or sys.stderr while any thread holds output back.

    Writes of a thread that is capturing go to its innermost counter; every other thread's
    go to the stream that was there before. Installed once for all threads (with a count), so
    two threads capturing at once cannot restore each other's stream in the wrong order.
    """

    def __init__(self, original: TextIO) -> None:
        self.original = original

    def _target(self) -> Any:
        counters = _capturing.get(threading.get_ident())
        return counters[-1] if counters else self.original

    def write(self, text: str) -> int:
        return self._target().write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        target = self._target()
        if target is self.original:
            self.original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._target() is self.original and self.original.isatty()

    @property
    def encoding(self) -> str:
        return getattr(self.original, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, buffer...: the original's
        return getattr(self.original, name)


#: Per thread: the counters of its nested `captured_output()` blocks, innermost last.
_capturing: dict[int, list[_LineCounter]] = {}
_capture_lock = threading.Lock()
_installed: dict[str, _ThreadRoutedStream] = {}


def _install() -> None:
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if not isinstance(current, _ThreadRoutedStream):
            router = _ThreadRoutedStream(current)
            _installed[name] = router
            setattr(sys, name, router)


def _uninstall() -> None:
    for name, router in list(_installed.items()):
        if getattr(sys, name) is router:  # someone replaced it since: leave theirs alone
            setattr(sys, name, router.original)
        del _installed[name]


class captured_output:  # lower case: used as `with captured_output() as printed:`
    """Hold back what a function prints while diffmagic calls it thousands of times.

    A `print` in the learner's function would otherwise flood the notebook; the count of lines
    it printed is reported instead. Only this thread's output is held back; sys.stdout and
    sys.stderr are what they were once the last thread stops capturing. A class, not a
    generator: no time limit fires in its exit (see `_NO_FIRE_CODES`), so an expiring limit
    cannot leave the streams replaced.
    """

    def __init__(self) -> None:
        self.counter = _LineCounter()
        self._ident = threading.get_ident()

    def __enter__(self) -> _LineCounter:
        self._ident = threading.get_ident()
        with _capture_lock:
            if not _capturing:
                _install()
            _capturing.setdefault(self._ident, []).append(self.counter)
        return self.counter

    def __exit__(self, *exc_info: object) -> None:
        with _capture_lock:
            counters = _capturing.get(self._ident, [])
            if self.counter in counters:
                counters.remove(self.counter)
            if not counters:
                _capturing.pop(self._ident, None)
            if not _capturing:
                _uninstall()


_NO_FIRE_CODES = _NO_FIRE_CODES | {
    captured_output.__enter__.__code__,
    captured_output.__exit__.__code__,
    _install.__code__,
    _uninstall.__code__,
}
