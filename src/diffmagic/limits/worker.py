"""Guarded work runs on a worker thread, and the caller stops waiting for it at its limit.

Why a worker thread: a limit raised inside the working thread (`time_limits`) lands only
between two bytecodes, so a learner's f that blocks in one C call (`time.sleep(100)`, a socket
read, one huge NumPy product) would hold the caller until that call returns, on any thread
(SIGALRM could cut a sleep short, but only on the main thread, and not a NumPy product). Here
the caller waits for the worker at most `seconds`; then the worker's own limit fires (and fires
again while the work swallows it, as `time_limits` does) and the caller waits a short grace; a
worker still busy after that is abandoned: the caller goes on with a reason that says the call
is still running in the background, and `still_running()` (and the notes of the comparisons
and checks made while it runs) keep saying so until it ends. Workers are reused (a pool of
idle threads): starting a thread for each call would cost more than most calls.

Why not a worker process, which could be killed: f is often a closure over notebook state, a
jitted function or an object that does not pickle; forking a process that runs JAX's threads
can deadlock; and spawning one re-imports SymPy and JAX (seconds) for each call. A thread shares
all of that and starts in about 0.1 ms. Its price: a call stuck in C cannot be killed, only
abandoned (it keeps its CPU and memory until it returns). And a C call that holds the GIL (a
power tower of Python integers, `9**9**9`) blocks every thread, the waiting caller included:
nothing in-process can stop it, which is why expression strings with such arithmetic are
refused before anything evaluates them (`expression_numbers`).

What moves with the work to the worker, because a new thread starts without it:
- the caller's contextvars (`contextvars.copy_context().run`): `np.errstate`, `decimal`'s
  context and the output `held_output` holds back (what f prints on the worker is held by the
  caller's capture);
- JAX's config contexts (`jax.enable_x64(True)` and the others), which are thread-local: those
  the caller entered are entered again in the worker;
- SymPy's thread-local `global_parameters` (`sympy.evaluate(False)`);
- the caller's own limits: when a limit of the waiting caller lands (a guard inside guarded
  work), or the user presses stop (KeyboardInterrupt on the main thread), the worker is stopped
  too and the exception goes on up in the caller.
Garbage-collector and weakref callbacks and `__del__` keep the deferral of `deadline.in_exit`
(a limit is never raised where Python would print and drop it), and a worker busy in such a
callback when its grace runs out gets more graces before it is abandoned. A recursion limit is
the process's own; a worker thread starts with an empty stack, so deep recursion in f fails
as it would at the top level ("f recurses too deeply").
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, ClassVar

from diffmagic.limits.culprit import codes_of, is_numerical_library, outermost_learners_frame
from diffmagic.limits.deadline import (
    TimeLimitExceeded,
    current_frames,
    forget_pending_limit,
    has_pending_limit,
    limit_waits,
    never_fire_in,
)
from diffmagic.limits.time_limits import expire_now, import_heavy, time_limit

#: How long the caller waits, after the limit fired in the worker, for the work to stop.
GRACE_SECONDS = 0.4
#: How long a caller that is itself stopped (KeyboardInterrupt, its own limit) waits for its
#: worker: shorter than GRACE_SECONDS, so that the caller's caller still hears from it in time.
STOP_GRACE_SECONDS = 0.1
#: Graces a worker gets at most, when it is in a callback the limit waits for.
MAX_GRACES = 4
#: The caller wakes this often while it waits, so that its own limit can land.
_SLICE_SECONDS = 0.05


@dataclass(eq=False)
class Call:
    """One piece of guarded work on its worker: its outcome, or that the caller stopped waiting."""

    name: str
    limit: time_limit
    seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None
    thread: threading.Thread | None = None
    #: The learner's function that was running when the limit fired (None: diffmagic's or a
    #: library's code was).
    culprit: str | None = None
    #: Monotonic time at which the caller stopped waiting (None: it did not).
    abandoned_at: float | None = None
    #: The guarded call whose work started this one (None: started outside guarded work).
    parent: Call | None = None

    @property
    def abandoned(self) -> bool:
        return self.abandoned_at is not None


_abandoned: list[Call] = []
_abandoned_lock = threading.Lock()


def still_running() -> list[str]:
    """The calls diffmagic stopped waiting for that still run in the background, in words."""
    now = time.monotonic()
    with _abandoned_lock:
        _abandoned[:] = [call for call in _abandoned if not call.done.is_set()]
        calls = list(_abandoned)
    return [f"{_named(call)} (for {now - (call.abandoned_at or now):.0f} s)" for call in calls]


def _named(call: Call) -> str:
    """The learner's function that was running, as its name (a lambda's: the caller's name)."""
    culprit = call.culprit
    return call.name if culprit is None or culprit.startswith("<") else culprit


