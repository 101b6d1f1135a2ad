"""diffmagic's own bugs are diffmagic's: named so, traceback kept, never "f raised ..."."""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic
from diffmagic.methods import finite_difference


def cubic(x):
    return x**3 - 2 * x


@pytest.fixture
def broken_finite_differences(monkeypatch):
    """A deliberately broken internal step: preparing finite differences calls None."""
    monkeypatch.setattr(finite_difference, "CountingFunction", None)


def test_an_internal_bug_is_named_as_diffmagics_with_its_traceback(broken_finite_differences):
    comparison = diffmagic.compare(cubic, points=21, cache=False)
    row = comparison["finite_difference"]
    assert row.status == "failed"
    assert row.error.startswith("internal error in diffmagic: TypeError")
    assert "please report" in row.error and "f raised" not in row.error
    assert "finite_difference.py" in diffmagic.last_internal_traceback()
    # The other methods are untouched and right (3x^2 - 2 by hand).
    grid = comparison.x
    for key in ("symbolic", "automatic"):
        assert comparison[key].status == "ok"
        np.testing.assert_allclose(comparison[key].values, 3 * grid**2 - 2, rtol=1e-12)


def test_debug_raises_the_internal_error_as_it_is(broken_finite_differences):
    before = diffmagic.debug()
    try:
        with pytest.raises(TypeError, match="NoneType"):
            diffmagic.compare(cubic, points=21, cache=False, methods=["finite_difference"])
    finally:
        diffmagic.debug(before)


def test_the_learners_own_type_error_stays_the_learners():
    def f(x):
        return None + x

    comparison = diffmagic.compare(f, points=11, cache=False, methods=["finite_difference"])
    reason = comparison["finite_difference"].error
    assert "f raised TypeError" in reason and "internal error" not in reason
