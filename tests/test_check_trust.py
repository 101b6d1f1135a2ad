"""check_gradient's verdict can be trusted: its reference is itself checked, jumps are named,
each float width has its own tolerance, every argument is checked, and a test suite that calls
it many times compiles f once.

Expected values are derivatives written by hand here; every reference diffmagic uses must
agree with them or say it cannot be confirmed.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from diffmagic import DiffMagicError
from diffmagic.analysis.check_reference import EXACT, JAX_REVERSE
from diffmagic.api.check import check_gradient
from diffmagic.testing import assert_gradient

W3 = np.array([1.0, 3.0, -2.0])


# -- the reference is checked against NumPy's own f --------------------------------------------


def reads_its_type(w):
    """f(w) = sum(w**2) for numbers; a type branch makes SymPy's symbols see sum(w**3)."""
    return np.sum(w**3) if w.dtype == object else np.sum(w**2)


def test_a_reference_that_computes_another_f_is_not_trusted():
    right = check_gradient(reads_its_type, lambda w: 2 * w, W3)
    assert right.passed, right.table()
    wrong = check_gradient(reads_its_type, lambda w: 3 * w**2, W3)
    assert wrong.status == "wrong"
    assert sorted(wrong.wrong.tolist()) == [0, 1, 2] and wrong.worst == 1


def branches_on_element_type(w):
    """JAX cannot follow the object array; SymPy can, and takes the other branch."""
    w = np.asarray(w, dtype=object)
    if isinstance(w[0], float | np.floating):
        return np.sum(w**2)
    return np.sum(w**3)


def test_sympy_reading_f_differently_is_refused_as_the_reference():
    wrong = check_gradient(branches_on_element_type, lambda w: 3 * w**2, W3)
    assert wrong.status == "wrong", wrong.table()
    assert wrong.reference_name != EXACT
    assert "SymPy reads f differently from NumPy" in wrong.table()
    right = check_gradient(branches_on_element_type, lambda w: 2 * w, W3)
    assert right.passed, right.table()


def python_floats_at_1e12(w):
    return 1e12 + float(w[0]) ** 2 + float(w[1]) ** 2


@pytest.mark.parametrize("yours", [lambda w: 0 * w, lambda w: 2 * w], ids=["zero", "right"])
def test_central_differences_that_lose_every_digit_give_no_verdict(yours):
    # Neither SymPy nor JAX can follow float(); central differences of 1e12 + ... are [0, 0]
    # by round-off. Nothing confirms them: no verdict, neither pass nor "wrong".
    check = check_gradient(python_floats_at_1e12, yours, np.array([0.5, 1.5]))
    assert check.status == "failed" and not check.passed, check.table()
    assert check.wrong.size == 0
    assert "could not be confirmed" in check.summary()
    assert "loses its digits to round-off" in check.reason


def test_an_unconfirmed_check_fails_assert_gradient():
    with pytest.raises(AssertionError) as caught:
        assert_gradient(python_floats_at_1e12, lambda w: 0 * w, np.array([0.5, 1.5]))
    assert "NO VERDICT" in str(caught.value)


# -- jumps --------------------------------------------------------------------------------------


def floor_sum(w):
    return np.sum(np.floor(w))


def floor_sum_of_floats(w):
    return sum(math.floor(float(v)) for v in w)  # neither JAX nor SymPy follows it


@pytest.mark.parametrize("f", [floor_sum, floor_sum_of_floats], ids=["numpy", "python"])
def test_a_jump_is_named_as_a_jump_not_judged_as_a_kink(f):
    check = check_gradient(f, lambda w: 0 * w, np.array([1.0, 2.5]))
    assert check.status == "failed" and not check.passed, check.table()
    assert [jump.index for jump in check.jumps] == [0]
    assert "f jumps at w[0]" in check.summary()
    assert "no derivative exists" in check.table()
    assert not len(check.kinks) and "one-sided differences alone" not in check.table()
    assert (check.jumps[0].left_change, check.jumps[0].right_change) == (-1.0, 0.0)


def test_floor_between_its_jumps_has_derivative_zero():
    # Off the integers f is flat: derivative 0, and a gradient of 1 there is wrong.
    check = check_gradient(floor_sum, lambda w: np.array([0.0, 1.0]), np.array([1.5, 2.5]))
    assert not check.jumps
    assert check.status != "ok"