def left_running(call: Call) -> bool:
    """Whether `call`, or a call its work started (a guard inside it), still runs unwaited."""
    with _abandoned_lock:
        running = [other for other in _abandoned if not other.done.is_set()]
    for other in running:
        while other is not None and other is not call:
            other = other.parent
        if other is call:
            return True
    return False


def _abandon(call: Call) -> None:
    call.abandoned_at = time.monotonic()
    with _abandoned_lock:
        _abandoned.append(call)


def run(
    work: Callable[[], Any],
    seconds: float,
    name: str,
    named: Mapping[str, Any] | None = None,
) -> Call:
    """`work()` on a worker thread under a limit of `seconds`; the finished or abandoned Call.

    What the work raises is in `call.error` (the caller decides what it means); an exception
    that lands in the caller while it waits stops the worker and goes on up. `named` names the
    learner's functions ({"grad": grad}) for `call.culprit`, where their code cannot (lambdas).
    """
    import_heavy()  # before the clock starts: no limit may fire inside an import
    call = Call(name, time_limit(seconds), seconds, parent=_current.get(threading.get_ident()))
    carried = _Carried.of_this_thread()
    serving = _Worker.idle_or_new()
    call.thread = serving.thread
    started = time.monotonic()
    serving.calls.put((call, work, carried))
    try:
        _wait(call, started + seconds, codes_of(named))
    except BaseException:  # the user pressed stop, or the caller's own limit landed
        stop(call, STOP_GRACE_SECONDS)
        raise
    return call


def _wait(call: Call, ends: float, codes: dict[Any, str]) -> None:
    """Wait until the work ends, or its limit and a grace have passed (then abandon it)."""
    waiting = threading.get_ident()
    _waiting_for[waiting] = call
    # At each wake: what runs in the worker, how many wakes in a row saw the same call of the
    # learner's function, and how many saw one at all.
    running: tuple[FrameType | None, str | None, FrameType | None] = (None, None, None)
    streak = seen = 0
    try:
        while not call.done.is_set():
            left = ends - time.monotonic()
            if left <= 0:
                break
            if not call.done.wait(min(left, _SLICE_SECONDS)):
                now = _learners_call(call, codes)
                same = now[0] is not None and now[0] is running[0]
                streak = streak + 1 if same else 1
                seen += now[0] is not None
                running = now
    finally:
        _waiting_for.pop(waiting, None)
    if call.done.is_set():
        return
    if not seen:  # a limit shorter than one wake: what runs now is all there is to go by
        running, streak, seen = _learners_call(call, codes), 1, 1
    frame, name, innermost = running  # as last seen before the limit (it fires now)
    # The learner's function is the culprit when one call of it ran through most of what the
    # waiting saw, and not inside SymPy or JAX (whose work in f is theirs: expression swell); a
    # method that called it again and again is its own culprit.
    if frame is not None and 2 * streak >= seen and not is_numerical_library(innermost):
        call.culprit = name
    stop(call, GRACE_SECONDS)


def stop(call: Call, grace: float) -> None:
    """Raise the limit in the worker now (again while it swallows it) and wait up to `grace`
    for it to end; then abandon it. A worker inside a callback that the limit waits for (a
    garbage-collector callback, a `__del__`: see `time_limits.in_exit`) gets more graces, up to
    MAX_GRACES, while it is in one at a wake and for one grace after (the limit lands then)."""
    expire_now(call.limit.deadline)
    deferred = False
    for _ in range(MAX_GRACES):
        ends = time.monotonic() + grace
        while not call.done.is_set() and time.monotonic() < ends:
            call.done.wait(_SLICE_SECONDS)
            deferred = deferred or limit_waits(_ident_of(call))
        if call.done.is_set() or not deferred:
            break
        deferred = limit_waits(_ident_of(call))
    if not call.done.is_set():
        _abandon(call)


#: Which call each waiting thread waits for: a limit that fires while guarded work waits for
#: an inner guard's worker blames what runs there.
_waiting_for: dict[int, Call] = {}


def _learners_call(
    call: Call, codes: Mapping[Any, str]
) -> tuple[FrameType | None, str | None, FrameType | None]:
    """The frame and name of the learner's function running in `call`'s worker, or in the
    worker it waits for (a guard inside guarded work), (None, None) when none runs; and the
    innermost frame there (what runs right now)."""
    found: tuple[FrameType | None, str | None] = (None, None)
    innermost = None
    for _ in range(8):  # nested guards, innermost last
        innermost = _frame_of(call)
        frame, name = outermost_learners_frame(innermost, codes)
        if frame is not None:
            found = (frame, name)
        ident = call.thread.ident if call.thread is not None else None
        inner = _waiting_for.get(ident) if ident is not None else None
        if inner is None:
            break
        call = inner
    return (*found, innermost)


