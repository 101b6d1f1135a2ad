"""diffmagic.testing.assert_gradient: for test suites, custom JAX rules included."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from diffmagic import DiffMagicError
from diffmagic.analysis.check_reference import CENTRAL, JAX_REVERSE
from diffmagic.testing import assert_gradient

W = np.array([0.3, -1.2, 2.0, 0.7])


def test_a_correct_gradient_passes_and_returns_the_check():
    check = assert_gradient(lambda w: np.sum(w**3), lambda w: 3 * w**2, W)
    assert check.passed


def test_a_wrong_gradient_raises_with_the_table():
    with pytest.raises(AssertionError) as caught:
        assert_gradient(lambda w: np.sum(w**3), lambda w: 3 * w**2 * np.sign(w), W)
    message = str(caught.value)
    assert "gradient check FAILED" in message
    assert "w[1]" in message and "WRONG" in message
    assert "coordinate" in message and "reference" in message


def test_bad_input_is_a_diffmagic_error_not_an_assertion():
    with pytest.raises(DiffMagicError):
        assert_gradient(lambda w: np.sum(w**3), lambda w: 3 * w[:2] ** 2, W)


def _softplus_with_rule(factor: float):
    """softplus with a hand-written custom_vjp whose backward pass is `factor` × sigmoid."""
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def softplus(x):
        return jnp.log1p(jnp.exp(x))

    def forward(x):
        return softplus(x), x

    def backward(x, cotangent):
        return (cotangent * factor * jax.nn.sigmoid(x),)

    softplus.defvjp(forward, backward)

    def loss(w):
        return jnp.sum(softplus(w) * jnp.arange(1.0, 5.0))

    return loss


@pytest.mark.slow
def test_a_correct_custom_vjp_passes_against_an_independent_reference():
    import jax

    loss = _softplus_with_rule(1.0)
    check = assert_gradient(loss, jax.grad(loss), W)
    # JAX would use the rule under test, so it is not the reference here.
    assert check.reference_name != JAX_REVERSE
    assert "custom_vjp" in check.table()


def test_a_wrong_custom_vjp_is_caught():
    import jax

    loss = _softplus_with_rule(2.0)
    with pytest.raises(AssertionError) as caught:
        assert_gradient(loss, jax.grad(loss), W)
    message = str(caught.value)
    assert "gradient check FAILED" in message and "w[3]" in message
    assert CENTRAL in message or "exact" in message


def test_a_wrong_custom_vjp_inside_a_jitted_helper_is_caught():
    import jax

    inner = _softplus_with_rule(2.0)
    loss = jax.jit(inner)  # the rule now sits inside a sub-program of the trace
    with pytest.raises(AssertionError):
        assert_gradient(loss, jax.grad(loss), W)


def test_a_wrong_custom_jvp_is_caught():
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def cube(x):
        return x**3

    @cube.defjvp
    def cube_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return cube(x), 2 * x**2 * t  # should be 3 x**2

    def loss(w):
        return jnp.sum(cube(w))

    with pytest.raises(AssertionError):
        assert_gradient(loss, jax.grad(loss), W)


@pytest.mark.slow
def test_assert_gradient_fails_inside_a_real_pytest_run(tmp_path: Path):
    test_file = tmp_path / "test_users_gradient.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import numpy as np
            from diffmagic.testing import assert_gradient

            X = np.arange(12.0).reshape(4, 3) / 10

            def loss(w):
                return np.sum((X @ w - 1.0) ** 2)

            def my_grad(w):
                return X.T @ (X @ w - 1.0)  # the 2 forgotten

            def test_my_gradient():
                assert_gradient(loss, my_grad, np.array([0.5, -0.25, 1.0]))
            """
        )
    )
    source = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(source)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "AssertionError" in run.stdout
    assert "gradient check FAILED" in run.stdout
    assert "w[0]" in run.stdout and "WRONG" in run.stdout
    assert "1 failed" in run.stdout
