"""The one guard for bounded work: limits that hold on the main thread and on any other thread.

No test measures wall-clock time. Each one proves that the work was stopped (a counter far below
its end, or a timeout where finishing takes minutes) and that the call came back; the only clock
is a hang guard (`join(timeout=...)`), generous enough for a busy machine.
"""

from __future__ import annotations

import gc
import io
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from diffmagic.errors import DiffMagicError
from diffmagic.limits import bounds
from diffmagic.limits.explain import MethodFailure
from diffmagic.limits.guard import Failure, describe_error, guarded
from diffmagic.limits.held_output import captured_output

#: A limit raised where Python can only print it ("Exception ignored in ...") is a lost limit.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

#: Far above any limit below; only reached if the guard failed and the work ran to its end.
HANG_GUARD_S = 60.0
LIMIT_S = 0.5


def give_up_at() -> float:
    """When a loop that the guard should have stopped ends by itself: the test then fails on
    its value ("finished") instead of hanging the suite."""
    return time.monotonic() + HANG_GUARD_S


def on(where: str, work: Callable[[], Any]) -> Any:
    """Run `work` on the main thread (the test's) or on a new thread, and return its result."""
    if where == "main":
        assert threading.current_thread() is threading.main_thread()
        return work()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # the test below asserts on it
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), f"the guarded work still runs after {HANG_GUARD_S:g} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


#: The main thread (SIGALRM) in the inner loop; the watchdog's thread too in CI (each waits
#: for a limit to fire, a second or so).
WHERE = pytest.mark.parametrize("where", ["main", pytest.param("thread", marks=pytest.mark.slow)])


def test_the_limit_is_not_an_exception() -> None:
    """A learner's `except Exception:` must not be able to swallow the limit."""
    assert issubclass(bounds.TimeLimitExceeded, BaseException)
    assert not issubclass(bounds.TimeLimitExceeded, Exception)
    deadline = bounds.Deadline(1.0)
    assert not issubclass(deadline.exception_type, Exception)
    assert deadline.exception_type().deadline is deadline
    assert str(bounds.TimeLimitExceeded(deadline)) == "took longer than 1 s"


@WHERE
def test_a_long_sympy_computation_stops(where: str) -> None:
    import sympy as sp

    x = sp.Symbol("x")
    # Takes well over a minute without a limit (measured: still running after 60 s).
    expression = sum(sp.sin(k * x) ** 2 / (1 + sp.cos(x) ** k) for k in range(1, 40))
    outcome = on(where, lambda: guarded(lambda: sp.simplify(expression), seconds=LIMIT_S))
    assert isinstance(outcome, Failure) and outcome.timed_out
    assert outcome.reason == "f took longer than 0.5 s"


@WHERE
def test_a_function_that_sleeps_in_steps_stops(where: str) -> None:
    steps = [0]

    def f() -> str:
        for _ in range(1000):  # 10 s in all
            time.sleep(0.01)
            steps[0] += 1
        return "finished"

    outcome = on(where, lambda: guarded(f, seconds=LIMIT_S))
    assert isinstance(outcome, Failure) and outcome.timed_out
    assert steps[0] < 700  # stopped far before its end (about 50 steps fit in 0.5 s)


@WHERE
def test_except_exception_around_a_long_loop_still_stops(where: str) -> None:
    def f() -> str:
        give_up = give_up_at()
        try:
            while time.monotonic() < give_up:
                pass
        except Exception:
            pass
        return "finished"

    outcome = on(where, lambda: guarded(f, seconds=LIMIT_S))
    assert isinstance(outcome, Failure) and outcome.timed_out


