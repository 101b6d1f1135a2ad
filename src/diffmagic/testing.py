"""Assertions for test suites: `assert_gradient` fails with the table of the worst coordinates.

A failing `jax.test_util.check_grads` says "Jacobian mismatch"; a failing `assert_gradient`
prints, in the pytest output, which coordinates are off, by how much, and against which
reference. A `jax.custom_vjp` / `custom_jvp` rule is checked by passing the function that uses
it, with `grad=jax.grad(f)`: the reference is then not JAX itself (it would check the rule
against itself) but the exact gradient or central differences, and the table says which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diffmagic.api.check import DEFAULT_SEED, GradientCheck, check_gradient
from diffmagic.limits import bounds

__all__ = ["assert_gradient"]


def assert_gradient(
    f: Any,
    grad: Callable[[Any], Any],
    at: Any,
    rtol: float | None = None,
    atol: float | None = None,
    mode: str | None = None,
    directions: int | None = None,
    seed: int = DEFAULT_SEED,
    time_limit: float = bounds.METHOD_SECONDS,
) -> GradientCheck:
    """Raise AssertionError (message: the check's plain-text table) unless grad is right at `at`.

    A check with no verdict (nothing confirms the reference, or f jumps at the point) fails
    too: a test suite must not pass on a reference nothing vouches for. f is compiled once and
    reused by the later calls of a suite.

    Parameters
    ----------
    f, grad, at, rtol, atol, mode, directions, seed, time_limit
        As `diffmagic.check_gradient` takes them: the loss, your gradient of it, the
        parameters (an array or a dict / list / tuple of arrays) and the check's options.

    Returns
    -------
    GradientCheck
        The check, when it passes.

    Raises
    ------
    AssertionError
        When the check does not pass; its message is the table of the worst coordinates.
    DiffMagicError
        Bad input, as `check_gradient` raises it.

    Examples
    --------
    >>> import numpy as np
    >>> from diffmagic.testing import assert_gradient
    >>> assert_gradient(lambda w: np.sum(w**3), lambda w: 3 * w**2, np.array([1.0, -2.0])).passed
    True
    >>> assert_gradient(lambda w: np.sum(w**3), lambda w: 3 * w, np.array([1.0, -2.0]))
    Traceback (most recent call last):
    AssertionError:
    gradient check FAILED: 2 parameters, 1 coordinate wrong; worst w[1]
    ...
    """
    check = check_gradient(f, grad, at, rtol, atol, mode, directions, seed, time_limit)
    if not check.passed:
        raise AssertionError("\n" + check.table())
    return check
