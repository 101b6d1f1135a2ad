"""One guard for all bounded work: a time limit, and whatever goes wrong turned into a reason.

Every step that runs the learner's code or SymPy (preparing a derivative, evaluating it on the
grid, f's own values, timing, the reference) goes through `guarded`: it either returns the
work's value or a `Failure` whose `reason` is one line a learner can act on. It never lets an
exception of the work out, with three deliberate exceptions: KeyboardInterrupt (the user asked
to stop), the limit of an enclosing block (that block's guard reports it) and the exception
types the caller names in `passthrough` (such as `DiffMagicError`, a misuse to refuse).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from diffmagic import bounds
from diffmagic.explain import MethodFailure, one_line, user_error

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """Work that gave no value: why, in one line, and whether its time limit stopped it."""

    reason: str
    timed_out: bool = False
    #: The name of the exception type the work raised ('' when it timed out).
    error_type: str = ""

    def __bool__(self) -> bool:  # `if not outcome:` reads as "it failed"
        return False

    def __str__(self) -> str:
        return self.reason


def describe_error(
    name: str,
    error: BaseException,
    explain: Callable[[str, BaseException], str] = user_error,
) -> str:
    """`explain(name, error)` as one line, even for an exception whose `str()` fails."""
    if isinstance(error, MethodFailure):
        explain = _as_is
    try:
        return one_line(explain(name, error))
    except Exception:
        return f"{name} raised {_type_name(error)} (its message cannot be shown)"


def _as_is(name: str, error: BaseException) -> str:
    return str(error)


def _type_name(error: BaseException) -> str:
    try:
        return type(error).__name__
    except Exception:  # pragma: no cover - a metaclass that fails on __name__
        return "an exception"


def guarded(
    work: Callable[[], T],
    *,
    seconds: float,
    name: str = "f",
    describe_timeout: Callable[[float], str] | None = None,
    explain: Callable[[str, BaseException], str] = user_error,
    passthrough: tuple[type[BaseException], ...] = (),
) -> T | Failure:
    """`work()` under a limit of `seconds` (infinity: none), or a `Failure` saying why not.

    `name` names the code in the reason ("f raised ZeroDivisionError: ..."); `describe_timeout`
    words a timeout (default: "f took longer than 5 s"); `explain` words an exception (e.g.
    `explain.explain_symbolic`). A `SystemExit` raised by the work is a failure like any other
    (a learner's `sys.exit()` must not end the kernel or the command), a `RecursionError` too.
    """
    limit = bounds.time_limit(seconds)
    try:
        with limit as deadline:
            return work()
    except bounds.TimeLimitExceeded as error:
        if error.deadline is not deadline:
            raise  # an enclosing limit: its own guard reports it
        text = describe_timeout(seconds) if describe_timeout else f"{name} took longer than "
        if not describe_timeout:
            text += f"{seconds:g} s"
        return Failure(one_line(text), timed_out=True)
    except passthrough:
        raise
    except RecursionError:
        return Failure(f"{name} recurses too deeply", error_type="RecursionError")
    except (Exception, SystemExit) as error:
        return Failure(describe_error(name, error, explain), error_type=_type_name(error))
