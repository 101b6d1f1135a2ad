"""Every limit holds against any call of the learner's code, on any thread.

A learner's f that blocks in one C call (here `RELEASE.wait(100)`: one lock acquire, which no
exception raised between bytecodes interrupts, exactly like `time.sleep(100)`, and which the
test can end at teardown), an f that blocks only when SymPy (or JAX) traces it, and an f that
swallows every exception around a long loop: `compare`, `compare_gradient`, `check_gradient`
and `graph` each come back with a reason, from the main thread and from another thread, and a
call diffmagic had to leave running is said to be running (in the reason and in
`bounds.still_running()`), never silently.

No time is asserted: a call must come back (the join below is a hang guard, far above any
limit), with the reason that its limit stopped it; counts stand in for durations.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import diffmagic
from diffmagic.errors import DiffMagicError
from diffmagic.inputs.expression import expression_to_function
from diffmagic.limits import bounds

#: The limit every hostile call gets; the hang guard is far above it.
LIMIT = 1.0
HANG_GUARD_S = LIMIT + 30
#: Ends every blocked call at teardown, so no test leaves a thread behind for the next.
RELEASE = threading.Event()
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def release_blocked_calls() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


def _under_sympy(x: Any) -> bool:
    """Whether SymPy, not NumPy or JAX, is calling f (a symbol, or an array of them)."""
    return type(x).__module__.startswith("sympy") or getattr(x, "dtype", None) is np.dtype("O")


def _under_jax(x: Any) -> bool:
    return type(x).__module__.startswith("jax")


def blocks(x: Any) -> Any:
    RELEASE.wait(100)
    return x * 2


def blocks_under_sympy(x: Any) -> Any:
    if _under_sympy(x):
        RELEASE.wait(100)
    return x * 2


def blocks_under_jax(x: Any) -> Any:
    if _under_jax(x):
        RELEASE.wait(100)
    return x * 2


def swallows(x: Any) -> Any:
    total = 0
    try:
        for k in range(10**10):
            total += k
    except BaseException:  # the learner's code under test swallows even the limit
        pass
    return x * 2


def on(where: str, work: Callable[[], Any]) -> Any:
    """`work()` on the main thread or on a thread of its own: its result or its exception."""
    if where == "main":
        assert threading.current_thread() is threading.main_thread()
        return work()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # handed to the test
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)  # a hang guard, not a measurement
    assert not thread.is_alive(), "the call did not return: its limit did not hold"
    if "error" in box:
        raise box["error"]
    return box["value"]


def loss_of(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def loss(w: Any) -> Any:
        return np.sum(f(w))

    return loss


def reasons_of(api: str, f: Callable[[Any], Any]) -> list[str]:
    """What the call says: every row's reason and note, or its one-line refusal."""
    at = np.array([1.0, 2.0])
    try:
        if api == "compare":
            comparison = diffmagic.compare(f, method_time_limit=LIMIT, symbolic_time_limit=LIMIT)
            return [row.error for row in comparison if row.error] + comparison.notes
        if api == "compare_gradient":
            gradient = diffmagic.compare_gradient(
                loss_of(f), at, method_time_limit=LIMIT, symbolic_seconds=LIMIT
            )
            return [row.error for row in gradient.results.values() if row.error] + gradient.notes
        if api == "check_gradient":
            check = diffmagic.check_gradient(
                loss_of(f), lambda w: 2 * np.ones_like(w), at, time_limit=LIMIT
            )
            return list(check.notes)
        drawn = diffmagic.graph(f, 1.0, time_limit=LIMIT)
        return list(drawn.caveats)
    except DiffMagicError as error:
        return [str(error)]


def _stopped(reasons: list[str]) -> list[str]:
    return [reason for reason in reasons if f"longer than {LIMIT:g} s" in reason]


def _assert_left_running_and_said_so(reasons: list[str], api: str, name: str) -> None:
    stopped = _stopped(reasons)
    assert stopped, reasons
    assert any("still running in the background" in reason for reason in stopped), stopped
    # Named as the learner named what diffmagic called: the loss around f for a gradient.
    running = "loss" if api in ("compare_gradient", "check_gradient") else name
    assert any(entry.startswith(running) for entry in bounds.still_running()), (
        bounds.still_running()
    )


