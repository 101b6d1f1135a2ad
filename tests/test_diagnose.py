"""describe_mismatch: planted bugs in hand-written derivatives of the lab's functions, described.

Every true derivative here is written by hand; the buggy ones are what a learner writes.
"""

from __future__ import annotations

import numpy as np
import pytest

from diffmagic.analysis.diagnose import describe_mismatch, format_polynomial, nice_number

X = np.linspace(-3, 3, 121)


def d_square(x: np.ndarray) -> np.ndarray:
    return 2 * x


def d_exp_sin(x: np.ndarray) -> np.ndarray:
    return -2 * np.exp(-2 * x) + 9 * np.cos(3 * x)


def p(x: np.ndarray) -> np.ndarray:
    return 2 * x**3 - 3 * x**2 + 5


def dp(x: np.ndarray) -> np.ndarray:
    return 6 * x**2 - 6 * x


#: The lab's composed polynomial p(p(p(x))) is kept on a small domain (it grows like x**27).
XP = np.linspace(-0.6, 1.4, 101)


def d_composed(x: np.ndarray) -> np.ndarray:
    return dp(p(p(x))) * dp(p(x)) * dp(x)


def d_abs(x: np.ndarray) -> np.ndarray:
    # Not defined at 0: NaN there, as the caller marks a kink.
    return np.where(x == 0, np.nan, np.sign(x))


@pytest.mark.parametrize(
    ("true", "x"),
    [(d_square, X), (d_exp_sin, X), (d_composed, XP), (d_abs, np.linspace(-2, 2, 101))],
)
def test_a_correct_derivative_is_ok_everywhere(true, x):
    # Written differently from `true` (expanded), so round-off differs a little.
    if true is d_composed:
        yours = (6 * p(p(x)) ** 2 - 6 * p(p(x))) * (6 * p(x) ** 2 - 6 * p(x)) * 6 * x * (x - 1)
    elif true is d_abs:
        with np.errstate(invalid="ignore"):
            yours = x / np.abs(x)
    else:
        yours = true(x) * (1 + 1e-14)
    diagnosis = describe_mismatch(yours, true(x), x)
    assert diagnosis.ok_everywhere
    assert diagnosis.words is None
    assert diagnosis.wrong_at.size == 0


def test_constant_factor_on_exp_sin():
    diagnosis = describe_mismatch(1.5 * d_exp_sin(X), d_exp_sin(X), X)
    assert not diagnosis.ok_everywhere
    assert diagnosis.kind == "factor"
    assert diagnosis.words == "yours is 1.5 times the true derivative everywhere"
    assert diagnosis.wrong_at.size > 100


def test_power_rule_slip_on_square_is_a_factor():
    # d/dx x**2 written as 3*x: "times 1.5".
    diagnosis = describe_mismatch(3 * X, d_square(X), X)
    assert diagnosis.words == "yours is 1.5 times the true derivative everywhere"
    assert diagnosis.factor == pytest.approx(1.5)


def test_wrong_sign():
    diagnosis = describe_mismatch(-d_exp_sin(X), d_exp_sin(X), X)
    assert diagnosis.kind == "sign"
    assert diagnosis.words == "yours has the wrong sign everywhere"


def test_constant_offset():
    diagnosis = describe_mismatch(2 * X + 2, d_square(X), X)
    assert diagnosis.kind == "offset"
    assert diagnosis.words == "yours is the true derivative + 2 everywhere"
    below = describe_mismatch(d_exp_sin(X) - 0.25, d_exp_sin(X), X)
    assert below.words == "yours is the true derivative - 0.25 everywhere"


def test_missing_constant_chain_rule_factor():
    # d/dx sin(3x) written cos(3x): the inner 3 is missing, on a function where it is the
    # only term.
    true = 3 * np.cos(3 * X)
    diagnosis = describe_mismatch(np.cos(3 * X), true, X)
    assert diagnosis.kind == "chain_rule"
    assert diagnosis.words == "yours / true = 1/3 everywhere: a chain-rule factor 3 missing?"


def test_missing_polynomial_chain_rule_factor_in_the_composed_polynomial():
    # The innermost p'(x) forgotten in the chain rule for p(p(p(x))).
    yours = dp(p(p(XP))) * dp(p(XP))
    diagnosis = describe_mismatch(yours, d_composed(XP), XP)
    assert diagnosis.kind == "ratio"
    assert diagnosis.words == (
        "true / yours = 6*x**2 - 6*x everywhere: a chain-rule factor 6*x**2 - 6*x missing?"
    )


