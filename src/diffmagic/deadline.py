"""What both ways of enforcing a time limit share: the limit itself, its exception, and the
per-thread record of which limits are armed.

`time_limits.time_limit` pushes a `Deadline` on its thread's stack; SIGALRM's handler
(`alarm`) and the watchdog thread (`watchdog`) read the stacks to find the limit that is due,
and `in_exit` to keep from firing inside the code that arms or disarms a limit. Kept apart so
that neither mechanism imports the other's state or the context manager that drives them.
"""

from __future__ import annotations

import _weakrefset
import gc
import threading
import time
import weakref
from types import FrameType
from typing import Any

#: After a limit fired, it fires again this often until the guarded block exits (a bare
#: `except:` in the learner's code swallowed the first one).
REFIRE_SECONDS = 0.05


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


#: Each thread's limits, outermost first (the per-thread stack that makes nesting work).
stacks: dict[int, list[Deadline]] = {}
#: Held while a stack changes and while a limit is fired, so that a limit never fires after
#: its block has disarmed it.
stacks_lock = threading.Lock()


def due(stack: list[Deadline], now: float) -> Deadline | None:
    """The outermost expired limit: the caller's limit wins over an inner one."""
    return next((deadline for deadline in stack if deadline.expired(now)), None)


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


def never_fire_in(*codes: Any) -> None:
    """Code objects a limit must not interrupt (another module's enter/exit of a guarded
    block): a limit firing there would leave its state half set."""
    global _no_fire_codes
    _no_fire_codes = _no_fire_codes | frozenset(codes)
