"""Limits that keep a learner's cell from hanging the kernel or eating the machine.

The sizes and default seconds live here; the rest of the package reads every limit through
this module (`bounds.time_limit`, `bounds.check_points`, ...). Each mechanism has a module of
its own, because each has its own reason to be:

* `time_limits`: `time_limit(seconds)`, the context manager that arms and disarms a limit,
  nests limits, and ends a block that swallowed its limit as the limit would have.
* `alarm`: SIGALRM on the main thread of a POSIX process; the signal also cuts a blocking
  system call short (a `time.sleep(60)` stops at once).
* `watchdog`: a daemon thread that raises the limit with `PyThreadState_SetAsyncExc` on any
  other thread, and on Windows; it lands between bytecodes, so one long C call runs to its end.
* `deadline`: what both share: the `Deadline`, `TimeLimitExceeded` (a `BaseException`, so a
  learner's `except Exception:` cannot swallow it) and each thread's stack of limits.
* `limit_checks`: the number of points and of seconds a caller asks for, refused in one line.
"""

from __future__ import annotations

from diffmagic.deadline import REFIRE_SECONDS, Deadline, TimeLimitExceeded, never_fire_in
from diffmagic.limit_checks import MAX_POINTS, check_points, check_seconds
from diffmagic.time_limits import HEAVY_MODULES, import_heavy, time_limit

__all__ = [
    "HEAVY_MODULES",
    "MAX_ORDER",
    "MAX_POINTS",
    "MAX_SIMPLIFY_OPS",
    "MAX_SYMBOLIC_OPS",
    "MAX_TIMING_POINTS",
    "METHOD_SECONDS",
    "REFIRE_SECONDS",
    "SIMPLIFY_SECONDS",
    "SYMBOLIC_SECONDS",
    "Deadline",
    "TimeLimitExceeded",
    "check_points",
    "check_seconds",
    "import_heavy",
    "never_fire_in",
    "time_limit",
]

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
