"""compare_gradient: every ok method against a gradient written by hand here, and the contract.

The losses are the course's and the usual ML ones: square loss, log loss, an n-dimensional
Rosenbrock, softmax cross-entropy, a two-layer tanh network with dict parameters. Each
gradient below is derived on paper, never taken from a diffmagic method.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import diffmagic
from diffmagic.errors import DiffMagicError

#: Relative tolerance (max |error| / max |gradient|) for exact methods and for central
#: differences.
EXACT_TOLERANCE = 1e-10
NUMERICAL_TOLERANCE = 1e-6


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def square_loss_case(n, rng):
    X = rng.normal(size=(30, n))
    y = X @ rng.normal(size=n) + 0.1 * rng.normal(size=30)

    def loss(w):
        return np.sum((X @ w - y) ** 2)

    def gradient(w):
        return 2.0 * X.T @ (X @ w - y)

    return loss, rng.normal(size=n), gradient


def log_loss_case(n, rng):
    X = rng.normal(size=(30, n)) / np.sqrt(n)
    labels = (rng.random(30) > 0.5).astype(float)

    def loss(w):
        p = 1 / (1 + np.exp(-(X @ w)))
        return -np.sum(labels * np.log(p) + (1 - labels) * np.log(1 - p))

    def gradient(w):
        return X.T @ (sigmoid(X @ w) - labels)

    return loss, rng.normal(size=n), gradient


def rosenbrock_case(n, rng):
    def loss(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    def gradient(x):
        g = np.zeros_like(x)
        g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1 - x[:-1])
        g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
        return g

    return loss, 1.0 + 0.3 * rng.normal(size=n), gradient


def softmax_case(n, rng):
    classes = 2
    features = n // classes
    X = rng.normal(size=(20, features))
    Y = np.eye(classes)[rng.integers(0, classes, 20)]

    def loss(w):
        Z = X @ w.reshape(features, classes)
        return np.sum(np.log(np.sum(np.exp(Z), axis=1))) - np.sum(Y * Z)

    def gradient(w):
        Z = X @ w.reshape(features, classes)
        P = np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True)
        return (X.T @ (P - Y)).ravel()

    return loss, 0.5 * rng.normal(size=features * classes), gradient


#: (inputs, hidden units) for the network: 4, 11, 57 and 921 parameters.
NETWORK_SHAPES = {2: (1, 1), 10: (3, 2), 100: (5, 8), 1000: (20, 40)}


def network_case(n, rng):
    inputs, hidden = NETWORK_SHAPES[n]
    X = rng.normal(size=(25, inputs))
    y = rng.normal(size=25)

    def loss(p):
        h = np.tanh(X @ p["W1"] + p["b1"])
        return np.mean((h @ p["W2"] + p["b2"] - y) ** 2)

    def gradient(p):
        h = np.tanh(X @ p["W1"] + p["b1"])
        r = 2.0 / len(y) * (h @ p["W2"] + p["b2"] - y)
        dA = np.outer(r, p["W2"]) * (1 - h**2)
        return np.concatenate([(X.T @ dA).ravel(), dA.sum(axis=0), h.T @ r, np.array([r.sum()])])

    at = {
        "W1": rng.normal(size=(inputs, hidden)),
        "b1": 0.1 * rng.normal(size=hidden),
        "W2": rng.normal(size=hidden) / np.sqrt(hidden),
        "b2": 0.3,
    }
    return loss, at, gradient


CASES = {
    "square": square_loss_case,
    "log": log_loss_case,
    "rosenbrock": rosenbrock_case,
    "softmax": softmax_case,
    "network": network_case,
}


def _check_against_hand(comparison, expected, *, symbolic_must_work):
    scale = np.max(np.abs(expected))
    assert scale > 0
    for key in comparison:
        row = comparison[key]
        if key == "symbolic" and symbolic_must_work:
            assert row.ok, row.error
        if not row.ok:
            assert row.error and "\n" not in row.error
            continue
        relative = np.max(np.abs(row.flat_values - expected)) / scale
        tolerance = NUMERICAL_TOLERANCE if key == "numerical" else EXACT_TOLERANCE
        assert relative < tolerance, (key, relative)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("n", [2, pytest.param(10, marks=pytest.mark.slow)])
def test_small_losses_every_method_matches_the_hand_written_gradient(case, n):
    loss, at, gradient = CASES[case](n, np.random.default_rng(n))
    comparison = diffmagic.compare_gradient(loss, at=at, timing=False)
    expected = gradient(at)
    _check_against_hand(comparison, expected, symbolic_must_work=True)
    assert comparison.exact_reference
    np.testing.assert_allclose(
        comparison.reference_values, expected, rtol=0, atol=1e-10 * max(1, np.max(np.abs(expected)))
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_symbolic_works_at_a_hundred_parameters(case):
    loss, at, gradient = CASES[case](100, np.random.default_rng(100))
    comparison = diffmagic.compare_gradient(loss, at=at, timing=False)
    _check_against_hand(comparison, gradient(at), symbolic_must_work=True)
    assert comparison.exact.expr_ops > 0


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_thousand_parameters(case):
    loss, at, gradient = CASES[case](1000, np.random.default_rng(1000))
    comparison = diffmagic.compare_gradient(loss, at=at, timing=False)
    _check_against_hand(comparison, gradient(at), symbolic_must_work=False)
    for key in ("numerical", "forward", "reverse"):
        assert comparison[key].ok, comparison[key].error


@pytest.mark.slow
def test_a_thousand_parameters_without_sympy_is_fast_and_right():
    loss, at, gradient = square_loss_case(1000, np.random.default_rng(7))
    comparison = diffmagic.compare_gradient(
        loss, at=at, methods=("numerical", "reverse"), timing=False, symbolic_seconds=0.5
    )
    _check_against_hand(comparison, gradient(at), symbolic_must_work=False)
    assert 8000 <= comparison["numerical"].timing.f_evals <= 9000  # two steps each way


# ----------------------------------------------------------------------------- contract


@pytest.fixture(scope="module")
def network_comparison():
    loss, at, gradient = network_case(10, np.random.default_rng(3))
    return diffmagic.compare_gradient(loss, at=at), at, gradient(at)


def test_the_contract_on_a_pytree(network_comparison):
    g, at, expected = network_comparison
    assert g.at is at
    assert g["jax"] is g["reverse"] and g["automatic"] is g["reverse"]
    row = g["reverse"]
    assert row.ok and row.error is None
    assert set(row.values) == set(at)
    for key, value in at.items():
        assert np.shape(row.values[key]) == np.shape(value)
    np.testing.assert_allclose(row.values["W1"].ravel(), expected[:6], rtol=1e-10)
    assert row.max_abs_error is not None and row.max_rel_error is not None
    key, index = row.worst
    assert key in at and 0 <= index < np.size(at[key])
    assert row.timing.setup_s > 0 and row.timing.eval_s > 0 and row.timing.f_evals is None
    assert g["numerical"].timing.f_evals >= 8 * 11  # two steps a coordinate, both ways
    assert g.f_seconds > 0
    assert "exact" in g.reference and "30 digits" in g.reference


def test_the_displays(network_comparison):
    g, _, _ = network_comparison
    text = str(g)
    assert "reverse mode (JAX grad)" in text and "symbolic (SymPy)" in text
    html = g._repr_html_()
    assert "<table" in html and "var(--jp-ui-font-color1" in html
    data = json.loads(json.dumps(g.to_dict()))
    assert data["parameters"] == 11 and data["methods"]["reverse"]["ok"] is True
    figure = g.figure()
    assert len(figure.axes) == 2
    assert figure.axes[0].get_yscale() == "log"


def test_worst_is_a_flat_index_for_an_array():
    loss, at, _ = square_loss_case(6, np.random.default_rng(1))
    g = diffmagic.compare_gradient(loss, at=at, methods="numerical,reverse", timing=False)
    worst = g["numerical"].worst
    assert isinstance(worst, int) and 0 <= worst < 6
    assert g["numerical"].worst_text == f"w[{worst}]"


def test_an_integer_point_is_converted_to_float64():
    def loss(w):
        return np.sum(w**3)

    g = diffmagic.compare_gradient(loss, at=[1, 2, 3], timing=False)
    for key in g:
        assert g[key].ok, g[key].error
        np.testing.assert_allclose(g[key].flat_values, [3.0, 12.0, 27.0], rtol=1e-9)
        assert g[key].flat_values.dtype == np.float64


def test_cell_text_is_accepted():
    cell = "import numpy as np\ndef loss(w):\n    return np.sum(np.exp(w))\n"
    g = diffmagic.compare_gradient(cell, at=np.array([0.0, 1.0]), timing=False)
    np.testing.assert_allclose(g["reverse"].flat_values, np.exp([0.0, 1.0]), rtol=1e-12)


def test_a_backend_that_computes_another_f_fails_instead_of_answering():
    def sneaky(w):
        # 1 under NumPy, 2 under JAX's tracers and SymPy's symbols.
        scale = 1.0 if type(w).__module__ == "numpy" else 2.0
        return scale * np.sum(w**2)

    g = diffmagic.compare_gradient(sneaky, at=np.array([1.0, 2.0]), timing=False)
    for key in ("symbolic", "forward", "reverse"):
        assert not g[key].ok
        assert "NumPy" in g[key].error
    # central differences stand in, but nothing independent confirms them: not ok either
    assert g["numerical"].is_reference and g["numerical"].status == "reference (unconfirmed)"
    assert not g["numerical"].ok
    np.testing.assert_allclose(g["numerical"].flat_values, [2.0, 4.0], rtol=1e-8)
    assert "no exact gradient" in g.reference


def test_a_branch_on_a_parameter_fails_symbolically_with_a_reason():
    def hinge(w):
        return sum(wi if wi > 0 else 0.0 for wi in w)

    g = diffmagic.compare_gradient(
        hinge, at=np.array([1.0, -2.0]), methods=("symbolic", "numerical")
    )
    assert not g["symbolic"].ok
    assert "if" in g["symbolic"].error
    # the right gradient, but no independent method can confirm it (JAX cannot trace `if`)
    assert g["numerical"].status == "reference (unconfirmed)"
    np.testing.assert_allclose(g["numerical"].flat_values, [1.0, 0.0], atol=1e-9)


# ----------------------------------------------------------------------------- bad input


def _one_line_error(call):
    with pytest.raises(DiffMagicError) as caught:
        call()
    message = str(caught.value)
    assert message and "\n" not in message
    return message


def test_a_point_of_the_wrong_shape_is_refused():
    loss, _, _ = square_loss_case(5, np.random.default_rng(0))
    message = _one_line_error(lambda: diffmagic.compare_gradient(loss, at=np.ones(7)))
    assert "at" in message


def test_a_vector_valued_f_is_refused():
    message = _one_line_error(lambda: diffmagic.compare_gradient(lambda w: w**2, at=np.ones(3)))
    assert "compare_jacobian" in message


@pytest.mark.parametrize(
    "at, word",
    [([1.0, float("nan")], "NaN"), ([], "empty"), ({"a": np.array([np.inf])}, "inf"), ("w", "not")],
)
def test_bad_points_are_refused(at, word):
    message = _one_line_error(lambda: diffmagic.compare_gradient(lambda w: np.sum(w), at=at))
    assert word in message


def test_an_unknown_method_is_refused():
    message = _one_line_error(
        lambda: diffmagic.compare_gradient(lambda w: np.sum(w), at=[1.0], methods=["magic"])
    )
    assert "reverse" in message


# ----------------------------------------------------------------------------- building blocks


def test_flatten_and_unflatten_a_nested_pytree():
    from diffmagic.inputs.pytree import flatten

    at = {"W1": np.arange(6).reshape(2, 3), "b": 0.5, "layers": [{"a": np.ones(2)}]}
    flat = flatten(at)
    assert flat.size == 9 and flat.values.dtype == np.float64
    assert not flat.values.flags.writeable
    rebuilt = flat.unflatten(np.arange(9.0))
    assert rebuilt["W1"].shape == (2, 3) and rebuilt["W1"][1, 2] == 5.0
    assert float(rebuilt["b"]) == 6.0
    assert list(rebuilt["layers"][0]["a"]) == [7.0, 8.0]
    assert flat.location(5) == ("W1", 5) and flat.describe(5) == "W1[1, 2]"
    assert flat.describe(6) == "b"
    assert flat.location(8) == ("['layers'][0]['a']", 1)
    plain = flatten([1, 2, 3])
    assert plain.location(2) == 2 and plain.describe(2) == "w[2]"
    assert flatten(np.ones(2, dtype=np.float32)).dtype_was_float32


def test_sympy_reductions_follow_axis_over_symbol_arrays():
    import sympy as sp

    from diffmagic.inputs.backends import sympy_namespace

    a, b, c, d = sp.symbols("a b c d")
    values = np.array([[a, b], [c, d]], dtype=object)
    namespace = sympy_namespace()
    assert list(namespace.sum(values, axis=1)) == [a + b, c + d]
    assert namespace.sum(values, axis=0, keepdims=True).shape == (1, 2)
    assert list(namespace.exp(values).ravel()) == [sp.exp(a), sp.exp(b), sp.exp(c), sp.exp(d)]
    assert namespace.sum(values) == a + b + c + d


def test_exact_gradient_says_why_it_cannot():
    from diffmagic.analysis.exact_gradient import exact_gradient
    from diffmagic.inputs.pytree import flatten

    def branchy(w):
        return w[0] if w[0] > 0 else -w[0]

    from diffmagic.limits.guard import Failure

    failure = exact_gradient(branchy, flatten([1.0, 2.0]))
    assert isinstance(failure, Failure)  # typed, never a bare string
    assert "\n" not in failure.reason and "if" in failure.reason


def test_central_differences_that_would_take_hours_are_refused_with_the_estimate(monkeypatch):
    import diffmagic.running.loss as loss

    monkeypatch.setattr(loss, "f_seconds_of", lambda *args: 1.0)
    g = diffmagic.compare_gradient(
        lambda w: np.sum(w**2), at=np.ones(100), methods=("numerical", "forward", "reverse")
    )
    assert not g["numerical"].ok and "would take about 800 s" in g["numerical"].error
    assert not g["forward"].ok and "100 s" in g["forward"].error
    assert g["reverse"].ok
    np.testing.assert_allclose(g["reverse"].flat_values, 2 * np.ones(100))


def test_a_wrong_exact_gradient_is_outvoted_by_two_methods_that_agree(monkeypatch):
    """If SymPy's gradient were wrong, reverse mode and central differences (agreeing with each
    other) would say so: symbolic fails and reverse mode stands in."""
    import diffmagic.api.gradients as comparison
    from diffmagic.analysis.exact_gradient import exact_gradient

    def corrupted(*args, **kwargs):
        exact = exact_gradient(*args, **kwargs)
        exact.values = exact.values + 1.0
        exact.expressions = [e + 1 for e in exact.expressions]
        return exact

    monkeypatch.setattr(comparison, "exact_gradient", corrupted)
    g = diffmagic.compare_gradient(lambda w: np.sum(w**2), at=np.array([1.0, 2.0]), timing=False)
    assert not g["symbolic"].ok and "not trusted" in g["symbolic"].error
    assert g["reverse"].is_reference and not g.exact_reference
    np.testing.assert_allclose(g.reference_values, [2.0, 4.0])


def test_without_an_exact_gradient_the_table_speaks_of_differences():
    def sneaky(w):
        scale = 1.0 if type(w).__module__ == "numpy" else 2.0
        return scale * np.sum(w**2)

    text = str(diffmagic.compare_gradient(sneaky, at=np.array([1.0, 2.0]), timing=False))
    assert "max abs difference" in text and "max abs error" not in text