@pytest.mark.slow
@WHERE
def test_a_limit_due_in_a_garbage_collector_callback_waits_for_it_then_stops_the_work(
    where: str,
) -> None:
    """Python prints what a gc callback raises as "Exception ignored" and goes on: a limit
    fired there would be lost and the callback (Hypothesis's, a profiler's) left half done.
    The limit waits for the callback to end, then stops the work."""
    callback_ended = []

    def slow_callback(phase: str, info: dict) -> None:
        if phase == "start":
            busy_until = time.monotonic() + 2 * LIMIT_S  # the limit falls due in here
            while time.monotonic() < busy_until:
                pass
            callback_ended.append(True)

    def f() -> str:
        gc.callbacks.append(slow_callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(slow_callback)
        give_up = give_up_at()
        while time.monotonic() < give_up:
            pass
        return "finished"

    outcome = on(where, lambda: guarded(f, seconds=LIMIT_S))
    assert callback_ended == [True], "the limit fired inside the gc callback and was lost"
    assert isinstance(outcome, Failure) and outcome.timed_out


@WHERE
def test_a_bare_except_that_swallows_the_limit_is_still_stopped(where: str) -> None:
    """The limit fires again until the block exits, and a swallowed limit is still a timeout:
    the value of work that was interrupted must not be reported."""
    swallowed = [False]

    def f() -> str:
        give_up = give_up_at()
        try:
            while time.monotonic() < give_up:
                pass
        except:  # noqa: E722 - the learner's bare except under test
            swallowed[0] = True
        while time.monotonic() < give_up:  # the limit fires again and stops this loop
            pass
        return "finished"

    outcome = on(where, lambda: guarded(f, seconds=LIMIT_S))
    assert isinstance(outcome, Failure) and outcome.timed_out
    assert swallowed[0]


@WHERE
def test_work_that_swallowed_the_limit_and_returned_is_not_a_value(where: str) -> None:
    def f() -> str:
        give_up = give_up_at()
        try:
            while time.monotonic() < give_up:
                pass
        except:  # noqa: E722
            return "a value computed from interrupted work"
        return "finished"

    outcome = on(where, lambda: guarded(f, seconds=LIMIT_S))
    assert isinstance(outcome, Failure) and outcome.timed_out


@WHERE
def test_an_inner_limit_never_extends_an_outer_one(where: str) -> None:
    def nested() -> tuple[Any, Any]:
        with (
            pytest.raises(bounds.TimeLimitExceeded) as caught,
            bounds.time_limit(0.5) as outer,
            bounds.time_limit(HANG_GUARD_S),
        ):
            _spin_until(give_up_at())
        return caught.value.deadline, outer

    fired, outer = on(where, nested)
    assert fired is outer


@WHERE
def test_an_inner_limit_fires_as_itself_and_the_outer_goes_on(where: str) -> None:
    def nested() -> tuple[Any, Any, bool]:
        with bounds.time_limit(HANG_GUARD_S):
            with pytest.raises(bounds.TimeLimitExceeded) as caught, bounds.time_limit(0.3) as inner:
                _spin_until(give_up_at())
            time.sleep(0.3)  # the outer limit is still armed, and has not fired
            outer_still_works = True
        return caught.value.deadline, inner, outer_still_works

    fired, inner, outer_still_works = on(where, nested)
    assert fired is inner and outer_still_works


@WHERE
def test_no_limit_fires_after_its_block(where: str) -> None:
    """Many limits that expire just as their work ends: nothing escapes `guarded`, and nothing
    fires afterwards in code that has no limit."""

    def many() -> list[Any]:
        outcomes = []
        for index in range(200):
            stop = time.monotonic() + 0.001 * (index % 3)
            outcomes.append(
                guarded(lambda stop=stop: _spin_until(stop), seconds=0.001 + 0.0005 * (index % 4))
            )
        time.sleep(3 * bounds.REFIRE_SECONDS)  # a stray re-fire would land here
        return outcomes

    outcomes = on(where, many)
    assert len(outcomes) == 200
    assert all(o == "spun" or (isinstance(o, Failure) and o.timed_out) for o in outcomes)


def _spin_until(stop: float) -> str:
    while time.monotonic() < stop:
        pass
    return "spun"


def test_infinity_means_no_limit_and_bad_limits_are_refused() -> None:
    assert guarded(lambda: 42, seconds=float("inf")) == 42
    for bad in (0, -1, float("nan"), "soon", None, True):
        with pytest.raises(DiffMagicError, match="seconds"):
            bounds.time_limit(bad)  # type: ignore[arg-type]


# --- turning what the work raises into one line --------------------------------------------


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("str() fails too")


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ZeroDivisionError("division by zero"), "f raised ZeroDivisionError: division by zero"),
        (SystemExit(3), "f raised SystemExit: 3"),
        (_Unprintable(), "f raised _Unprintable: <_Unprintable whose message cannot be shown>"),
        (MethodFailure("SymPy cannot trace f"), "SymPy cannot trace f"),
        (RecursionError("deep"), "f recurses too deeply"),
        (ValueError("first line\nsecond line"), "f raised ValueError: first line"),
    ],
)
def test_whatever_the_work_raises_becomes_one_line(raised: BaseException, expected: str) -> None:
    def f() -> None:
        raise raised

    outcome = guarded(f, seconds=5)
    assert isinstance(outcome, Failure) and not outcome.timed_out
    assert outcome.reason.startswith(expected)
    assert "\n" not in outcome.reason
    assert not outcome


def test_keyboard_interrupt_and_passthrough_are_not_swallowed() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    def misuse() -> None:
        raise DiffMagicError("points must be at least 2")

    with pytest.raises(KeyboardInterrupt):
        guarded(interrupted, seconds=5)
    with pytest.raises(DiffMagicError):
        guarded(misuse, seconds=5, passthrough=(DiffMagicError,))