def test_right_except_at_listed_points():
    yours = d_exp_sin(X).copy()
    yours[[20, 60]] += 1.0
    diagnosis = describe_mismatch(yours, d_exp_sin(X), X)
    assert diagnosis.kind == "points"
    assert diagnosis.words == f"yours is right except at x = {X[20]:.4g}, {X[60]:.4g}"
    np.testing.assert_array_equal(diagnosis.wrong_at, X[[20, 60]])


def test_abs_with_the_sign_forgotten_is_wrong_only_for_negative_x():
    x = np.linspace(-2, 2, 101)
    diagnosis = describe_mismatch(np.ones_like(x), d_abs(x), x)
    assert diagnosis.kind == "one_side"
    assert diagnosis.words == "yours is wrong only for x < 0, where it has the wrong sign"
    assert np.all(diagnosis.wrong_at < 0)
    assert diagnosis.wrong_at.size == 50


def test_wrong_only_to_the_right_of_a_point():
    yours = np.where(X > 1, 2 * d_square(X), d_square(X))
    diagnosis = describe_mismatch(yours, d_square(X), X)
    assert diagnosis.kind == "one_side"
    assert diagnosis.words.startswith("yours is wrong only for x > 1")
    assert "2 times the true derivative" in diagnosis.words


def test_kink_points_are_not_compared():
    x = np.linspace(-1, 1, 11)  # holds 0, where d|x|/dx is NaN
    yours = np.sign(x)  # 0 at x = 0: not judged there
    diagnosis = describe_mismatch(yours, d_abs(x), x)
    assert diagnosis.ok_everywhere
    assert diagnosis.compared == 10


def test_nothing_simple_names_the_worst_point_and_the_size():
    # Both chain-rule factors missing in exp(-2x) + 3 sin(3x): no single simple shape.
    yours = -np.exp(-2 * X) + 3 * np.cos(3 * X)
    diagnosis = describe_mismatch(yours, d_exp_sin(X), X)
    assert diagnosis.kind == "other"
    worst = int(np.argmax(np.abs(yours - d_exp_sin(X))))
    assert diagnosis.worst_x == pytest.approx(X[worst])
    assert f"x = {X[worst]:.4g}" in diagnosis.words
    assert f"error {abs(yours[worst] - d_exp_sin(X)[worst]):.3g}" in diagnosis.words


def test_nan_in_yours_is_wrong_where_true_is_finite():
    yours = d_square(X).copy()
    yours[5] = np.nan
    diagnosis = describe_mismatch(yours, d_square(X), X)
    assert not diagnosis.ok_everywhere
    np.testing.assert_array_equal(diagnosis.wrong_at, [X[5]])


def test_no_finite_true_value_is_not_ok():
    diagnosis = describe_mismatch(np.zeros(3), np.full(3, np.nan), np.arange(3.0))
    assert not diagnosis.ok_everywhere
    assert diagnosis.kind == "nothing_to_compare"


def test_name_is_used_in_the_words():
    diagnosis = describe_mismatch(-d_square(X), d_square(X), X, name="dfdx")
    assert diagnosis.words == "dfdx has the wrong sign everywhere"


def test_nice_numbers_and_polynomials():
    assert nice_number(1 / 3) == pytest.approx(1 / 3)
    assert nice_number(np.pi) is None
    assert format_polynomial(np.array([0.0, -6.0, 6.0]), "x") == "6*x**2 - 6*x"
    assert format_polynomial(np.array([1.0, 2.0]), "t") == "2*t + 1"


def test_to_dict_is_plain_json():
    import json

    diagnosis = describe_mismatch(1.5 * d_square(X), d_square(X), X)
    data = json.loads(json.dumps(diagnosis.to_dict()))
    assert data["kind"] == "factor" and data["factor"] == 1.5
    assert len(data["wrong_at"]) == diagnosis.wrong_at.size


def test_wrong_only_on_an_interval():
    true = d_composed(XP)
    yours = np.where((XP > 0.3) & (XP < 0.8), 2 * true, true)
    diagnosis = describe_mismatch(yours, true, XP)
    assert diagnosis.kind == "interval"
    assert diagnosis.words == (
        "yours is wrong only for 0.3 < x < 0.8, where it is 2 times the true derivative"
    )


def test_a_second_derivative_is_named_so():
    # f = x**3: f'' = 6x, written as 3x.
    diagnosis = describe_mismatch(3 * X, 6 * X, X, quantity="second derivative")
    assert diagnosis.words == ("yours / true = 1/2 everywhere: a chain-rule factor 2 missing?")
    offset = describe_mismatch(6 * X + 1, 6 * X, X, quantity="second derivative")
    assert offset.words == "yours is the true second derivative + 1 everywhere"
    assert str(describe_mismatch(6 * X, 6 * X, X, quantity="second derivative")).startswith(
        "matches the true second derivative"
    )
