"""Random expressions over the supported functions: the methods agree, nothing escapes.

CI runs a fixed, bounded set of examples (the "ci" profile of tests/conftest.py: derandomised);
set HYPOTHESIS_PROFILE=dev locally for more.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import diffmagic

#: Unary forms that are defined and moderate on all of (-2, 2) for any moderate argument.
UNARY = (
    "sin({})",
    "cos({})",
    "tanh({})",
    "arctan({})",
    "exp(sin({}))",
    "sqrt(1 + ({})**2)",
    "log(1 + ({})**2)",
    "({})**2",
    "abs({})**3",
)
BINARY = ("({}) + ({})", "({}) - ({})", "({}) * ({})")

constants = st.sampled_from(["0.5", "1.5", "2", "3"])
leaves = st.one_of(st.just("x"), st.builds(lambda c: f"{c}*x", constants))


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = st.builds(lambda form, inner: form.format(inner), st.sampled_from(UNARY), children)
    binary = st.builds(
        lambda form, a, b: form.format(a, b), st.sampled_from(BINARY), children, children
    )
    return st.one_of(unary, binary)


expressions = st.recursive(leaves, _extend, max_leaves=6)


def _mpmath_derivative(expression: str, points: np.ndarray) -> np.ndarray:
    """d/dx of the expression by mpmath's own numerical differentiation at 40 digits."""
    names = {
        "sin": mpmath.sin,
        "cos": mpmath.cos,
        "tanh": mpmath.tanh,
        "arctan": mpmath.atan,
        "exp": mpmath.exp,
        "sqrt": mpmath.sqrt,
        "log": mpmath.log,
        "abs": abs,
    }
    with mpmath.workdps(40):
        function = eval(f"lambda x: {expression}", {"__builtins__": {}, **names})
        return np.array([float(mpmath.diff(function, mpmath.mpf(float(p)))) for p in points])


@pytest.mark.slow
@given(expressions)
def test_random_expressions_agree_across_methods_and_with_mpmath(expression: str) -> None:
    comparison = diffmagic.compare(
        expression, domain=(-2, 2), points=15, methods=("symbolic", "automatic")
    )
    symbolic, automatic = comparison["symbolic"], comparison["automatic"]
    assert symbolic.ok, symbolic.error
    assert automatic.ok, automatic.error
    independent = _mpmath_derivative(expression, comparison.x)
    scale = max(1.0, float(np.max(np.abs(independent))))
    away_from_kinks = np.all(
        np.abs(comparison.x[:, None] - np.array(comparison.nondifferentiable or [np.inf])) > 1e-9,
        axis=1,
    )
    for row in (symbolic, automatic):
        error = np.abs(row.values - independent)[away_from_kinks]
        assert np.max(error) <= 1e-9 * scale, (row.key, expression)
    assert np.max(np.abs(symbolic.values - automatic.values)[away_from_kinks]) <= 1e-9 * scale


TOKENS = [*"x()+-*/.0123456789 ,", "sin", "exp", "log", "np.", "**", "abs", "where", "x>0"]


@pytest.mark.slow
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_no_exception_but_diffmagics_own_escapes_compare(text: str) -> None:
    try:
        comparison = diffmagic.compare(text, points=10)
    except diffmagic.DiffMagicError as error:
        assert "\n" not in str(error)
        return
    assert comparison.table()
