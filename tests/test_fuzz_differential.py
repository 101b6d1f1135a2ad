"""Differential fuzz: random learner-style programs, every row right or failed with a reason.

Each example is a cell from `fuzz_programs.programs()` (np/jnp/math/bare names, Python
max/min/abs, where, if, loops, helpers, in-place operations, closures) handed to
`diffmagic.compare` as text or as the callable the cell defines. Every row must be either

* ok, with f' within its method's tolerance of the exact mpmath oracle at every point the
  oracle judges (away from kinks, jumps and the edges of f's domain), or
* not ok, with a one-line reason.

There is no third outcome, and no exception but `DiffMagicError` (one line) leaves compare().
Before diffmagic is asked anything, the cell's own f is checked against the oracle's f, so a
failure here is diffmagic's, not the generator's.

Profiles (tests/conftest.py): "ci" runs 50 derandomised programs; `HYPOTHESIS_PROFILE=dev`
runs 2,000 fresh ones.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from fuzz_programs import Oracle, Program, cell_values, mp_function, programs, run_cell
from hypothesis import assume, given, note

import diffmagic
from diffmagic.methods.jax_engine import float64

#: Tolerance of each kind of row, relative to the largest |f'| on the judged grid points, by the
#: precision the row says f computes in: a row that says "float32" (a jitted f without x64,
#: np.float32 inside) is held to float32's round-off, one that says nothing to float64's.
RELATIVE_TOLERANCE = {
    "float64": {"exact": 1e-8, "finite_difference": 1e-5},
    "float32": {"exact": 1e-5, "finite_difference": 1e-2},
}
#: Relative round-off of f's values by precision, for np.gradient's bound.
ROUNDOFF = {"float64": 1e-12, "float32": 4 * 2.0**-23}
#: How each row key is judged: exact derivatives, adaptive or stencil differences, np.gradient.
KIND_OF_ROW = {
    "symbolic": "exact",
    "symbolic@jax": "exact",
    "automatic": "exact",
    "finite_difference": "finite_difference",
    "finite_difference@jax": "finite_difference",
    "numerical": "numerical",
    "numerical@jax": "numerical",
}


def _one_line(text: object) -> bool:
    return isinstance(text, str) and bool(text.strip()) and "\n" not in text


def _check_generator(program: Program, oracle: Oracle, cell: np.ndarray) -> None:
    """The test's own two halves agree: the cell's f is the oracle's f, and the oracle's f'
    is mpmath.diff's, so a mismatch later is diffmagic's."""
    judged = oracle.judged("exact", cell)
    if not np.any(judged):
        return
    scale = 1.0 + float(np.max(np.abs(oracle.f[judged])))
    gap = np.abs(cell[judged] - oracle.f[judged])
    agreement = 1e-4 if program.single_precision else 1e-8  # np.float32(...) rounds to 6e-8
    assert np.all(gap <= agreement * scale), (
        "generator bug: cell and oracle differ",
        program.source,
    )
    function = mp_function(program)
    with mpmath.workdps(30):
        for index in np.flatnonzero(judged)[:: max(1, int(judged.sum()) // 3)][:3]:
            point = float(oracle.grid[index])
            numeric = float(mpmath.diff(function, mpmath.mpf(point)))
            exact = float(oracle.d1[index])
            assert abs(numeric - exact) <= 1e-12 * (1 + abs(exact)), (
                "generator bug: the jet's f' is not mpmath.diff's",
                point,
                program.source,
            )


def _compare(program: Program, function: object) -> diffmagic.Comparison | None:
    """diffmagic's comparison, or None when it refused with a one-line DiffMagicError."""
    if program.pass_as == "callable":
        given_f, func = function, None
    else:
        given_f = program.source
        func = "f" if program.needs_func or program.pass_as == "text+func" else None
    try:
        return diffmagic.compare(
            given_f,
            domain=program.domain,
            points=program.points,
            methods=program.methods,
            engines=program.engines,
            func=func,
        )
    except diffmagic.DiffMagicError as error:
        assert _one_line(str(error)), f"DiffMagicError is not one line: {error!r}"
        note(f"refused: {error}")
        return None


