"""compare_jacobian: (m, n) Jacobians by forward, reverse and central differences, against
Jacobians written by hand, and the measured verdict on which mode is cheaper."""

from __future__ import annotations

import json

import numpy as np
import pytest

import diffmagic
from diffmagic.errors import DiffMagicError


def _wide(rng):
    """3 outputs of 40 inputs: f(w) = A tanh(w), J = A diag(1 - tanh(w)^2)."""
    A = rng.normal(size=(3, 40))

    def f(w):
        return A @ np.tanh(w)

    def jacobian(w):
        return A * (1 - np.tanh(w) ** 2)[None, :]

    return f, rng.normal(size=40), jacobian


def _tall(rng):
    """30 outputs of 2 inputs: f(w) = exp(B w), J = diag(exp(B w)) B."""
    B = rng.normal(size=(30, 2))

    def f(w):
        return np.exp(B @ w)

    def jacobian(w):
        return np.exp(B @ w)[:, None] * B

    return f, rng.normal(size=2), jacobian


@pytest.mark.parametrize("make", [_wide, _tall])
def test_each_method_matches_the_hand_written_jacobian(make):
    f, at, jacobian = make(np.random.default_rng(5))
    comparison = diffmagic.compare_jacobian(f, at)
    expected = jacobian(at)
    assert comparison.shape == expected.shape
    scale = np.max(np.abs(expected))
    for key in ("numerical", "forward", "reverse"):
        row = comparison[key]
        assert row.ok, row.error
        assert row.values.shape == expected.shape
        tolerance = 1e-6 if key == "numerical" else 1e-10
        assert np.max(np.abs(row.values - expected)) / scale < tolerance
        assert row.timing.eval_s > 0
    assert "exact" in comparison.reference
    assert comparison["jax"] is comparison["reverse"]


def test_the_table_says_which_mode_was_cheaper():
    f, at, _ = _wide(np.random.default_rng(2))
    comparison = diffmagic.compare_jacobian(f, at)
    assert comparison.cheaper_mode in ("forward", "reverse")
    assert "cheaper" in comparison.verdict and "wide" in comparison.verdict
    assert comparison.verdict in str(comparison)
    assert "<table" in comparison._repr_html_()
    data = json.loads(json.dumps(comparison.to_dict()))
    assert data["shape"] == [3, 40]


def test_a_jacobian_point_with_nan_is_refused():
    with pytest.raises(DiffMagicError, match="NaN"):
        diffmagic.compare_jacobian(lambda w: w * 2, [1.0, float("nan")])


def test_a_jacobian_needs_a_one_dimensional_output():
    with pytest.raises(DiffMagicError, match="1-D"):
        diffmagic.compare_jacobian(lambda w: np.outer(w, w), [1.0, 2.0])
