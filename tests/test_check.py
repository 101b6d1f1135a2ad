"""check_gradient: hand-written gradients pass, planted bugs are caught and located.

Every gradient here is written by hand in the test (the way a learner or an ML engineer writes
backprop); the bugs are the usual ones. The check's reference is never trusted blindly: the
correct hand-written gradients are what show it right.
"""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic
from diffmagic import DiffMagicError
from diffmagic.analysis.check_reference import EXACT, JAX_REVERSE
from diffmagic.api.check import GradientCheck, check_gradient

RNG = np.random.default_rng(7)

# -- square loss (linear regression) ---------------------------------------------------------
X_SQ = RNG.normal(size=(20, 6))
Y_SQ = X_SQ @ RNG.normal(size=6) + 0.1 * RNG.normal(size=20)
W_SQ = RNG.normal(size=6)


def square_loss(w):
    return np.sum((X_SQ @ w - Y_SQ) ** 2)


def square_loss_grad(w):
    return 2 * X_SQ.T @ (X_SQ @ w - Y_SQ)


# -- log loss (logistic regression) ----------------------------------------------------------
X_LOG = RNG.normal(size=(15, 5))
Y_LOG = np.where(RNG.normal(size=15) > 0, 1.0, -1.0)
W_LOG = 0.5 * RNG.normal(size=5)


def log_loss(w):
    return np.sum(np.log(1 + np.exp(-Y_LOG * (X_LOG @ w))))


def log_loss_grad(w):
    margin = Y_LOG * (X_LOG @ w)
    return -X_LOG.T @ (Y_LOG / (1 + np.exp(margin)))


# -- Rosenbrock in n dimensions --------------------------------------------------------------
X_ROS = RNG.uniform(-1.5, 1.5, size=8)


def rosenbrock(x):
    return np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_grad(x, last=None):
    """Term by term, as written on paper; `last` planted an off-by-one in the loop bound."""
    n = x.size
    grad = np.zeros(n)
    for i in range(n - 1 if last is None else last):
        grad[i] += -400 * x[i] * (x[i + 1] - x[i] ** 2) - 2 * (1 - x[i])
        grad[i + 1] += 200 * (x[i + 1] - x[i] ** 2)
    return grad


# -- softmax cross-entropy -------------------------------------------------------------------
X_SM = RNG.normal(size=(6, 4))
LABELS = np.array([0, 2, 1, 2, 0, 1])
W_SM = 0.3 * RNG.normal(size=(4, 3))


def softmax_ce(W):
    logits = X_SM @ W
    log_p = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(6), LABELS])


def stable_softmax_ce(W):
    """The same loss with the max subtracted first (as libraries write it): SymPy is slow on it."""
    logits = X_SM @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_p = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(6), LABELS])


def softmax_ce_grad(W):
    logits = X_SM @ W
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(6), LABELS] -= 1
    return X_SM.T @ p / 6


# -- a two-layer tanh network, dict parameters -----------------------------------------------
# Batch size = hidden width = output width (3), so that the transposed-matrix and wrong-axis bugs
# run without a shape error, as they do in real code that happens to be square.
X_NET = RNG.normal(size=(3, 4))
T_NET = RNG.normal(size=(3, 3))
PARAMS = {
    "W1": 0.5 * RNG.normal(size=(4, 3)),
    "b1": 0.1 * RNG.normal(size=3),
    "W2": 0.5 * RNG.normal(size=(3, 3)),
    "b2": 0.1 * RNG.normal(size=3),
}


def net_loss(params):
    hidden = np.tanh(X_NET @ params["W1"] + params["b1"])
    out = hidden @ params["W2"] + params["b2"]
    return 0.5 * np.sum((out - T_NET) ** 2)


