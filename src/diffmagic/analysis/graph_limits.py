"""The graph's trace of f under the one guard: a time limit, and a size limit while it traces.

`trace_program` calls the learner's f (JAX traces it), so it runs under `guard.guarded` like
every call of user code: the limit holds whatever f does. A Python loop of a million steps is
not slow per step, it is long: JAX would record every step (31 s and about 1 GB for 10^6)
before the graph refused it for having more than `MAX_EQUATIONS`. So the steps are counted as
JAX records them (a profile hook on this thread alone, on JAX's `Primitive.bind`, which records
one step each) and the trace is refused as soon as it passes twice what the graph could draw.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from diffmagic.analysis.graph_trace import MAX_EQUATIONS, Program, trace_program
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.target import Target
from diffmagic.limits.guard import Failure, guarded

#: Steps recorded while tracing before the trace is refused (inlined helpers can only add
#: steps, so this refuses nothing the graph would have drawn).
MAX_TRACED_STEPS = 2 * MAX_EQUATIONS


class _TooManySteps(BaseException):
    """Raised inside the trace from the profile hook; becomes the one-line refusal. Not an
    `Exception`: neither JAX nor `trace_program` may turn it into another error."""


def trace_within(
    target: Target, x0: float, seconds: float, fix: str = "raise time_limit to wait longer"
) -> tuple[Any, Program]:
    """`trace_program(target, x0)` within `seconds` and `MAX_TRACED_STEPS`; a one-line
    DiffMagicError when f runs too long, records too many steps, or fails."""

    def counted() -> tuple[Any, Program]:
        previous = sys.getprofile()
        sys.setprofile(_step_counter(MAX_TRACED_STEPS))
        try:
            return trace_program(target, x0)
        except _TooManySteps:
            raise DiffMagicError(
                f"{target.name}'s JAX program has more than {MAX_EQUATIONS:,} steps (stopped "
                f"tracing at {MAX_TRACED_STEPS:,}): too many to draw; try a smaller loop"
            ) from None
        finally:
            sys.setprofile(previous)

    outcome = guarded(
        counted,
        seconds=seconds,
        name=target.name,
        describe_timeout=lambda limit: (
            f"tracing {target.name} with JAX took longer than {limit:g} s; {fix}"
        ),
        describe_user_timeout=lambda limit, culprit: (
            f"{culprit} took longer than {limit:g} s while JAX traced it (does it sleep or "
            f"loop?); {fix}"
        ),
        passthrough=(DiffMagicError,),
    )
    if isinstance(outcome, Failure):
        raise DiffMagicError(outcome.reason)
    return outcome  # type: ignore[return-value]


def _step_counter(limit: int) -> Callable[[FrameType, str, Any], None] | None:
    """A profile function that counts JAX's `Primitive.bind` calls and stops past `limit`
    (None where this JAX has no such Python function: then only the time limit holds)."""
    try:
        from jax._src.core import Primitive

        bind = Primitive.bind.__code__
    except (ImportError, AttributeError):
        return None
    count = [0]

    def on_call(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is bind:
            count[0] += 1
            if count[0] > limit:
                raise _TooManySteps

    return on_call
