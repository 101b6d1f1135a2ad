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
    assert engines["numerical@jax"] == "jax jit(jnp.gradient)"
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
