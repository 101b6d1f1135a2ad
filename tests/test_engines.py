"""Methods on engines: SymPy's derivative, np.gradient and finite differences compiled by JAX."""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic
from diffmagic.methods import select
from diffmagic.methods.jax_engine import bucket_size


def test_both_engines_give_a_row_each_and_name_it() -> None:
    comparison = diffmagic.compare("exp(-2*x) + 3*sin(3*x)", engines=("numpy", "jax"))
    engines = {row.key: row.engine for row in comparison}
    assert list(engines) == [
        "symbolic",
        "symbolic@jax",
        "numerical",
        "numerical@jax",
        "finite_difference",
        "finite_difference@jax",
        "automatic",
    ]
    assert engines["symbolic@jax"] == "jax jit(lambdify)"
    assert engines["numerical@jax"] == "jax jit(np.gradient formula)"
    assert engines["finite_difference@jax"].startswith("jax jit(5-point stencil")
    assert comparison["symbolic@jax"].max_rel_error < 1e-14
    assert comparison["fd@jax"].max_rel_error < 1e-8
    assert str(comparison["finite_difference@jax"].work) == "4 evaluations of f per point"


def test_a_method_without_the_engine_asked_for_runs_on_its_own() -> None:
    assert select(("numerical", "automatic"), engines="jax") == (
        "numerical@jax",
        "finite_difference@jax",
        "automatic",
    )
    assert select("automatic", engines="numpy") == ("automatic",)
    assert select("symbolic@jax") == ("symbolic@jax",)
    with pytest.raises(diffmagic.DiffMagicError, match="engine"):
        select("symbolic", engines="gpu")


@pytest.mark.parametrize("order", [1, 2, 3])
def test_the_jax_stencil_is_accurate_for_each_order(order: int) -> None:
    comparison = diffmagic.compare(
        "sin(x)", methods=("finite_difference",), engines="jax", order=order
    )
    row = comparison["finite_difference@jax"]
    assert row.ok and row.max_rel_error < {1: 1e-10, 2: 1e-8, 3: 1e-5}[order]


def test_a_constant_derivative_compiled_by_jax_fills_the_grid() -> None:
    comparison = diffmagic.compare("3*x", methods=("symbolic",), engines="jax", points=7)
    assert np.array_equal(comparison["symbolic@jax"].values, np.full(7, 3.0))


def test_padding_to_a_few_lengths_does_not_change_any_value() -> None:
    assert [bucket_size(n) for n in (1, 100, 1024, 1025, 5000)] == [1024] * 3 + [2048, 8192]
    derivative = diffmagic.compare("sin(x)", methods=("automatic",))["jax"].derivative
    points = np.linspace(-3, 3, 1500)
    assert np.array_equal(derivative(points[:10]), derivative(points)[:10])
    assert derivative(np.array([[0.0, 1.0], [2.0, 3.0]])).shape == (2, 2)


def _np_gradient_by_hand(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """np.gradient(values, x), edge_order 1, as NumPy's documentation writes it."""
    out = np.empty_like(values)
    out[0] = (values[1] - values[0]) / (x[1] - x[0])
    out[-1] = (values[-1] - values[-2]) / (x[-1] - x[-2])
    h1, h2 = x[1:-1] - x[:-2], x[2:] - x[1:-1]
    out[1:-1] = (
        -h2 / (h1 * (h1 + h2)) * values[:-2]
        + (h2 - h1) / (h1 * h2) * values[1:-1]
        + h1 / (h2 * (h1 + h2)) * values[2:]
    )
    return out


def _rounding(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """What rounding the values can move a difference quotient by, at each point."""
    padded = np.concatenate([values[:1], values, values[-1:]])
    size = np.abs(padded[:-2]) + np.abs(padded[1:-1]) + np.abs(padded[2:])
    steps = np.diff(x)
    nearest = np.minimum(np.concatenate([steps[:1], steps]), np.concatenate([steps, steps[-1:]]))
    return 16 * np.finfo(float).eps * size / nearest


GRIDS = {
    "uniform": np.linspace(-2.0, 3.0, 101),
    "uneven": np.sort(np.random.default_rng(7).uniform(-2.0, 3.0, 57)),
    "two points": np.array([0.5, 1.25]),
}


@pytest.mark.parametrize("grid", GRIDS.values(), ids=GRIDS.keys())
@pytest.mark.parametrize(
    ("source", "f"),
    [
        ("x**2", lambda x: x**2),
        ("exp(-2*x) + 3*sin(3*x)", lambda x: np.exp(-2 * x) + 3 * np.sin(3 * x)),
    ],
)
def test_np_gradient_on_jax_is_np_gradients_formula_to_rounding(source, f, grid) -> None:
    row = diffmagic.compare(source, methods=("numerical",), engines="jax")["numerical@jax"]
    got = row.prepared.derivative(grid)
    values = f(grid)
    assert np.all(np.abs(got - _np_gradient_by_hand(values, grid)) <= _rounding(values, grid))


def test_np_gradient_on_jax_recomputes_a_cheap_f_in_its_one_pass() -> None:
    # x**2 is fused with the differences: f at each point's two neighbours too (3 a point).
    square = diffmagic.compare("x**2", methods=("numerical",), engines="jax")["numerical@jax"]
    assert str(square.work) == "3 evaluations of f per point"
    grid = GRIDS["uneven"]
    # The three-point formula is exact for a parabola inside; the ends are one-sided.
    got = square.prepared.derivative(grid)
    assert np.allclose(got[1:-1], 2 * grid[1:-1], rtol=1e-12, atol=1e-12)
    assert np.isclose(got[0], grid[0] + grid[1]) and np.isclose(got[-1], grid[-2] + grid[-1])
    # exp and sin are not recomputed: evaluated once, their values differenced in a pass.
    costly = diffmagic.compare("exp(-2*x) + 3*sin(3*x)", methods=("numerical",), engines="jax")
    assert str(costly["numerical@jax"].work) == "1 evaluation of f per point"


def test_np_gradient_on_jax_of_a_second_derivative_differences_twice() -> None:
    row = diffmagic.compare("x**3", methods=("numerical",), engines="jax", order=2)
    grid = GRIDS["uneven"]
    once = _np_gradient_by_hand(grid**3, grid)
    twice = _np_gradient_by_hand(once, grid)
    got = row["numerical@jax"].prepared.derivative(grid)
    assert np.all(np.abs(got - twice) <= 1e-6 * np.max(np.abs(twice)))
    with pytest.raises(ValueError, match="at least two points"):
        row["numerical@jax"].prepared.derivative(np.array([1.0]))