# -- float widths ------------------------------------------------------------------------------


def square(w):
    return np.sum(w**2) + np.sum(w) ** 2


def square_grad(w):
    return 2 * w + 2 * np.sum(w)


W_WIDTH = np.array([0.3, -1.7, 2.9, 0.05])


def test_a_float16_gradient_is_judged_as_float16():
    check = check_gradient(square, lambda w: square_grad(w).astype(np.float16), W_WIDTH)
    assert check.passed, check.table()
    assert check.precision == "float16" and check.rtol == pytest.approx(1e-2)
    assert "float16 (your gradient is float16)" in check.tolerance_note
    off = check_gradient(square, lambda w: (1.05 * square_grad(w)).astype(np.float16), W_WIDTH)
    assert off.status == "wrong"


def test_a_float32_gradient_is_still_judged_as_float32():
    off = check_gradient(square, lambda w: (1.001 * square_grad(w)).astype(np.float32), W_WIDTH)
    assert off.precision == "float32" and off.status == "wrong"


# -- arguments, each refused in one line before f is called ------------------------------------


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"rtol": "1e-3"}, "rtol must be a number"),
        ({"rtol": 2.0}, "rtol must be between 0 and 1"),
        ({"atol": -1.0}, "atol must be zero or positive"),
        ({"atol": float("nan")}, "atol must be a finite number"),
        ({"mode": "fast"}, "mode is 'full' or 'directions'"),
        ({"directions": 10**7}, "directions must be from 1 to 1,000"),
        ({"directions": 2.5}, "directions must be a whole number"),
        ({"seed": "x"}, "seed must be a whole number"),
        ({"time_limit": 0}, "time_limit must be more than 0 seconds"),
    ],
)
def test_every_argument_is_checked_in_one_line_before_any_work(options, fragment):
    calls = []

    def f(w):
        calls.append(1)
        return np.sum(w**2)

    with pytest.raises(DiffMagicError) as caught:
        check_gradient(f, lambda w: 2 * w, W3, **options)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
    assert calls == []


def test_directions_that_would_not_fit_in_memory_are_refused():
    with pytest.raises(DiffMagicError, match="GiB: ask for fewer directions"):
        check_gradient(square, square_grad, np.zeros(200_000), mode="directions", directions=500)


# -- the user's code runs under a limit, its printing held back ---------------------------------


def test_f_that_sleeps_is_stopped_at_the_time_limit_with_a_reason():
    def sleepy(w):
        time.sleep(3)  # outlasts the limit and its grace: abandoned, not awaited
        return np.sum(w**2)

    with pytest.raises(DiffMagicError) as caught:
        check_gradient(sleepy, lambda w: 2 * w, W3, time_limit=0.3)
    assert "sleepy took longer than 0.3 s (the check's time limit" in str(caught.value)


def test_what_f_prints_is_held_back_and_counted(capsys):
    def chatty(w):
        print("loss", w)
        return np.sum(w**2)

    check = check_gradient(chatty, lambda w: 2 * w, W3)
    assert check.passed
    assert capsys.readouterr().out == ""
    assert any("chatty printed" in note for note in check.notes)


# -- compiled once, reused ----------------------------------------------------------------------

DATA = np.arange(6.0).reshape(2, 3) / 7


def data_loss(w):
    return np.sum(np.tanh(DATA @ w) ** 2)


def data_grad(w):
    t = np.tanh(DATA @ w)
    return DATA.T @ (2 * t * (1 - t**2))


def test_a_compiled_check_is_reused_on_the_second_call(monkeypatch):
    from diffmagic.running.compiled_checks import STATS

    assert_gradient(data_loss, data_grad, W3)
    traced = STATS.traces
    for _ in range(3):
        assert_gradient(data_loss, data_grad, W3 + 0.5)  # another point, same f and shapes
    assert STATS.traces == traced
    # The data f reads changed: a new key, traced anew (never a stale program by id).
    monkeypatch.setitem(globals(), "DATA", DATA + 1.0)
    assert_gradient(data_loss, data_grad, W3)
    assert STATS.traces > traced


def test_clear_cache_forgets_the_compiled_checks_too():
    import diffmagic
    from diffmagic.running.compiled_checks import PROGRAMS, STATS

    assert_gradient(data_loss, data_grad, W3)
    assert len(PROGRAMS._entries) > 0
    diffmagic.clear_cache()
    assert len(PROGRAMS._entries) == 0
    traced = STATS.traces
    assert_gradient(data_loss, data_grad, W3)  # same f and shapes: compiled again
    assert STATS.traces > traced