CALLS = pytest.mark.parametrize("api", ["compare", "compare_gradient", "check_gradient", "graph"])
WHERE = pytest.mark.parametrize("where", ["main", "thread"])


@pytest.mark.slow
@CALLS
@WHERE
def test_an_f_blocked_in_one_c_call_is_left_running_and_said_so(api: str, where: str) -> None:
    reasons = on(where, lambda: reasons_of(api, blocks))
    _assert_left_running_and_said_so(reasons, api, "blocks")


def test_compare_from_a_thread_comes_back_from_an_f_blocked_in_one_c_call() -> None:
    """The case that hung: one call of f blocked, compare() on a worker thread."""
    reasons = on("thread", lambda: reasons_of("compare", blocks))
    _assert_left_running_and_said_so(reasons, "compare", "blocks")
    rows = [reason for reason in reasons if reason.startswith("not run: blocks took longer")]
    assert len(rows) == 4, reasons  # f is not called again by each method, each waiting 1 s


@pytest.mark.slow
@CALLS
@WHERE
def test_an_f_that_blocks_only_when_traced_is_stopped_there(api: str, where: str) -> None:
    """Under SymPy (its own limit) for compare and compare_gradient, which trace with SymPy;
    under JAX for the graph, which traces with JAX alone, and for check_gradient, whose
    reference is JAX's gradient (SymPy only when JAX and differences disagree)."""
    hostile = blocks_under_jax if api in ("graph", "check_gradient") else blocks_under_sympy
    reasons = on(where, lambda: reasons_of(api, hostile))
    _assert_left_running_and_said_so(reasons, api, hostile.__name__)
    if api in ("compare", "compare_gradient"):
        # Only SymPy's row stops: the methods that call f with numbers or tracers still work.
        assert len([r for r in _stopped(reasons) if "SymPy traced it" in r]) == 1, reasons
        assert not [r for r in _stopped(reasons) if "SymPy" not in r], reasons


@pytest.mark.slow
@CALLS
@WHERE
def test_an_f_that_swallows_the_limit_around_a_long_loop_is_stopped(api: str, where: str) -> None:
    """Stopped, and blamed: the learner's function was running, not a method (nor each
    method in turn, waiting out its own limit on the same f)."""
    reasons = on(where, lambda: reasons_of(api, swallows))
    stopped = _stopped(reasons)
    assert stopped, reasons
    culprit = "loss" if api in ("compare_gradient", "check_gradient") else "swallows"
    # The check may be tracing the loss with JAX (no call of the learner's to see running)
    # when its one limit fires: then it names itself; either way the limit and its fix.
    named = (culprit, "the check") if api == "check_gradient" else (culprit,)
    assert all(any(name in reason for name in named) for reason in stopped), stopped
    if api == "check_gradient":
        assert all("time_limit" in reason for reason in stopped), stopped


# --- the culprit named, the fix given -------------------------------------------------------


@pytest.mark.slow
def test_a_timeout_names_the_function_that_was_running_and_the_fix() -> None:
    comparison = diffmagic.compare(
        blocks_under_sympy, method_time_limit=LIMIT, symbolic_time_limit=LIMIT
    )
    symbolic = comparison["symbolic"].error
    assert symbolic.startswith("blocks_under_sympy took longer than 1 s while SymPy traced it")
    assert "raise symbolic_time_limit" in symbolic

    def dfdx(x: Any) -> Any:
        RELEASE.wait(100)
        return 2 * x

    yours = diffmagic.compare("x**2", yours=dfdx, method_time_limit=LIMIT)["yours"].error
    assert yours.startswith("your derivative dfdx took longer than 1 s")
    assert "raise method_time_limit" in yours

    def grad(w: Any) -> Any:
        RELEASE.wait(100)
        return 2 * w

    with pytest.raises(DiffMagicError, match=r"^grad took longer than 1 s .*raise time_limit"):
        diffmagic.check_gradient(lambda w: np.sum(w**2), grad, np.ones(2), time_limit=LIMIT)