def net_grad(params, bug=None):
    pre = X_NET @ params["W1"] + params["b1"]
    hidden = np.tanh(pre)
    out = hidden @ params["W2"] + params["b2"]
    d_out = out - T_NET
    W2 = params["W2"] if bug == "transposed" else params["W2"].T
    d_hidden = d_out @ W2
    d_pre = d_hidden if bug == "chain" else d_hidden * (1 - hidden**2)
    return {
        "W1": X_NET.T @ d_pre,
        "b1": d_pre.sum(axis=1 if bug == "axis" else 0),
        "W2": hidden.T @ d_out,
        "b2": d_out.sum(axis=0),
    }


CORRECT = [
    ("square loss", square_loss, square_loss_grad, W_SQ),
    ("log loss", log_loss, log_loss_grad, W_LOG),
    ("rosenbrock", rosenbrock, rosenbrock_grad, X_ROS),
    ("softmax cross-entropy", softmax_ce, softmax_ce_grad, W_SM),
    ("two-layer net", net_loss, net_grad, PARAMS),
]


@pytest.mark.parametrize(("label", "f", "grad", "at"), CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_hand_written_gradients_pass(label, f, grad, at):
    check = check_gradient(f, grad, at)
    assert check.passed, check.table()
    assert check.wrong.size == 0
    assert check.relative_difference < 1e-10
    assert check.reading.startswith("fine")
    assert "passed" in str(check)
    assert not check.kinks


def test_the_reference_is_jax_confirmed_by_differences_and_named():
    check = check_gradient(square_loss, square_loss_grad, W_SQ)
    assert check.reference_name == JAX_REVERSE
    assert check.status == "ok"
    assert "confirmed by central differences of NumPy's f" in check.table()
    # The reference itself, against the gradient written by hand in this file.
    np.testing.assert_allclose(check.reference, square_loss_grad(W_SQ), rtol=1e-12)


def test_exact_reference_when_differences_cannot_confirm_jax():
    # f is 1e12 plus a small term: central differences lose every digit to round-off, so JAX's
    # gradient is confirmed by SymPy's exact one instead (an independent engine).
    w = np.array([0.5, 1.5])

    def loss(w):
        return 1e12 + np.sum(w**2)

    check = check_gradient(loss, lambda w: 2 * w, w)
    assert check.passed, check.table()
    assert check.reference_name == EXACT
    assert "confirmed by JAX's reverse mode" in check.confirmation
    np.testing.assert_allclose(check.reference, [1.0, 3.0], rtol=1e-15)
    wrong = check_gradient(loss, lambda w: 0 * w, w)
    assert wrong.status == "wrong" and sorted(wrong.wrong.tolist()) == [0, 1]


def test_when_nothing_confirms_the_reference_there_is_no_verdict(monkeypatch):
    import diffmagic.analysis.exact_gradient
    from diffmagic.limits.guard import Failure

    # SymPy out of time: JAX's gradient of 1e12 + w**2 has nothing to confirm it.
    monkeypatch.setattr(
        diffmagic.analysis.exact_gradient,
        "exact_gradient",
        lambda *args, **kwargs: Failure("SymPy took longer than 5 s: skipped", timed_out=True),
    )
    w = np.array([0.5, 1.5])
    for grad in (lambda w: 2 * w, lambda w: 0 * w):
        check = check_gradient(lambda w: 1e12 + np.sum(w**2), grad, w)
        assert check.status == "failed" and not check.passed, check.table()
        assert check.wrong.size == 0
        assert "could not be confirmed" in check.summary()
        assert "SymPy took longer" in check.table()


def test_wrong_sign_is_caught_and_located():
    check = check_gradient(square_loss, lambda w: -square_loss_grad(w), W_SQ)
    assert not check.passed
    true = square_loss_grad(W_SQ)
    assert check.worst == int(np.argmax(np.abs(true)))
    assert check.wrong.size == 6
    assert check.reading.startswith("wrong")
    assert check.relative_difference == pytest.approx(1.0)


def test_constant_factor_is_caught_and_located():
    # The 2 of d/dw (..)**2 forgotten.
    check = check_gradient(square_loss, lambda w: square_loss_grad(w) / 2, W_SQ)
    assert not check.passed
    assert check.worst == int(np.argmax(np.abs(square_loss_grad(W_SQ))))
    assert check.relative_difference == pytest.approx(1 / 3)


def test_missing_chain_rule_factor_is_located_in_the_first_layer():
    check = check_gradient(net_loss, lambda p: net_grad(p, bug="chain"), PARAMS)
    assert not check.passed
    keys = {key for key, _ in check.wrong_locations}
    assert keys <= {"W1", "b1"} and "W1" in keys
    assert check.worst[0] in ("W1", "b1")


def test_wrong_only_for_negative_coordinates():
    w = np.array([-1.5, 0.7, -0.2, 2.0, -0.9, 1.1])

    def f(w):
        return np.sum(np.abs(w) ** 3)

    def grad(w):
        return 3 * w**2  # forgot the sign: right only where w > 0

    check = check_gradient(f, grad, w)
    assert not check.passed
    assert sorted(check.wrong.tolist()) == [0, 2, 4]
    assert check.worst == 0


def test_transposed_weight_matrix_in_backprop():
    check = check_gradient(net_loss, lambda p: net_grad(p, bug="transposed"), PARAMS)
    assert not check.passed
    keys = {key for key, _ in check.wrong_locations}
    assert keys <= {"W1", "b1"}
    assert check.worst[0] in ("W1", "b1")


def test_off_by_one_loop_bound():
    n = X_ROS.size
    check = check_gradient(rosenbrock, lambda x: rosenbrock_grad(x, last=n - 2), X_ROS)
    assert not check.passed
    assert sorted(check.wrong.tolist()) == [n - 2, n - 1]
    assert check.worst in (n - 2, n - 1)


def test_bias_gradient_summed_over_the_wrong_axis():
    check = check_gradient(net_loss, lambda p: net_grad(p, bug="axis"), PARAMS)
    assert not check.passed
    assert {key for key, _ in check.wrong_locations} == {"b1"}
    assert check.worst[0] == "b1"
    assert "b1[" in check.summary()


def test_per_coordinate_values_are_shaped_like_the_parameters():
    check = check_gradient(net_loss, lambda p: net_grad(p, bug="axis"), PARAMS)
    parts = check.per_coordinate()
    assert set(parts["error"]) == set(PARAMS)
    assert parts["error"]["W1"].shape == PARAMS["W1"].shape
    np.testing.assert_allclose(parts["yours"]["b1"], net_grad(PARAMS, bug="axis")["b1"])
    np.testing.assert_allclose(parts["reference"]["W2"], net_grad(PARAMS)["W2"], rtol=1e-12)
    assert np.all(parts["error"]["W2"] < 1e-12) and np.all(parts["error"]["b1"] > 1e-3)


def test_cell_text_and_list_parameters():
    cell = "import numpy as np\n\ndef loss(p):\n    return np.sum(p[0] ** 2) + 3 * np.sum(p[1])\n"
    at = [np.array([1.0, -2.0]), np.array([0.5, 0.5, 0.5])]
    good = check_gradient(cell, lambda p: [2 * p[0], np.full(3, 3.0)], at)
    assert good.passed, good.table()
    bad = check_gradient(cell, lambda p: [2 * p[0], np.array([3.0, 3.0, 2.0])], at)
    assert not bad.passed
    assert bad.worst == (1, 2)


def test_worst_few_follow_worst():
    check = check_gradient(net_loss, lambda p: net_grad(p, bug="chain"), PARAMS)
    ranked = [check.worst, *check.worst_few]
    assert len(ranked) >= 2
    flat_errors = []
    for key, index in ranked:
        leaf = next(leaf for leaf in check.flat.leaves if leaf.key == key)
        flat_errors.append(check.error[leaf.start + index])
    assert flat_errors == sorted(flat_errors, reverse=True)


# -- kinks -----------------------------------------------------------------------------------


def relu_sum(w):
    return np.sum(np.maximum(w, 0))


def abs_sum(w):
    return np.sum(np.abs(w))


AT_KINK = np.array([-1.0, 0.0, 2.0, 0.0])


@pytest.mark.parametrize("at_zero", [0.0, 0.5, 1.0])
def test_relu_at_zero_is_a_kink_not_a_failure(at_zero):
    def grad(w):
        return np.where(w > 0, 1.0, np.where(w == 0, at_zero, 0.0))

    check = check_gradient(relu_sum, grad, AT_KINK)
    assert check.passed, check.table()
    assert [kink.index for kink in check.kinks] == [1, 3]
    kink = check.kinks[0]
    assert (kink.left, kink.right) == pytest.approx((0.0, 1.0), abs=1e-9)
    assert "kink" in check.table()


def test_abs_at_zero_is_a_kink_not_a_failure():
    check = check_gradient(abs_sum, np.sign, AT_KINK)
    assert check.passed, check.table()
    assert [kink.index for kink in check.kinks] == [1, 3]
    assert (check.kinks[0].left, check.kinks[0].right) == pytest.approx((-1.0, 1.0), abs=1e-9)


def test_a_value_outside_the_one_sided_slopes_fails_at_a_kink():
    check = check_gradient(abs_sum, lambda w: np.where(w == 0, 2.0, np.sign(w)), AT_KINK)
    assert not check.passed
    assert sorted(check.wrong.tolist()) == [1, 3]
    assert not check.kinks[0].passed


def test_kinks_along_random_directions_fail_with_words_not_pass():
    # Along a direction through many kinks, the one-sided slopes are far apart and a wrong
    # gradient lies between them as easily as a right one: the check must not pass it.
    w = np.array([0.0, 1.0, 0.0, -2.0, 0.0, 3.0, 0.0, 0.5])

    def doubled(w):
        return 2.0 * (w >= 0)

    check = check_gradient(relu_sum, doubled, w, mode="directions", directions=3)
    assert not check.passed
    assert "proves nothing" in check.table() and "mode='full'" in check.table()
    assert not check_gradient(relu_sum, doubled, w, mode="full").passed


@pytest.mark.parametrize("use_jax", [True, False], ids=["jax", "numpy-probes"])
def test_a_kink_near_but_not_at_the_point_is_no_excuse(monkeypatch, use_jax):
    # |w| at w = 1e-9 has derivative 1; a gradient that rounds small w to 0 is wrong there.
    if not use_jax:
        _without_jax_or_sympy(monkeypatch)
    w = np.array([1e-9, 0.0, -2.0])
    check = check_gradient(abs_sum, lambda w: np.where(np.abs(w) < 1e-6, 0.0, np.sign(w)), w)
    assert not check.passed
    assert [kink.index for kink in check.kinks] == [1]
    if use_jax:
        # JAX's gradient, confirmed by SymPy's exact one away from the kink, says 1 at w[0].
        assert check.wrong.tolist() == [0]
    else:
        # Central differences straddle the kink 1e-9 away: no verdict at w[0], never a pass.
        assert check.status == "failed" and check.unconfirmed.tolist() == [0]
        assert "smooth at the point itself" in check.table()


def _without_jax_or_sympy(monkeypatch):
    """Make the check run on NumPy's f alone (central differences, one-sided probes)."""
    import diffmagic.analysis.check_reference
    from diffmagic.limits.guard import Failure

    monkeypatch.setattr(
        diffmagic.analysis.check_reference, "compiled", lambda f, flat: Failure("JAX is off")
    )
    monkeypatch.setattr(diffmagic.analysis.check_reference, "EXACT_SECONDS", 1e-9)


# -- float32 ---------------------------------------------------------------------------------


def test_float32_gradient_is_judged_with_float32_tolerances_and_says_so():
    def grad32(w):
        w32 = w.astype(np.float32)
        X32, Y32 = X_SQ.astype(np.float32), Y_SQ.astype(np.float32)
        return 2 * X32.T @ (X32 @ w32 - Y32)

    check = check_gradient(square_loss, grad32, W_SQ)
    assert check.precision == "float32"
    assert check.passed, check.table()
    assert check.rtol == pytest.approx(1e-5)  # the exact kind's float32 tolerance
    assert "float32" in check.tolerance_note and "float32" in check.table()
    # Float32 round-off is really there: float64's tolerance would not hold it.
    assert check.relative_difference > 1e-9
    wrong = check_gradient(square_loss, lambda w: 1.01 * grad32(w), W_SQ)
    assert not wrong.passed


def test_float32_near_an_optimum_allows_float32_round_off():
    # Near the least-squares solution the gradient is small beside its terms, and float32
    # round-off alone is 1e-4 of it: the tolerance follows JAX's own float32 gradient there.
    w = np.linalg.lstsq(X_SQ, Y_SQ, rcond=None)[0] + 1e-4

    def grad32(w):
        X32, Y32 = X_SQ.astype(np.float32), Y_SQ.astype(np.float32)
        return 2 * X32.T @ (X32 @ w.astype(np.float32) - Y32)

    check = check_gradient(square_loss, grad32, w)
    assert check.passed, check.table()
    assert "JAX's own float32 gradient is off" in check.tolerance_note
    assert not check_gradient(square_loss, lambda w: 3 * grad32(w), w).passed


def test_float32_point_is_detected():
    check = check_gradient(square_loss, square_loss_grad, W_SQ.astype(np.float32))
    assert check.precision == "float32" and "float32" in check.tolerance_note
    assert check.passed


def test_f_computing_in_float32_gets_looser_tolerances_and_says_so():
    def loss32(w):
        w32 = np.asarray(w, dtype=np.float32)
        return np.sum((X_SQ.astype(np.float32) @ w32 - Y_SQ.astype(np.float32)) ** 2)

    check = check_gradient(loss32, square_loss_grad, W_SQ)
    assert check.precision == "float32"
    assert "f computes in float32" in check.tolerance_note
    assert check.rtol == pytest.approx(3e-3)  # differences of a float32 f


# -- when neither SymPy nor JAX can follow f ---------------------------------------------------


def python_floats_loss(w):
    # float() on each entry: neither a SymPy symbol nor a JAX tracer survives it.
    return sum((float(v) - 1.0) ** 2 * (i + 1) for i, v in enumerate(w))


def python_floats_grad(w):
    return 2 * (w - 1.0) * np.arange(1, w.size + 1)


def test_central_differences_alone_are_said_so():
    w = np.array([0.5, 2.0, -1.0])
    check = check_gradient(python_floats_loss, python_floats_grad, w)
    assert check.passed, check.table()
    assert check.reference_name.startswith("central differences")
    assert check.rtol == pytest.approx(1e-5)
    assert "confirmed by Richardson differences" in check.confirmation
    assert "judged against central differences (confirmed, not exact" in check.table()
    wrong = check_gradient(python_floats_loss, lambda w: python_floats_grad(w) * 1.001, w)
    assert not wrong.passed
    assert wrong.worst == 2


# -- many parameters: random directions ------------------------------------------------------

X_BIG = RNG.normal(size=(10, 1500))
W_BIG = RNG.normal(size=1500)


def big_loss(w):
    return np.sum((X_BIG @ w - 1.0) ** 2)


def big_grad(w):
    return 2 * X_BIG.T @ (X_BIG @ w - 1.0)


def test_every_coordinate_is_judged_above_1000_parameters_with_jax():
    check = check_gradient(big_loss, big_grad, W_BIG)
    assert check.mode == "full" and check.passed, check.table()

    def broken(w):
        g = big_grad(w)
        g[700] *= -1  # one coordinate of 1,500 wrong
        return g

    failing = check_gradient(big_loss, broken, W_BIG)
    assert failing.wrong.tolist() == [700] and failing.worst == 700


def test_directions_mode_on_request_still_locates_the_wrong_coordinate():
    check = check_gradient(big_loss, big_grad, W_BIG, mode="directions", directions=6)
    assert check.mode == "directions"
    assert check.yours.size == 6
    assert check.passed, check.table()
    assert check.worst is None
    assert "random directions" in check.summary()

    def broken(w):
        g = big_grad(w)
        g[700] *= -1
        return g

    failing = check_gradient(big_loss, broken, W_BIG, mode="directions", directions=6)
    assert not failing.passed
    assert "mode='full'" in failing.summary()
    # Located all the same, by the confirmed reference's full gradient, and said so.
    assert "located with JAX reverse mode (float64)'s full gradient: w[700]" in failing.table()
    assert "more" not in failing.notes[-1]


def test_directions_mode_without_jax_locates_by_halving_blocks(monkeypatch):
    _without_jax_or_sympy(monkeypatch)

    def broken(w):
        g = big_grad(w)
        g[700] *= -1
        return g

    failing = check_gradient(big_loss, broken, W_BIG, mode="directions", directions=4)
    assert failing.status == "wrong", failing.table()
    assert "located by halving blocks of coordinates" in failing.table()
    assert "w[700]" in failing.notes[-1]


def test_full_mode_is_one_option_away():
    check = check_gradient(square_loss, square_loss_grad, W_SQ, mode="directions", directions=4)
    assert check.mode == "directions" and check.passed
    w = np.array([1.0, 2.0, 3.0])
    full = check_gradient(lambda w: np.sum(w**2), lambda w: 2 * w, w, mode="full")
    assert full.mode == "full" and full.yours.size == 3


# -- display ---------------------------------------------------------------------------------


def test_table_html_and_figure():
    check = check_gradient(net_loss, lambda p: net_grad(p, bug="axis"), PARAMS)
    text = str(check)
    assert text.splitlines()[0].startswith("gradient check FAILED")
    assert "b1[" in text and "relative difference" in text
    page = check._repr_html_()
    assert "b1[" in page and "var(--jp-ui-font-color1" in page
    figure = check.figure()
    axes = figure.axes[0]
    assert figure.get_facecolor()[3] == 1.0
    labels = [text.get_text() for text in axes.texts]
    assert any(label.startswith("b1[") for label in labels)
    legend = axes.get_legend()
    drawn = {line.get_label() for line in axes.lines}
    assert {entry.get_text() for entry in legend.get_texts()} <= drawn
    assert "wrong" in drawn


def test_exported_from_the_package():
    check = diffmagic.check_gradient(square_loss, square_loss_grad, W_SQ)
    assert isinstance(check, diffmagic.GradientCheck) and check.passed
    assert diffmagic.GradientCheck is GradientCheck
    assert {"check_gradient", "GradientCheck"} <= set(diffmagic.__all__)
    # The lazy attributes of the package's other blocks still resolve.
    assert diffmagic.GradientComparison.__name__ == "GradientComparison"


# -- bad input -------------------------------------------------------------------------------


def _one_line_error(f, grad, at, *fragments):
    with pytest.raises(DiffMagicError) as caught:
        check_gradient(f, grad, at)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_grad_returning_the_wrong_structure():
    _one_line_error(
        net_loss, lambda p: {k: v for k, v in net_grad(p).items() if k != "b2"}, PARAMS, "b2"
    )
    _one_line_error(net_loss, lambda p: {**net_grad(p), "extra": 1.0}, PARAMS, "extra")
    _one_line_error(square_loss, lambda w: None, W_SQ, "None")


def test_grad_returning_the_wrong_shape():
    _one_line_error(
        net_loss, lambda p: {**net_grad(p), "W1": net_grad(p)["W1"].T}, PARAMS, "shape", "W1"
    )
    _one_line_error(square_loss, lambda w: square_loss_grad(w)[:-1], W_SQ, "shape (5,)")


def test_grad_that_raises():
    def grad(w):
        return {"w": w}["v"]

    _one_line_error(square_loss, grad, W_SQ, "grad raised")


def test_nan_in_at():
    w = W_SQ.copy()
    w[2] = np.nan
    _one_line_error(square_loss, square_loss_grad, w, "NaN", "w[2]")


def test_f_with_randomness():
    noise = np.random.default_rng(3)
    _one_line_error(
        lambda w: square_loss(w) + noise.normal(), square_loss_grad, W_SQ, "deterministic"
    )


def test_f_returning_a_vector():
    _one_line_error(lambda w: X_SQ @ w, square_loss_grad, W_SQ, "one number")