def test_jax_own_custom_rules_do_not_exclude_jax():
    import jax

    def loss(w):
        return jax.numpy.sum(jax.nn.relu(w) ** 2)

    check = check_gradient(loss, lambda w: 2 * np.maximum(w, 0), W3)
    assert check.passed and check.reference_name == JAX_REVERSE, check.table()


# -- relu's subgradient and planted bugs at many parameters -------------------------------------


def relu_loss_of(X, y):
    def loss(w):
        return np.sum((X @ w - y) ** 2) + 0.5 * np.sum(np.maximum(w, 0))

    def grad(w):
        return 2 * X.T @ (X @ w - y) + 0.5 * (w > 0)

    return loss, grad


def _relu_case(n):
    rng = np.random.default_rng(n)
    X, y = rng.normal(size=(10, n)) / np.sqrt(n), rng.normal(size=10)
    w = rng.normal(size=n)
    w[rng.choice(n, size=n // 10, replace=False)] = 0.0
    return (*relu_loss_of(X, y), w)


def test_relus_valid_subgradient_passes_at_2000_parameters():
    loss, grad, w = _relu_case(2_000)
    check = check_gradient(loss, grad, w)
    assert check.passed, check.table()
    assert check.mode == "full" and len(check.kinks) == 200
    assert np.all(check.kinks.passed)
    assert (check.kinks[0].left, check.kinks[0].right) == pytest.approx(
        (grad(w)[check.kinks[0].index], grad(w)[check.kinks[0].index] + 0.5)
    )


@pytest.mark.slow
def test_relus_subgradient_and_planted_bugs_at_100000_parameters():
    loss, grad, w = _relu_case(100_000)
    check = check_gradient(loss, grad, w)
    assert check.passed, check.table()
    assert len(check.kinks) == 10_000
    right = grad(w)
    j = int(np.argmax(np.abs(right) * (w != 0)))

    def off(w):
        g = grad(w)
        g[j] *= 1 + 1e-3
        return g

    assert check_gradient(loss, off, w).wrong.tolist() == [j]
    sign = check_gradient(loss, lambda w: -grad(w), w)
    assert sign.status == "wrong" and sign.worst == j
    # An L1 penalty whose gradient, written w / |w|, is NaN at each of its kinks.
    l1 = check_gradient(
        lambda w: loss(w) - 0.5 * np.sum(np.maximum(w, 0)) + 0.5 * np.sum(np.abs(w)),
        lambda w: grad(w) - 0.5 * (w > 0) + 0.5 * w / np.abs(w),
        w,
    )
    assert l1.status == "wrong" and set(l1.wrong.tolist()) == set(np.flatnonzero(w == 0))


# -- kinks read from JAX's gradients beside the point, and what is not a kink -----------------


@pytest.mark.parametrize(
    ("f", "grad", "at"),
    [
        (lambda w: np.sum(w**2), lambda w: 2 * w, np.zeros(3)),
        (lambda w: np.sum(np.sin(1e6 * w)), lambda w: 1e6 * np.cos(1e6 * w), np.array([0.3, 0.7])),
    ],
    ids=["square at its minimum", "fast sine"],
)
def test_a_gradient_that_changes_fast_is_not_a_kink(f, grad, at):
    check = check_gradient(f, grad, at)
    assert check.passed, check.table()
    assert not len(check.kinks)


def test_a_kink_shared_by_all_coordinates_is_probed_coordinate_by_coordinate():
    # |w| at 0: along each axis the slopes are -1 and 1 (JAX's gradients beside the point,
    # moving all coordinates at once, would say -1/sqrt(3) and 1/sqrt(3)).
    def norm(w):
        return np.linalg.norm(w)

    inside = check_gradient(norm, lambda w: np.array([0.8, 0.0, 0.0]), np.zeros(3))
    assert inside.passed, inside.table()
    assert (inside.kinks[0].left, inside.kinks[0].right) == pytest.approx((-1.0, 1.0), abs=1e-6)
    outside = check_gradient(norm, lambda w: np.array([1.5, 0.0, 0.0]), np.zeros(3))
    assert outside.status == "wrong" and outside.wrong.tolist() == [0]
