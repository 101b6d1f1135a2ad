"""Differential fuzz for gradients and Jacobians: every row right, or not ok with a reason.

Each example is a random function of 1 to 200 parameters from `fuzz_losses.programs()` (an
array or a pytree of arrays, float64 or float32, smooth or with kinks at or near the point,
sometimes returning float32 or calling what SymPy cannot follow), handed to
`diffmagic.compare_gradient` (its sum) or `diffmagic.compare_jacobian`, with a random choice of
methods. Every row must be either

* ok, and within its method's promise ("What ok means" in the README) of the exact mpmath
  oracle (30 digits, the chain rule by hand), or
* not ok, with a one-line reason;

and where the derivative does not exist at the point (a kink's argument exactly 0), no row is
ok. No exception but a one-line `DiffMagicError` leaves diffmagic. Before diffmagic is asked,
the cell's own f is checked against the oracle's f, so a failure here is diffmagic's.

Profiles (tests/conftest.py): "ci" runs 50 derandomised programs (slow test) and the fast loop
three small ones; `HYPOTHESIS_PROFILE=dev` runs 2,000 fresh ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from fuzz_losses import Oracle, Program, programs, render, run_cell
from hypothesis import assume, given, note, settings

import diffmagic

#: What an ok row may be off by, relative to the scale of the derivative, by what the row
#: says it is (the README's "What ok means").
TOLERANCE = {"exact": 1e-7, "numerical": 1e-5, "numerical (float32)": 3e-3}


def _one_line(text: object) -> bool:
    return isinstance(text, str) and bool(text.strip()) and "\n" not in text


def _check_generator(program: Program, oracle: Oracle, function) -> None:
    """The cell's f is the oracle's f (so a mismatch later is diffmagic's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = np.asarray(function(program.point()), dtype=np.float64).reshape(-1)
    expected = oracle.values if program.jacobian else np.array([oracle.values.sum()])
    size = 1.0 + float(np.max(np.abs(expected))) + oracle.largest_term(program)
    agreement = 1e-6 if program.ending == "float32" or program.float32_point else 1e-9
    assert np.all(np.abs(value - expected) <= agreement * size), (
        "generator bug: cell and oracle differ",
        value,
        expected,
    )


def _compare(program: Program, function):
    given_f = render(program) if program.as_text else function
    options = {"func": "f"} if program.as_text else {}
    try:
        if program.jacobian:
            return diffmagic.compare_jacobian(
                given_f, program.point(), methods=program.methods, **options
            )
        return diffmagic.compare_gradient(
            given_f, program.point(), methods=program.methods, timing=False, **options
        )
    except diffmagic.DiffMagicError as error:
        assert _one_line(str(error)), f"DiffMagicError is not one line: {error!r}"
        note(f"refused: {error}")
        return None


def _row_values(program: Program, row) -> np.ndarray:
    """The row's derivative as one vector in the oracle's order (a gradient's pytree is read
    back through the program's own structure, not through diffmagic's flattening)."""
    if program.jacobian:
        return np.asarray(row.values, dtype=np.float64).reshape(-1)
    return program.flat(row.values)


def _check_row(key: str, row, program: Program, oracle: Oracle) -> None:
    if not row.ok:
        assert _one_line(row.error), f"{key} is {row.status} without a one-line reason"
        return
    exact, exists, f_size = oracle.expected(program)
    assert np.all(exists), f"{key} says {row.status} where the derivative does not exist"
    values = _row_values(program, row)
    assert values.shape == exact.shape, (key, values.shape, exact.shape)
    kind = "exact" if key != "numerical" else "numerical"
    if key == "numerical" and "float32" in row.status:
        kind = "numerical (float32)"
    scale = max(
        float(np.max(np.abs(exact))), 1e-8 * f_size, 1e-3 * oracle.largest_term(program), 1e-300
    )
    error = np.abs(values - exact)
    worst = int(np.argmax(np.nan_to_num(error, nan=np.inf)))
    assert error[worst] <= TOLERANCE[kind] * scale, (
        f"{key} says {row.status} but is off by {error[worst]:.3g} at index {worst} "
        f"(value {values[worst]!r}, exact {exact[worst]!r}, scale {scale:.3g}); "
        f"reference: {row_reference(row)}"
    )


def row_reference(row) -> str:
    return "reference row" if row.is_reference else "measured against the reference"


def _run(program: Program) -> None:
    source = render(program)
    note(source)
    note(
        f"at={program.point()!r} methods={program.methods} jacobian={program.jacobian} "
        f"ending={program.ending} as_text={program.as_text}"
    )
    oracle = Oracle(program)
    function = run_cell(source)
    _check_generator(program, oracle, function)
    assume(not oracle.unsure)
    comparison = _compare(program, function)
    if comparison is None:
        return
    note(str(comparison))
    for key in comparison:
        _check_row(key, comparison[key], program, oracle)
    _, exists, _ = oracle.expected(program)
    if not np.all(exists):
        assert not any(comparison[key].ok for key in comparison), "ok at a kink"


@pytest.mark.slow  # 50 programs with every method: about a minute on two shared cores
@given(programs())
def test_every_gradient_and_jacobian_row_is_ok_and_right_or_says_why(program: Program) -> None:
    _run(program)


@settings(max_examples=3, derandomize=True)
@given(programs(max_n=12))
def test_a_few_small_losses_in_the_fast_loop(program: Program) -> None:
    _run(program)
