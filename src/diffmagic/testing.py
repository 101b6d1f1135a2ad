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

from diffmagic.api.check import GradientCheck, check_gradient

__all__ = ["assert_gradient"]


def assert_gradient(f: Any, grad: Callable[[Any], Any], at: Any, **kwargs: Any) -> GradientCheck:
    """Raise AssertionError (message: the check's plain-text table) unless grad is right at `at`.

    Takes the arguments of `check_gradient` (rtol, atol, mode, directions, seed, time_limit);
    returns the check when it passes. A check with no verdict (nothing confirms the reference,
    or f jumps at the point) fails too: a test suite must not pass on a reference nothing
    vouches for. f is compiled once and reused by the later calls of a suite. Bad input
    raises DiffMagicError, as `check_gradient` does.
    """
    check = check_gradient(f, grad, at, **kwargs)
    if not check.passed:
        raise AssertionError("\n" + check.table())
    return check
