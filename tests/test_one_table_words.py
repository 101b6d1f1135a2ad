"""The graph's f'(x0) and the checker speak the one verdict's words and read its one table.

The words are `ok`, `inaccurate`, `unconfirmed` and `no derivative` (README "What ok means"),
whichever front door computed the derivative; the expected values are written by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic


def test_the_graphs_derivative_is_ok_where_sympys_exact_value_confirms_it() -> None:
    drawn = diffmagic.graph("x**3", 2.0)
    assert drawn.derivative == pytest.approx(12.0, rel=1e-12)  # 3 x^2 at 2, by hand
    assert drawn.ok and drawn.verdict.startswith("ok: agrees with SymPy's exact")


def test_the_graph_says_no_derivative_at_a_corner_in_the_verdicts_words() -> None:
    drawn = diffmagic.graph("abs(x)", 0.0)
    assert not drawn.ok
    assert drawn.verdict.startswith("no derivative: df/dx does not exist at this x0")


def test_a_float32_f_is_confirmed_at_the_tables_float32_tolerance() -> None:
    def f(x):
        return np.sin(np.float32(x)) * np.exp(np.float32(x))

    drawn = diffmagic.graph(f, 0.3)
    # (sin x + cos x) e^x at 0.3, by hand, to float32's round-off.
    expected = (np.sin(0.3) + np.cos(0.3)) * np.exp(0.3)
    assert drawn.derivative == pytest.approx(expected, rel=1e-5)
    assert drawn.ok and drawn.verdict.startswith("ok: agrees with central differences")


def test_the_checker_states_the_tables_tolerances() -> None:
    w = np.array([0.3, -1.7, 2.9])

    def loss(w):
        return np.sum(w**2)

    def grad32(w):
        return (2 * w).astype(np.float32)

    # Your gradient in float32: the exact kind's float32 tolerance (1e-5); a 1e-3 error is
    # wrong there, as it is at float64's 1e-7.
    check = diffmagic.check_gradient(loss, grad32, w)
    assert check.passed and check.rtol == pytest.approx(1e-5), check.table()
    off = diffmagic.check_gradient(loss, lambda w: (2.002 * w).astype(np.float32), w)
    assert off.status == "wrong"