# --- work bounded, not estimated ------------------------------------------------------------


def test_parameter_studys_budget_stops_a_gradient_inside_its_size() -> None:
    """Central differences at n = 2,000 need 4,000 calls of f; a budget of 0.3 s is far
    below them, and is spent inside the first size: the gradient is stopped there."""
    calls = [0]

    def f(w: np.ndarray) -> float:
        calls[0] += 1
        RELEASE.wait(0.002)
        return float(np.sum(w**2))

    study = diffmagic.parameter_study(
        f, sizes=[2000], methods="numerical", time_budget_s=0.3, progress=False
    )
    assert calls[0] < 2 * 2000
    assert any(
        note.startswith("numerical: stopped at n = 2,000") and "budget" in note
        for note in study.notes
    ), study.notes


def test_graph_refuses_a_long_loop_while_jax_traces_it() -> None:
    cell = (
        "import numpy as np\n"
        "def f(x):\n    for _ in range(10**6):\n        x = np.sin(x)\n    return x\n"
    )
    with pytest.raises(DiffMagicError, match="stopped tracing at 10,000"):
        diffmagic.graph(cell, 1.0)


@pytest.mark.slow
def test_expression_tree_of_a_swelling_polynomial_stops_at_its_limit() -> None:
    cell = (
        "def f_polynomial_simple(x):\n    return 2*x**3 - 3*x**2 + 5\n"
        "def f(x):\n    for i in range(15):\n        x = f_polynomial_simple(x)\n    return x\n"
    )
    with pytest.raises(DiffMagicError, match=r"^SymPy took longer than 1 s"):
        diffmagic.expression_tree(cell, time_limit=LIMIT)


@pytest.mark.slow
def test_a_lax_cond_cell_is_batched_so_finite_differences_finish() -> None:
    """jax.lax.cond takes one number, so NumPy's path evaluates f one point at a time; finite
    differences ask for thousands of points, each a JAX call, and ran into their 30 s limit.
    Batched with jax.vmap, f's Python body runs a handful of times (each a trace)."""
    calls = [0]
    import jax

    def f(x: Any) -> Any:
        calls[0] += 1
        return jax.lax.cond(x > 0, lambda x: x**2, lambda x: -x, x)

    comparison = diffmagic.compare(f)
    assert comparison["finite_difference"].ok, comparison["finite_difference"].error
    assert calls[0] < 200  # one call per grid point alone would be 200


# --- arithmetic that no limit can stop is refused before it starts --------------------------


#: Expressions and what is quoted when they are refused (None: they stay allowed, being small
#: whole numbers or floats, which cannot grow).
EXACT_ARITHMETIC = {
    "x + 9**9**9": "9**9**9",
    "x * 2**5000": "2**5000",
    "(3*x)**10**8": "(3*x)**10**8",
    "((10**100)**50) * x": "(10**100)**50",
    "x * 2**1000": None,
    "x + 2.0**10**10": None,
    "x**100000": None,
    "10**-9**9 + x": None,
}


def test_huge_exact_arithmetic_in_an_expression_is_refused_and_the_rest_left_alone() -> None:
    for text, quoted in EXACT_ARITHMETIC.items():
        if quoted is None:
            assert callable(expression_to_function(text)), text
            continue
        with pytest.raises(DiffMagicError, match="whole number of about") as refused:
            expression_to_function(text)
        assert f"`{quoted}`" in str(refused.value), text


@pytest.mark.slow
def test_compare_refuses_a_power_tower_instead_of_hanging() -> None:
    """In a subprocess: a power tower holds the interpreter, so a hang could not be caught
    from inside the process."""
    script = (
        "import diffmagic\n"
        "try:\n    diffmagic.compare('x + 9**9**9')\n"
        "except diffmagic.DiffMagicError as error:\n    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert "9**9**9" in done.stdout and "digits" in done.stdout, done.stdout + done.stderr