def _check_row(
    row: diffmagic.MethodResult, oracle: Oracle, cell: np.ndarray, program: Program
) -> None:
    if not row.ok:
        assert _one_line(row.error), f"{row.key} failed without a one-line reason: {row.error!r}"
        return
    kind = KIND_OF_ROW[row.key]
    assert row.values is not None, f"{row.key} is ok without values"
    values = np.asarray(row.values, dtype=float)
    assert values.shape == oracle.grid.shape, (row.key, values.shape)
    exact_points = oracle.judged("exact", cell)
    # The scale of f': its largest size, but no less than a thousandth of the largest value f
    # computes on the way (a derivative computed in floating point carries round-off of that
    # size, even where f' is 0).
    scale = max(
        float(np.max(np.abs(oracle.d1[exact_points]), initial=0.0)),
        1e-3 * float(np.max(np.abs(oracle.f[exact_points]), initial=0.0)),
        1e-3 * float(np.max(oracle.largest[exact_points], initial=0.0)),
        1e-12,
    )
    judged = oracle.judged(kind, cell)
    precision = getattr(row, "precision", "float64")
    if kind == "numerical":
        # np.gradient differences f's own values, so their round-off is f's: float32's when f
        # computes in float32, whatever the row says (whether it says so is a finding of its
        # own in test_fuzz_findings.py). Every other row is held to the precision it states.
        f_precision = "float32" if program.single_precision or program.jit else precision
        tolerance = oracle.gradient_bound(cell, scale, ROUNDOFF[f_precision])
    else:
        tolerance = np.full(oracle.grid.shape, RELATIVE_TOLERANCE[precision][kind] * scale)
    error = np.abs(values - oracle.d1)
    wrong = judged & ~(error <= tolerance)  # NaN and inf are wrong too
    if np.any(wrong):
        index = int(np.flatnonzero(wrong)[np.argmax(np.nan_to_num(error[wrong], nan=np.inf))])
        raise AssertionError(
            f"{row.key} says ok but is wrong at {int(wrong.sum())} of {int(judged.sum())} judged "
            f"points; at x = {oracle.grid[index]!r}: {values[index]!r}, exact "
            f"{oracle.d1[index]!r}, tolerance {tolerance[index]:.3g} (engine {row.engine}, "
            f"{precision}, notes {row.notes})\n{program.source}"
        )


@pytest.mark.slow  # 50 programs with every method: 20-40 s on two shared cores
@given(programs())
def test_every_row_is_ok_and_right_or_fails_with_a_reason(program: Program) -> None:
    source = program.source
    note(source)
    note(
        f"domain={program.domain} points={program.points} methods={program.methods} "
        f"engines={program.engines} pass_as={program.pass_as} jit={program.jit}"
    )
    grid = np.linspace(program.domain[0], program.domain[1], program.points)
    oracle = Oracle(program, grid)
    with float64():  # the cell may use jnp: its own values in float64, as NumPy computes them
        function = run_cell(source)
        cell = cell_values(function, grid)
    _check_generator(program, oracle, cell)
    assume(np.mean(oracle.defined & np.isfinite(cell)) >= 0.6)  # "mostly defined"

    comparison = _compare(program, run_cell(source) if program.pass_as == "callable" else None)
    if comparison is None:
        return
    if program.must_refuse and not program.jit:
        # (under jit np.max(u, 0) fails for a traced u, and of a constant is that constant)
        ok_rows = [row.key for row in comparison if row.ok]
        assert not ok_rows, f"a reduction over axis 0 has no pointwise meaning: {ok_rows} ok"
        return
    for row in comparison:
        _check_row(row, oracle, cell, program)
    assert np.array_equal(comparison.x, grid), "cmp.x is not the grid (f changed its argument?)"
