"""A time limit itself, and what the code that enforces it reads.

The `Deadline` and its exception `TimeLimitExceeded` (a `BaseException`, so a learner's
`except Exception:` cannot swallow it); each thread's stack of limits (limits nest); where a
limit must wait rather than land (`in_exit`: arming and disarming, garbage-collector and weakref
callbacks, `__del__`, a collection under way); which exception was sent and not landed yet.
`time_limits` (the watchdog and the `time_limit` block) and `worker` (the caller's side) both
read these, so they live apart from either.
"""

from __future__ import annotations

import _weakrefset
import gc
import math
import sys
import threading
import time
import weakref
from types import FrameType
from typing import Any

from diffmagic.errors import DiffMagicError

#: After a limit fired, it fires again this often until the guarded block exits (a bare
#: `except:` in the learner's code swallowed the first one).
REFIRE_SECONDS = 0.05


def check_seconds(seconds: object, name: str = "time limit") -> float:
    """A positive number of seconds (infinity meaning no limit), or a one-line refusal that
    shows an example of what is wanted (the front ends pass on what the learner typed)."""
    value = None
    if not isinstance(seconds, bool):
        try:
            value = float(seconds)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            value = None
    if value is None:
        raise DiffMagicError(f"{name} must be a number of seconds such as 5, not {seconds!r}")
    if math.isnan(value) or value <= 0:
        raise DiffMagicError(f"{name} must be more than 0 seconds, not {seconds!r}")
    return value


class TimeLimitExceeded(BaseException):
    """Raised inside work that ran past its time limit; `.deadline` says which limit.

    A `BaseException`, not an `Exception`: a learner's `except Exception:` must not swallow it.
    """

    deadline: Deadline | None = None

    def __init__(self, deadline: Deadline | None = None) -> None:
        if deadline is not None:
            self.deadline = deadline
        elif self.deadline is not None:
            # Made by the interpreter without arguments: the watchdog's exception has landed.
            self.deadline.pending = False
            _sent_to.pop(threading.get_ident(), None)
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
        #: Made due at once by `expire_now` (then arming does not restart its clock).
        self.stopped = False
        #: The watchdog sent its exception and it has not landed yet.
        self.pending = False
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


#: The limit whose exception the watchdog sent to each thread and that has not landed yet
#: (one at most: a later one replaces it).
_sent_to: dict[int, Deadline] = {}


def has_pending_limit() -> bool:
    """Whether an exception sent to this thread by the watchdog has not landed yet: it will, at
    the thread's next chance, wherever that is."""
    return threading.get_ident() in _sent_to


def forget_pending_limit() -> None:
    """For a thread that ends now: its pending exception ends with it (its id may be reused)."""
    _sent_to.pop(threading.get_ident(), None)


#: Each thread's limits, outermost first (the per-thread stack that makes nesting work).
stacks: dict[int, list[Deadline]] = {}
#: Held while a stack changes and while a limit is fired, so that a limit never fires after
#: its block has disarmed it.
stacks_lock = threading.Lock()

#: Where weakref callbacks live (WeakValueDictionary's, WeakSet's `_remove`).
_WEAKREF_FILES = frozenset({weakref.__file__, _weakrefset.__file__})
#: Code objects in which no limit fires (filled by `never_fire_in`).
_no_fire_codes: frozenset[Any] = frozenset()


def in_exit(frame: FrameType | None) -> bool:
    """Whether a limit must wait (it fires again in REFIRE_SECONDS) because the thread runs:

    - the entry or exit of `time_limit` or `captured_output`: the limit would escape the block
      before it is disarmed (or the streams restored);
    - a garbage-collector callback, a weakref callback or a `__del__`: Python prints what is
      raised there as "Exception ignored" and goes on, so the limit would be lost (and the
      callback left half done).
    """
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    depth = 0
    while frame is not None and depth < 8:
        code = frame.f_code
        if (
            code in _no_fire_codes
            or code in callbacks
            or code.co_name == "__del__"
            or code.co_filename in _WEAKREF_FILES
        ):
            return True
        frame, depth = frame.f_back, depth + 1
    return False


#: Threads inside a garbage collection: no frame shows it between the callbacks (C code, which
#: may release the interpreter while it frees objects), and a limit sent then would land in
#: the first callback after it.
_collecting: set[int] = set()


def _note_collection(phase: str, info: dict[str, Any]) -> None:
    """A garbage-collector callback, kept first of all: which threads are collecting."""
    if phase == "start":
        _collecting.add(threading.get_ident())
    else:
        _collecting.discard(threading.get_ident())


_frames_lock = threading.Lock()


def current_frames() -> dict[int, FrameType]:
    """`sys._current_frames()`, with the garbage collector held off while it runs.

    It holds the interpreter's list of threads while it builds its dict; a collection started
    there runs the gc callbacks, and JAX's lets go of the GIL: a thread that then takes the
    GIL and needs that list (to end, or to call this too) waits for it forever, holding the
    GIL the first one needs. One caller at a time, and no collection inside.
    """
    with _frames_lock:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return sys._current_frames()
        finally:
            if enabled:
                gc.enable()


def limit_waits(ident: int | None, frames: dict[int, FrameType] | None = None) -> bool:
    """Whether a limit due in thread `ident` waits now (see `in_exit`, `_collecting`);
    `frames` as `current_frames()` gave them, if the caller has them already."""
    if ident is None:
        return False
    if ident in _collecting:
        return True
    return in_exit((frames if frames is not None else current_frames()).get(ident))


def record_sent(ident: int, deadline: Deadline) -> None:
    """The watchdog sent `deadline`'s exception to thread `ident` (it lands later)."""
    deadline.fired = deadline.pending = True
    _sent_to[ident] = deadline


def watch_collections() -> None:
    """Keep `_note_collection` the first garbage-collector callback (another library may have
    inserted its own since)."""
    if not gc.callbacks or gc.callbacks[0] is not _note_collection:
        if _note_collection in gc.callbacks:
            gc.callbacks.remove(_note_collection)
        gc.callbacks.insert(0, _note_collection)


def never_fire_in(*codes: Any) -> None:
    """Code objects a limit must not interrupt (another module's enter/exit of a guarded
    block): a limit firing there would leave its state half set."""
    global _no_fire_codes
    _no_fire_codes = _no_fire_codes | frozenset(codes)


def due(stack: list[Deadline], now: float) -> Deadline | None:
    """The outermost expired limit: the caller's limit wins over an inner one."""
    return next((deadline for deadline in stack if deadline.expired(now)), None)


# What runs while a limit must wait is itself no place for a limit.
never_fire_in(_note_collection.__code__, watch_collections.__code__, current_frames.__code__)
