"""Time limits on any thread but the main one, and on Windows: a watchdog thread.

No signal handler can be set there, so a daemon thread raises the exception in the working
thread with `ctypes.pythonapi.PyThreadState_SetAsyncExc`. It lands between two bytecodes, but a
long call into C (one `time.sleep(60)`, one large NumPy operation) is not interrupted: the
exception lands when that call returns. A function that sleeps in short steps, SymPy (pure
Python) and any Python loop stop within a few milliseconds of the limit. Measured under a 1 s
limit: `for _ in range(1000): time.sleep(0.01)` stops at 1.00 s on a thread; one
`time.sleep(4)` at 4.04 s (1.01 s on the main thread, where SIGALRM cuts the sleep short);
three 3000x3000 matrix products in NumPy run to the end of the product under way (C code, no
bytecode boundary to land on). Re-firing does not help inside one C call: the pending
exception is delivered once, when it returns.
"""

from __future__ import annotations

import ctypes
import math
import sys
import threading
import time

from diffmagic.alarm import is_signal_thread
from diffmagic.deadline import REFIRE_SECONDS, due, in_exit, stacks, stacks_lock

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int
# The same C function with a NULL exception, which clears one that is pending.
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


def clear_pending(ident: int) -> None:
    """Drop an exception set in thread `ident` that has not landed yet (its limit just ended)."""
    _clear_async_exc(ident, None)


class Watchdog:
    """One daemon thread that raises `TimeLimitExceeded` in threads whose limit expired.

    The exception is set with `PyThreadState_SetAsyncExc` while `stacks_lock` is held and the
    limit is still active, and the exit of a limit deactivates it and clears a pending
    exception under the same lock, so a limit never fires after its block has ended.
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
        with stacks_lock:
            for gone in set(self._last_fired) - set(stacks):
                del self._last_fired[gone]
            for ident, stack in stacks.items():
                if not stack or is_signal_thread(ident):
                    continue
                expired = due(stack, now)
                if expired is None:
                    wait = min(wait, min(d.ends for d in stack if d.active) - now)
                    continue
                since = now - self._last_fired.get(ident, -math.inf)
                if expired.fired and since < REFIRE_SECONDS:
                    wait = min(wait, REFIRE_SECONDS - since)
                    continue
                if frames is None:
                    frames = sys._current_frames()
                if in_exit(frames.get(ident)):
                    wait = min(wait, 0.005)
                    continue
                expired.fired = True
                self._last_fired[ident] = now
                _set_async_exc(ident, expired.exception_type)
                wait = min(wait, REFIRE_SECONDS)
        return max(wait, 0.001)


#: The one watchdog of the process, started on the first limit it has to enforce.
watchdog = Watchdog()
