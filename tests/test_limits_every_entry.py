"""The limits hold at the entries that had none: every call of the learner's code is guarded.

`compare_jacobian`, `partial_derivatives` (each method's derivative at the point),
`gradient_field`, `parameter_study` (make_at and f), a comparison's step study and secants,
and a cell's top-level code: each comes back with a one-line reason when the learner's code
blocks in one C call, called from a thread of its own (where no signal can help).

The tests that block more than once, or start JAX or SciPy's work, are marked slow.
The blocking call is `RELEASE.wait(100)`: one C call (a lock acquire) that no exception raised
between bytecodes interrupts, exactly like `time.sleep(100)`, and that teardown ends, so no
test leaves a thread sleeping into the next one (whose notes would then say, rightly, that a
call still runs). No time is asserted: the join below is a hang guard far above the limit, and
the reasons say what stopped the call (whether a timeout names the learner's function or
diffmagic's step depends on where the waiting caller saw it running, so only the limit and
the fix are asserted where both are possible).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import diffmagic

#: The limit every hostile call gets; the hang guard is far above it.
LIMIT = 0.5
HANG_GUARD_S = LIMIT + 30
#: Ends every blocked call at teardown.
RELEASE = threading.Event()


@pytest.fixture(autouse=True)
def release_blocked_calls() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


def on_a_thread(work: Callable[[], Any]) -> Any:
    """`work()` on a thread of its own: its result, or its exception raised here; a call that
    does not come back within the hang guard fails the test."""
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


def refusal(work: Callable[[], Any]) -> str:
    """The one-line DiffMagicError `work()` raises on a thread of its own."""
    with pytest.raises(diffmagic.DiffMagicError) as raised:
        on_a_thread(work)
    reason = str(raised.value)
    assert "\n" not in reason and "Traceback" not in reason, reason
    return reason


# --- compare_jacobian: method_time_limit, like compare_gradient ------------------------------


def test_compare_jacobian_stops_an_f_blocked_at_the_point() -> None:
    def outputs(w: Any) -> Any:
        RELEASE.wait(100)
        return np.array([w[0] * w[1], w[0]])

    reason = refusal(
        lambda: diffmagic.compare_jacobian(outputs, [1.0, 2.0], method_time_limit=LIMIT)
    )
    assert reason.startswith(f"outputs took longer than {LIMIT:g} s"), reason
    assert "still running in the background" in reason


@pytest.mark.slow
def test_compare_jacobian_stops_a_method_whose_f_blocks_under_jax() -> None:
    def outputs(w: Any) -> Any:
        if type(w).__module__.startswith("jax"):
            RELEASE.wait(100)
        return np.array([w[0] * w[1], np.sin(w[0])])

    table = on_a_thread(
        lambda: diffmagic.compare_jacobian(
            outputs, [1.0, 2.0], methods=["numerical", "reverse"], method_time_limit=LIMIT
        )
    )
    reverse = table.results["reverse"]
    assert not reverse.ok and f"longer than {LIMIT:g} s" in reverse.error, reverse.error
    assert table.results["numerical"].values is not None
    # J = [[w1, w0], [cos w0, 0]] at (1, 2), by hand.
    np.testing.assert_allclose(
        table.results["numerical"].values, [[2.0, 1.0], [np.cos(1.0), 0.0]], atol=1e-7
    )
    assert any("still run" in note for note in table.notes), table.notes


# --- partial derivatives and the gradient field ----------------------------------------------


@pytest.mark.slow
def test_partial_derivatives_stops_a_derivative_that_calls_f_again_at_the_point() -> None:
    """SciPy's derivative at the point calls f on arrays of shape (1, k), which the
    comparison along the line never does: there f blocks."""

    def f(x: Any, y: Any) -> Any:
        if np.ndim(x) == 2 and np.shape(x)[0] == 1:
            RELEASE.wait(100)
        return x**2 * y

    table = on_a_thread(
        lambda: diffmagic.partial_derivatives(
            f,
            {"x": 1.0, "y": 3.0},
            methods=["symbolic", "finite_difference"],
            method_time_limit=LIMIT,
        )
    )
    stopped = [
        why for reasons in table.failures.values() for why in reasons.values() if "longer" in why
    ]
    assert stopped and all(f"longer than {LIMIT:g} s" in why for why in stopped), table.failures
    assert any("still run" in note for note in table.notes), table.notes
    # The symbolic row is untouched: d(x^2 y)/dx = 2xy = 6, d/dy = x^2 = 1.
    symbolic = next(values for label, values in table.by_method.items() if "SymPy" in label)
    assert symbolic == pytest.approx({"x": 6.0, "y": 1.0})


@pytest.mark.slow
def test_gradient_field_stops_an_f_blocked_under_jax() -> None:
    def f(x: Any, y: Any) -> Any:
        RELEASE.wait(100)
        return x * y

    reason = refusal(
        lambda: diffmagic.gradient_field(f, (0.0, 1.0), (0.0, 1.0), method_time_limit=LIMIT)
    )
    assert f"took longer than {LIMIT:g} s" in reason, reason
    assert "raise method_time_limit" in reason


# --- parameter_study: make_at checked and guarded, f guarded ----------------------------------


def test_parameter_study_stops_an_f_blocked_in_one_c_call_within_its_budget() -> None:
    def loss(w: Any) -> Any:
        RELEASE.wait(100)
        return float(np.sum(w**2))

    study = on_a_thread(
        lambda: diffmagic.parameter_study(
            loss, sizes=[10], methods="numerical", time_budget_s=LIMIT, progress=False
        )
    )
    assert any(
        note.startswith("stopped at n = 10: ") and f"took longer than {LIMIT:g} s" in note
        for note in study.notes
    ), study.notes


@pytest.mark.slow
def test_parameter_study_stops_a_make_at_blocked_in_one_c_call() -> None:
    def make_at(n: int) -> Any:
        RELEASE.wait(100)
        return np.ones(n)

    study = on_a_thread(
        lambda: diffmagic.parameter_study(
            lambda w: float(np.sum(w**2)),
            sizes=[10],
            make_at=make_at,
            methods="numerical",
            time_budget_s=LIMIT,
            progress=False,
        )
    )
    assert any(
        note.startswith("stopped at n = 10: make_at") and f"took longer than {LIMIT:g} s" in note
        for note in study.notes
    ), study.notes


@pytest.mark.parametrize(
    ("make_at", "expected"),
    [
        (5, "make_at must be a function of n"),
        (lambda n: np.ones(3), "make_at(10) returns a point of 3 parameters"),
    ],
)
def test_parameter_study_refuses_a_make_at_that_is_no_function_of_n(
    make_at: Any, expected: str
) -> None:
    reason = refusal(
        lambda: diffmagic.parameter_study(
            lambda w: float(np.sum(w**2)),
            sizes=[10],
            make_at=make_at,
            methods="numerical",
            progress=False,
        )
    )
    assert reason.startswith(expected), reason


# --- a comparison's step study and secants call f again ---------------------------------------


@pytest.mark.slow
def test_a_step_study_secants_and_tangents_stop_an_f_that_blocks_after_the_comparison() -> None:
    blocking = threading.Event()

    def f(x: Any) -> Any:
        if blocking.is_set():
            RELEASE.wait(100)
        return x**3

    comparison = diffmagic.compare(f, method_time_limit=LIMIT)
    blocking.set()
    for work in (lambda: comparison.step_study(0.5), lambda: comparison.secants(0.5)):
        reason = refusal(work)
        assert f"took longer than {LIMIT:g} s" in reason, reason
        assert "raise method_time_limit" in reason
    # The figure's tangent at x0 calls f and each row's derivative there: not drawn, and said.
    on_a_thread(lambda: comparison.figure(at=0.5))
    assert any(
        note.startswith("the tangents at 0.5 are not drawn") and "longer than" in note
        for note in comparison.notes
    ), comparison.notes


# --- a cell's top-level code ------------------------------------------------------------------

BLOCKING_CELL = (
    "from test_limits_every_entry import RELEASE\nRELEASE.wait(100)\ndef f(x):\n    return x**2\n"
)
LOOPING_CELL = "while True:\n    pass\ndef f(x):\n    return x**2\n"


@pytest.mark.parametrize(
    "cell",
    [BLOCKING_CELL, pytest.param(LOOPING_CELL, marks=pytest.mark.slow)],
    ids=["blocks", "loops"],
)
def test_a_cell_whose_top_level_blocks_or_loops_is_stopped_and_named(cell: str) -> None:
    reason = refusal(lambda: diffmagic.compare(cell, method_time_limit=LIMIT))
    assert reason.startswith(f"running the cell took longer than {LIMIT:g} s"), reason
    assert "top-level code" in reason


@pytest.mark.slow
def test_every_entry_taking_a_cell_stops_its_top_level_code() -> None:
    at = np.array([1.0, 2.0])
    cell = BLOCKING_CELL.replace("return x**2", "return (x**2).sum()")
    entries = [
        lambda: diffmagic.compare_gradient(cell, at, method_time_limit=LIMIT),
        lambda: diffmagic.compare_jacobian(cell, at, method_time_limit=LIMIT),
        lambda: diffmagic.check_gradient(cell, lambda w: 2 * w, at, time_limit=LIMIT),
        lambda: diffmagic.graph(BLOCKING_CELL, 1.0, time_limit=LIMIT),
    ]
    for entry in entries:
        assert refusal(entry).startswith("running the cell took longer"), entry


@pytest.mark.slow
def test_the_underflow_notes_sympy_work_is_bounded_too(monkeypatch) -> None:
    """After the rows, SymPy reads f and f' once more for where they underflow float64 (an
    expression that swelled in lambdify there once ran for an hour): under SymPy's limit."""
    import diffmagic.analysis.reference as reference

    monkeypatch.setattr(reference, "underflow_notes", lambda *args: RELEASE.wait(100) or [])
    comparison = on_a_thread(
        lambda: diffmagic.compare("x**3", points=11, symbolic_time_limit=LIMIT, cache=False)
    )
    assert comparison["symbolic"].ok
    np.testing.assert_allclose(comparison["symbolic"].values, 3 * comparison.x**2, rtol=1e-12)
