"""The corpus checks itself, without diffmagic.

For every case:

1. the cell (run with real numpy / jax.numpy / math, one float at a time)
   computes the same function as the hand-written mpmath version
   ``mp_function``;
2. the hand-written numpy derivative agrees with ``mpmath.diff`` of
   ``mp_function`` at 40 significant digits, on every point of the grid the
   corpus tests use;
3. corners are inside the domain and off the grid.

So the hand derivatives are a trustworthy ground truth for test_corpus.py.
"""

from __future__ import annotations

import ast
import inspect

import jax
import mpmath
import numpy as np
import pytest
from corpus import CORPUS, POINTS, Case, cell_function, function_name
from mpmath import mp

# jax.numpy cells are evaluated in double precision, as diffmagic does.
jax.config.update("jax_enable_x64", True)

IDS = [case.id for case in CORPUS]


def test_corpus_is_large_and_ids_are_unique() -> None:
    assert len(CORPUS) >= 34
    assert len(set(IDS)) == len(IDS)
    for case in CORPUS:
        assert case.id.isidentifier(), case.id


def test_corpus_covers_the_required_kinds_of_function() -> None:
    sources = "\n".join(case.source for case in CORPUS)
    for needle in [
        "np.exp(-2*x) + 3*np.sin(3*x)",
        "2*x**3 - 3*x**2 + 5",
        "for i in range(3)",
        "np.sinh",
        "np.log1p",
        "np.expm1",
        "np.arctan",
        "np.sqrt",
        "np.where(x > 0, x**2, -x)",
        "np.maximum(0, x)",
        "math.sin",
        "math.exp",
        "from numpy import *",
        "import jax.numpy as jnp",
        "abs(x)",
        "max(",
        "min(",
        "np.sum(",
    ]:
        assert needle in sources, needle
    orders = [case.order for case in CORPUS]
    assert orders.count(2) >= 4
    assert 3 in orders
    assert any(case.wrt is not None for case in CORPUS)
    assert any(case.params and case.wrt is None for case in CORPUS)
    assert any(case.func is not None for case in CORPUS)
    assert any(case.kinks for case in CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_case_fields_are_consistent(case: Case) -> None:
    lo, hi = case.domain
    assert lo < hi
    assert case.order in (1, 2, 3)
    assert case.mp_function is not None
    tree = ast.parse(case.source)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert function_name(case) in names
    if case.func is not None:
        # func matters only when it is not the last def
        assert case.func != names[-1]
    namespace: dict = {}
    exec(case.source, namespace)
    parameters = inspect.signature(namespace[function_name(case)]).parameters
    if case.wrt is not None:
        assert case.wrt in parameters
    wrt = case.wrt or next(iter(parameters))
    for name in case.params or {}:
        assert name in parameters and name != wrt
    # every other parameter has a value: from params or from a default
    for name, parameter in parameters.items():
        if name != wrt:
            assert name in (case.params or {}) or parameter.default is not inspect.Parameter.empty


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_kinks_are_inside_the_domain_and_off_the_grid(case: Case) -> None:
    for kink in case.kinks:
        assert case.domain[0] < kink < case.domain[1]
        assert np.min(np.abs(case.grid - kink)) > 1e-3


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_cell_computes_the_mp_function(case: Case) -> None:
    f = cell_function(case)
    with mp.workdps(40):
        expected = np.array([float(case.mp_function(mp.mpf(float(t)))) for t in case.grid])
    got = np.array([float(f(np.float64(t))) for t in case.grid])
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_hand_derivative_matches_mpmath(case: Case) -> None:
    grid = case.grid
    hand = case.derivative(grid)
    assert isinstance(hand, np.ndarray)
    assert hand.shape == grid.shape
    assert hand.dtype == np.float64
    assert np.all(np.isfinite(hand))
    with mp.workdps(40):
        reference = np.array(
            [float(mpmath.diff(case.mp_function, mp.mpf(float(t)), n=case.order)) for t in grid]
        )
    scale = max(1.0, float(np.max(np.abs(reference))))
    error = np.max(np.abs(hand - reference))
    assert error <= 1e-12 * scale, f"hand derivative off by {error:g} (scale {scale:g})"


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_hand_derivative_is_elementwise(case: Case) -> None:
    grid = case.grid
    vector = case.derivative(grid)
    pointwise = np.array([case.derivative(np.array([t]))[0] for t in grid])
    np.testing.assert_array_equal(vector, pointwise)


def test_grid_size_is_the_one_the_corpus_tests_use() -> None:
    assert POINTS == 100
    assert all(case.grid.shape == (100,) for case in CORPUS)
