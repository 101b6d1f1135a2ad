"""One guard for all bounded work: a time limit, and whatever goes wrong turned into a reason.

Every step that runs the learner's code or SymPy (preparing a derivative, evaluating it on the
grid, f's own values, timing, the reference) goes through `guarded`: it either returns the
work's value or a `Failure` whose `reason` is one line a learner can act on. It never lets an
exception of the work out, with three deliberate exceptions: KeyboardInterrupt (the user asked
to stop), the limit of an enclosing block (that block's guard reports it) and the exception
types the caller names in `passthrough` (such as `DiffMagicError`, a misuse to refuse).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from diffmagic.errors import DiffMagicError
from diffmagic.limits import bounds, internal, worker
from diffmagic.limits.explain import MethodFailure, one_line, user_error
from diffmagic.limits.held_output import captured_output

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """Work that gave no value: why, in one line, and whether its time limit stopped it."""

    reason: str
    timed_out: bool = False
    #: The name of the exception type the work raised ('' when it timed out).
    error_type: str = ""
    #: The work did not stop within its grace after the limit: it still runs in the background.
    abandoned: bool = False

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
    describe_user_timeout: Callable[[float, str], str] | None = None,
    named: Mapping[str, Any] | None = None,
) -> T | Failure:
    """`work()` under a limit of `seconds` (infinity: none), or a `Failure` saying why not.

    The limit holds whatever the work does: it runs on a worker thread that the caller stops
    waiting for (`worker.py` says why and what moves with it). `name` names the code in the
    reason ("f raised ZeroDivisionError: ..."); `describe_timeout` words a timeout (default:
    "f took longer than 5 s"), and `describe_user_timeout(seconds, culprit)` words it when the
    learner's own function `culprit` was running as the limit fired (default:
    `describe_timeout`; `named` names the learner's functions, {"grad": grad}, where their
    code cannot: a lambda). `explain` words an exception (e.g. `explain.explain_symbolic`). A
    `SystemExit` raised by the work is a failure like any other (a learner's `sys.exit()` must
    not end the kernel or the command), a `RecursionError` too.
    """
    seconds = bounds.check_seconds(seconds)
    if math.isinf(seconds):  # no limit: nothing to wait for on another thread
        try:
            return work()
        except passthrough:
            raise
        except (Exception, SystemExit) as error:
            return _failure(name, error, explain)
    call = worker.run(work, seconds, name, named)
    error = call.error
    if isinstance(error, bounds.TimeLimitExceeded) and error.deadline is not call.limit.deadline:
        raise error  # an inner block's limit that its own handler did not take
    if call.abandoned or isinstance(error, bounds.TimeLimitExceeded):
        text = _timeout_text(seconds, name, call.culprit, describe_timeout, describe_user_timeout)
        abandoned = call.abandoned or worker.left_running(call)
        return Failure(text + STILL_RUNNING if abandoned else text, True, abandoned=abandoned)
    if error is None:
        return call.value  # type: ignore[no-any-return]
    if isinstance(error, (*passthrough, KeyboardInterrupt)) or not isinstance(
        error, Exception | SystemExit
    ):
        raise error
    return _failure(name, error, explain)


#: Added to a timeout's reason when the work did not stop within its grace.
STILL_RUNNING = ": stopped waiting; the call is still running in the background"


def _timeout_text(
    seconds: float,
    name: str,
    culprit: str | None,
    describe_timeout: Callable[[float], str] | None,
    describe_user_timeout: Callable[[float, str], str] | None,
) -> str:
    if culprit is not None and describe_user_timeout is not None:
        text = describe_user_timeout(seconds, _as_named(culprit, name))
    elif describe_timeout is not None:
        text = describe_timeout(seconds)
    else:
        text = f"{name} took longer than {seconds:g} s"
    return one_line(text)


def _as_named(culprit: str, name: str) -> str:
    """The learner's function as a reason names it: its own name, or `name` for a lambda."""
    return name if culprit.startswith("<") else culprit


def _failure(
    name: str, error: BaseException, explain: Callable[[str, BaseException], str]
) -> Failure:
    if isinstance(error, RecursionError):
        return Failure(f"{name} recurses too deeply", error_type="RecursionError")
    if internal.is_internal(error):  # diffmagic's own bug: never the learner's reason
        if internal.debugging():
            raise error
        return Failure(internal.internal_reason(error), error_type=_type_name(error))
    return Failure(describe_error(name, error, explain), error_type=_type_name(error))


def still_running_note() -> list[str]:
    """A note for any result made while calls diffmagic stopped waiting for still run: they
    keep their CPU and memory until the C call they are in returns."""
    running = bounds.still_running()
    if not running:
        return []
    shown = ", ".join(running[:3]) + (f" and {len(running) - 3} more" if len(running) > 3 else "")
    return [
        f"{len(running)} call{'s' if len(running) > 1 else ''} that diffmagic stopped waiting for "
        f"still run{'s' if len(running) == 1 else ''} in the background ({shown}): "
        "each ends when the call it is stuck in returns; restart the kernel to stop them now"
    ]


def guarded_entry(
    work: Callable[[], T],
    *,
    seconds: float,
    fix: str,
    name: str = "f",
    what: str = "diffmagic",
    named: Mapping[str, Any] | None = None,
) -> tuple[T, list[str]]:
    """A front door's whole work (a check, a graph) under the one guard, with what the
    learner's code prints held back: (its value, the notes to add to the result: lines
    printed, calls still running in the background). A failure or a timeout is raised as a
    one-line `DiffMagicError` naming the culprit and, for a timeout, the `fix` ("raise
    time_limit"); `what` names diffmagic's own work in it ("the check")."""
    with captured_output() as printed:
        outcome = guarded(
            work,
            seconds=seconds,
            name=name,
            describe_timeout=lambda limit: f"{what} took longer than {limit:g} s; {fix}",
            describe_user_timeout=lambda limit, culprit: (
                f"{culprit} took longer than {limit:g} s (does it sleep or loop?); {fix}"
            ),
            passthrough=(DiffMagicError,),
            named=named,
        )
    if isinstance(outcome, Failure):
        raise DiffMagicError(outcome.reason)
    notes = still_running_note()
    if printed.lines:
        notes.insert(
            0,
            f"{name} printed {printed.lines:,} lines while diffmagic ran it (not shown; the "
            f"first: {'; '.join(printed.kept)[:80]})",
        )
    return outcome, notes