def test_describe_error_survives_an_explainer_that_fails() -> None:
    def explainer(name: str, error: BaseException) -> str:
        raise TypeError("the explainer itself breaks")

    assert describe_error("g", KeyError("k"), explainer) == (
        "g raised KeyError (its message cannot be shown)"
    )


def test_a_timeout_can_be_worded_by_the_caller() -> None:
    outcome = guarded(
        lambda: _spin_until(give_up_at()),
        seconds=0.2,
        describe_timeout=lambda s: f"symbolic: SymPy took longer than {s:g} s",
    )
    assert isinstance(outcome, Failure) and outcome.reason.endswith("than 0.2 s")


# --- heavy imports happen before a limit is armed ------------------------------------------


def test_import_heavy_is_cached_and_imports_the_heavy_modules() -> None:
    assert bounds.import_heavy() == ()
    assert bounds.import_heavy() is bounds.import_heavy()
    for name in ("sympy", "mpmath", "scipy.differentiate", "numdifftools", "jax"):
        assert name in sys.modules


@pytest.mark.slow
def test_a_tiny_first_limit_leaves_no_module_half_imported() -> None:
    """In a fresh interpreter, the first limit (1 ms) is armed only after SymPy is imported."""
    script = (
        "from diffmagic.limits.guard import guarded\n"
        "guarded(lambda: __import__('sympy').simplify('sin(x)**2 + cos(x)**2'), seconds=0.001)\n"
        "import sympy\n"
        "print(sympy.logic.And, sympy.simplify('sin(x)**2 + cos(x)**2'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["And", "1"]


# --- output held back per thread -----------------------------------------------------------


def test_two_threads_capturing_at_once_leave_the_streams_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    both_capturing = threading.Barrier(3, timeout=HANG_GUARD_S)
    both_printed = threading.Barrier(3, timeout=HANG_GUARD_S)
    counts: dict[str, tuple[int, list[str]]] = {}

    def learner(name: str, lines: int, leave_first: bool) -> None:
        with captured_output() as printed:
            both_capturing.wait()
            for index in range(lines):
                print(f"{name} {index}")
            print("to stderr", file=sys.stderr)
            both_printed.wait()
            if not leave_first:
                time.sleep(0.05)  # the two blocks end in the other order than they began
        counts[name] = (printed.lines, printed.kept)

    threads = [
        threading.Thread(target=learner, args=("a", 4, True)),
        threading.Thread(target=learner, args=("b", 7, False)),
    ]
    for thread in threads:
        thread.start()
    both_capturing.wait()
    print("main thread, not capturing")  # goes to the real stream, not to a counter
    both_printed.wait()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert sys.stdout is stdout and sys.stderr is stderr
    assert counts["a"] == (5, ["a 0", "a 1", "a 2"])
    assert counts["b"] == (8, ["b 0", "b 1", "b 2"])
    assert stdout.getvalue() == "main thread, not capturing\n"
    assert stderr.getvalue() == ""


def test_captured_output_restores_the_streams_after_an_error_and_nests() -> None:
    before = sys.stdout, sys.stderr
    with pytest.raises(ZeroDivisionError), captured_output() as outer:
        print("outer")
        with captured_output() as inner:
            print("inner")
        print("outer again")
        1 / 0  # noqa: B018
    assert (sys.stdout, sys.stderr) == before
    assert (outer.lines, inner.lines) == (2, 1)


# --- points of any sensible type ------------------------------------------------------------


def test_check_points_takes_numpy_integers_and_whole_floats() -> None:
    import numpy as np

    assert bounds.check_points(np.int64(50)) == 50
    assert bounds.check_points(np.int32(50)) == 50
    assert bounds.check_points(50.0) == 50
    assert bounds.check_points(np.float64(50.0)) == 50
    for bad in ("50", 50.5, True, None, [50], float("inf"), float("nan")):
        with pytest.raises(DiffMagicError, match="whole number"):
            bounds.check_points(bad)
    with pytest.raises(DiffMagicError, match="at least 2"):
        bounds.check_points(np.int64(1))


@WHERE
def test_a_limit_that_fires_while_output_is_held_back_restores_the_streams(where: str) -> None:
    before = sys.stdout, sys.stderr

    def f() -> str:
        give_up = give_up_at()
        with captured_output():
            while time.monotonic() < give_up:
                print("a learner's print in a loop")
        return "finished"

    for _ in range(5):
        outcome = on(where, lambda: guarded(f, seconds=0.2))
        assert isinstance(outcome, Failure) and outcome.timed_out
        assert (sys.stdout, sys.stderr) == before


# --- the work runs on a worker thread: the limit holds whatever it does ----------------------


@WHERE
def test_work_blocked_in_one_c_call_is_left_running_and_listed(where: str) -> None:
    """A lock's wait (like time.sleep) is one C call that no exception raised between
    bytecodes interrupts: the caller stops waiting, says so, and lists the call until it ends."""
    release = threading.Event()
    try:
        outcome = on(where, lambda: guarded(lambda: release.wait(60), seconds=LIMIT_S, name="g"))
        assert isinstance(outcome, Failure) and outcome.timed_out and outcome.abandoned
        assert outcome.reason == (
            "g took longer than 0.5 s: stopped waiting; the call is still running in the background"
        )
        assert any(entry.startswith("g (for ") for entry in bounds.still_running())
    finally:
        release.set()
    ended = give_up_at()
    while bounds.still_running() and time.monotonic() < ended:
        time.sleep(0.01)
    assert bounds.still_running() == []


def test_what_the_caller_set_moves_with_the_work_to_its_thread() -> None:
    """JAX's float64 and SymPy's evaluate(False) are thread-local, np.errstate a context
    variable: the work sees the caller's, as it would on the caller's own thread."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import sympy as sp

    def inside() -> tuple[Any, ...]:
        x = sp.Symbol("x")
        return (
            str(jnp.ones(1).dtype),
            np.geterr()["divide"],
            sp.Add(x, x, evaluate=None) == 2 * x,
            threading.current_thread() is not threading.main_thread(),
        )

    with jax.enable_x64(True), np.errstate(divide="raise"), sp.evaluate(False):
        dtype, divide, evaluated, elsewhere = guarded(inside, seconds=5)
    assert (dtype, divide, evaluated, elsewhere) == ("float64", "raise", False, True)


def test_what_the_work_prints_on_its_thread_is_held_by_the_callers_capture(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def noisy() -> bool:
        for index in range(5):
            print(f"line {index}")
        return threading.current_thread() is not threading.main_thread()

    with captured_output() as printed:
        assert guarded(noisy, seconds=5) is True  # printed on the worker's thread
    assert printed.lines == 5 and printed.kept == ["line 0", "line 1", "line 2"]
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_keyboard_interrupt_while_waiting_stops_the_work_and_goes_on_up() -> None:
    import os
    import signal

    steps = [0]

    def work() -> str:
        give_up = give_up_at()
        while time.monotonic() < give_up:
            steps[0] += 1
        return "finished"

    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        guarded(work, seconds=HANG_GUARD_S)
    counted = steps[0]
    time.sleep(0.2)
    assert steps[0] == counted  # the worker was stopped too
    assert bounds.still_running() == []


@WHERE
def test_an_outer_limit_stops_the_inner_guards_work_and_says_it_still_runs(where: str) -> None:
    release = threading.Event()

    def outer_work() -> Any:
        return guarded(lambda: release.wait(60), seconds=HANG_GUARD_S, name="inner")

    try:
        outcome = on(where, lambda: guarded(outer_work, seconds=LIMIT_S, name="outer"))
        assert isinstance(outcome, Failure) and outcome.timed_out and outcome.abandoned
        assert outcome.reason.endswith("the call is still running in the background")
    finally:
        release.set()


@pytest.mark.slow
def test_a_timeout_blames_the_learners_function_only_for_one_long_call() -> None:
    """One call of f that runs through the limit is f's fault; a library's loop (here a deque
    draining an endless map in C) that calls a quick f again and again is the loop's."""
    import collections
    import functools
    import itertools

    release = threading.Event()

    def blocks_once() -> None:
        release.wait(60)

    def quick(_: int) -> None:
        time.sleep(0.001)

    library_loop = functools.partial(collections.deque, map(quick, itertools.count()), 0)
    worded = {"describe_timeout": lambda s: "the loop", "describe_user_timeout": lambda s, c: c}
    try:
        assert guarded(blocks_once, seconds=LIMIT_S, **worded).reason.startswith("blocks_once")
    finally:
        release.set()
    assert guarded(library_loop, seconds=LIMIT_S, **worded).reason == "the loop"


def test_a_thread_that_profiles_still_runs_after_a_limit_fired_on_another() -> None:
    """Clearing a pending limit with PyThreadState_SetAsyncExc(id, NULL) leaves CPython
    3.11's eval breaker set, and the next thread with a profile function (a debugger,
    coverage, the graph's step counter) spun forever at its first call."""

    def spin() -> str:
        return _spin_until(give_up_at())

    on("thread", lambda: guarded(spin, seconds=0.2))
    ran = []

    def two() -> int:  # a Python function: its call is where the spinning thread stuck
        return 2

    def profiled() -> None:
        sys.setprofile(lambda *args: None)
        try:
            ran.append(two())
        finally:
            sys.setprofile(None)

    thread = threading.Thread(target=profiled, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S / 4)
    assert ran == [2]