def _ident_of(call: Call) -> int | None:
    return call.thread.ident if call.thread is not None else None


def _frame_of(call: Call) -> FrameType | None:
    ident = call.thread.ident if call.thread is not None else None
    return current_frames().get(ident) if ident is not None else None


#: The call each worker thread runs.
_current: dict[int, Call] = {}
#: A worker with nothing to do waits this long for its next call, then ends.
IDLE_SECONDS = 30.0


class _Worker:
    """A daemon thread that runs guarded calls one after another: starting a thread for each
    call would cost more than most calls. A worker whose call was abandoned serves again once
    that call ends; each call gets the caller's state afresh (`_Carried`) and leaves none."""

    _idle: ClassVar[list[_Worker]] = []
    _idle_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[tuple[Call, Callable[[], Any], _Carried]] = (
            queue.SimpleQueue()
        )
        self.thread = threading.Thread(target=self._serve, name="diffmagic-worker", daemon=True)
        self.thread.start()

    @classmethod
    def idle_or_new(cls) -> _Worker:
        with cls._idle_lock:
            if cls._idle:
                return cls._idle.pop()
        return cls()

    def _serve(self) -> None:
        while self._serve_one():
            pass

    def _serve_one(self) -> bool:
        """Run the next call; False when none came for IDLE_SECONDS (the thread then ends)."""
        try:
            try:
                task = self.calls.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._idle_lock:
                    if self in self._idle:  # else a caller just took it: its call is queued
                        self._idle.remove(self)
                        return False
                return True
            _body(*task)
            if has_pending_limit():
                # A limit's exception was sent and has not landed (the thread was in C): it
                # would land in the next call. The thread ends instead, and the exception with it.
                forget_pending_limit()
                return False
            with self._idle_lock:
                self._idle.append(self)
        except TimeLimitExceeded:  # a late limit of a call that has ended: nothing to stop
            pass
        return True


def _body(call: Call, work: Callable[[], Any], carried: _Carried) -> None:
    ident = threading.get_ident()
    _current[ident] = call
    try:
        try:
            call.value = carried.context.run(_limited, call, work, carried)
        except BaseException as error:  # handed to the caller, which decides what it means
            call.error = error
    finally:  # reached even if a late limit lands above: the caller is never left waiting
        _current.pop(ident, None)
        call.done.set()


def _limited(call: Call, work: Callable[[], Any], carried: _Carried) -> Any:
    with carried.entered(), call.limit:  # the limit innermost: it ends before they unwind
        return work()


@dataclass
class _Carried:
    """The caller's state that a new thread would not have (see the module's docstring)."""

    context: contextvars.Context
    jax_settings: list[tuple[Any, Any]]
    sympy_parameters: dict[str, Any]

    @classmethod
    def of_this_thread(cls) -> _Carried:
        return cls(contextvars.copy_context(), _jax_settings(), _sympy_parameters())

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        parameters = sys.modules.get("sympy.core.parameters")
        if parameters is not None:
            for key, value in self.sympy_parameters.items():
                setattr(parameters.global_parameters, key, value)
        with contextlib.ExitStack() as stack:
            for setting, value in self.jax_settings:
                with contextlib.suppress(Exception):  # a setting this JAX cannot re-enter
                    stack.enter_context(setting(value))
            yield


def _jax_settings() -> list[tuple[Any, Any]]:
    """JAX's config contexts this thread has entered, as (context manager, value) pairs."""
    jax = sys.modules.get("jax")
    if jax is None:
        return []
    try:
        from jax._src import config as jax_config

        unset = jax_config.config_ext.unset
        states = list(jax_config.config_states.values())
        return [(state, value) for state in states if (value := state.get_local()) is not unset]
    except Exception:  # another JAX's internals: carry float64, the one diffmagic relies on
        return [(jax.enable_x64, bool(jax.config.jax_enable_x64))]


def _sympy_parameters() -> dict[str, Any]:
    parameters = sys.modules.get("sympy.core.parameters")
    if parameters is None:
        return {}
    names = ("evaluate", "distribute", "exp_is_pow")
    return {key: getattr(parameters.global_parameters, key) for key in names}


# A limit of the waiting thread itself (re-fired every REFIRE_SECONDS) must not cut short
# the stopping of its worker: the worker would be neither waited for nor listed as running.
never_fire_in(stop.__code__, _abandon.__code__)
