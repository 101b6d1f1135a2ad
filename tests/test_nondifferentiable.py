"""Points where f' does not exist, found from NumPy's own f when SymPy cannot see them.

np.floor, np.mod, arctan2's branch cut and steps and corners written with Python `if` are
invisible to SymPy (it cannot trace them, or reads no |.| in them); f's values show them. Each
expected point and kind is written by hand here: floor jumps at the integers, mod(x, 1.3) at
the multiples of 1.3, arctan2(x, -1) at 0 (its branch cut), relu has a corner at 0, ...

Smooth functions, however steep (exp on -5..5, the lab's composed polynomial, sin(1000 x) on a
coarse grid), must give none: the search is conservative.
"""

from __future__ import annotations

import numpy as np
import pytest

from diffmagic import compare
from diffmagic.analysis import singular_values as values_search


def micrograd_relu(x):
    return 0 if x < 0 else x


def lab_step(x):
    """The lab's dfdx_abs: a step written with `if`, with no value at 0."""
    if x > 0:
        return 1
    else:
        if x < 0:
            return -1
        else:
            return None


def cusp_with_if(x):
    return np.sqrt(x) if x > 0 else np.sqrt(-x)


def cube_root_as_float(x):
    return float(np.cbrt(x))


def reciprocal_as_float(x):
    return 1.0 / float(x)


def lab_composed_polynomial(x):
    for _ in range(3):
        x = 2 * x**3 - 3 * x**2 + 5
    return x


def kinds(comparison) -> list[tuple[float, str]]:
    return [(point.x, point.kind) for point in comparison.singularities]


# ----------------------------------------------------------------------------- found and named


def test_floor_jumps_at_every_integer_inside_the_domain() -> None:
    comparison = compare(lambda x: np.floor(x), methods="numerical")
    # -5 and 5 are the domain's ends: f is never asked beyond them, so they are not judged.
    assert kinds(comparison) == [(float(k), "jump") for k in range(-4, 5)]


def test_mod_jumps_at_every_multiple_of_its_period() -> None:
    comparison = compare(lambda x: np.mod(x, 1.3), methods="numerical")
    expected = [1.3 * k for k in range(-3, 4)]
    assert comparison.nondifferentiable == pytest.approx(expected, abs=1e-12)
    assert {point.kind for point in comparison.singularities} == {"jump"}


def test_arctan2s_branch_cut_is_a_jump() -> None:
    comparison = compare(lambda x: np.arctan2(x, -1.0), methods="numerical")
    assert kinds(comparison) == [(0.0, "jump")]


@pytest.mark.parametrize(
    ("function", "kind"),
    [
        (micrograd_relu, "corner"),
        (lab_step, "jump"),
        (cusp_with_if, "cusp"),
        (cube_root_as_float, "vertical tangent"),
        (reciprocal_as_float, "undefined"),
    ],
    ids=["micrograd_relu", "lab_step", "cusp", "vertical_tangent", "undefined"],
)
def test_points_sympy_cannot_trace_are_found_and_classified(function, kind: str) -> None:
    comparison = compare(function, methods="numerical")
    assert kinds(comparison) == [(0.0, kind)]


def test_for_f_a_corner_of_f_is_a_jump_of_f_prime() -> None:
    comparison = compare(micrograd_relu, order=2, methods="numerical")
    assert kinds(comparison) == [(0.0, "jump")]
    assert any("relu'' does not exist at x = 0: a jump of" in note for note in comparison.notes)


def test_a_jump_is_left_out_of_the_errors_and_each_method_says_its_value_there() -> None:
    comparison = compare(lambda x: np.floor(x), domain=(-4.5, 4.5), points=91)
    # x = 0 is a grid point, on floor's jump: it is not measured, so the rows with a
    # derivative are measured only where floor' = 0 exists (SymPy has none of floor to give,
    # so JAX stands in; differences whose first step crosses a jump may still be flagged).
    assert 0.0 in comparison.x and 0.0 in comparison.nondifferentiable
    for key in ("finite_difference", "automatic"):
        assert comparison[key].values is not None, comparison[key].error
        assert comparison[key].max_abs_error is not None
        assert comparison[key].max_abs_error < 1e-9, comparison[key].error
    assert comparison["automatic"].status.startswith("reference")
    # JAX's convention at a jump of floor: 0, its derivative on either side.
    assert comparison["automatic"].at_singularities[0.0] == 0.0
    assert any("x = 0: a jump of f" in note for note in comparison.notes)


def test_the_jumps_are_drawn_in_the_figure_with_one_legend_entry() -> None:
    import matplotlib.pyplot as plt

    comparison = compare(lambda x: np.mod(x, 1.3), methods="numerical")
    figure = comparison.figure()
    try:
        lines = [line for axes in figure.axes for line in axes.get_lines()]
        marked = sorted(float(line.get_xdata()[0]) for line in lines if line.get_linestyle() == ":")
        labels = [line.get_label() for line in lines]
    finally:
        plt.close(figure)
    assert marked == pytest.approx([1.3 * k for k in range(-3, 4)], abs=1e-12)
    assert "jumps at x=-3.9, -2.6, …, 3.9 (7)" in labels


# ----------------------------------------------------------------------------- smooth: none


@pytest.mark.parametrize(
    ("function", "domain", "points"),
    [
        (np.exp, (-5.0, 5.0), 100),
        (lab_composed_polynomial, (-5.0, 5.0), 100),
        (lambda x: np.sin(1e3 * x), (-5.0, 5.0), 100),
        (lambda x: np.tanh(1e6 * x), (-5.0, 5.0), 100),
        # tanh(9|x|) - 1 rounds to steps of 1e-16 in float64; SymPy's f at 30 digits has none.
        (lambda x: np.tanh(9 * np.abs(x)) - 1.0, (-3.0, -2.0), 30),
    ],
    ids=["exp", "composed_polynomial", "sin_1e3x", "tanh_1e6x", "tanh_rounding_steps"],
)
def test_smooth_functions_however_steep_have_no_such_point(function, domain, points) -> None:
    comparison = compare(function, domain=domain, points=points, methods="numerical")
    assert comparison.nondifferentiable == []


# ----------------------------------------------------------------------------- the search itself

GRID = np.linspace(-5.0, 5.0, 100)


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (lambda x: np.clip(x, -1.0, 2.0), [(-1.0, "corner"), (2.0, "corner")]),
        (lambda x: np.abs(np.sin(x)), [(-np.pi, "corner"), (0.0, "corner"), (np.pi, "corner")]),
        (lambda x: np.exp(x) + (x > 2), [(2.0, "jump")]),
        (lambda x: np.where(x > 1, x**2, 2 * x), [(1.0, "jump")]),
        (lambda x: np.abs(x) ** (2 / 3), [(0.0, "cusp")]),
        (lambda x: 1e-12 * np.abs(x - 0.7), [(0.7, "corner")]),
        (lambda x: np.abs(x - 1 / 3), [(1 / 3, "corner")]),
    ],
    ids=["clip", "abs_sin", "exp_plus_step", "where_jump", "abs_two_thirds", "tiny", "third"],
)
def test_the_search_finds_each_break_where_it_is(function, expected) -> None:
    for grid in (GRID, np.linspace(-5.0, 5.0, 101), np.linspace(-5.0, 5.0, 10_000)):
        found = values_search.search(grid, function)
        assert [kind for _, _, kind in found] == [kind for _, kind in expected]
        assert [x for x, _, _ in found] == pytest.approx([x for x, _ in expected], abs=1e-12)


@pytest.mark.parametrize(
    ("function", "domains"),
    [
        (np.sin, ((-5.0, 5.0), (-1e-3, 1e-3), (0.0, 100.0))),
        # An edge of f's domain is no point inside it.
        (np.sqrt, ((-5.0, 5.0), (-1e-3, 1e-3), (0.0, 100.0))),
        # Rounds to steps of 1.5e-8: on a grid much coarser than that, rounding is no jump.
        (lambda x: (x + 1e8) - 1e8, ((-5.0, 5.0), (0.0, 100.0))),
        (lambda x: np.exp(-(x**2)) * np.sin(50 * x), ((-5.0, 5.0), (-1e-3, 1e-3), (0.0, 100.0))),
        (lambda x: np.sin(x) + 1e-9 * np.sin(1e7 * x), ((-5.0, 5.0), (0.0, 100.0))),
        (lambda x: np.exp(-1e4 * x**2), ((-5.0, 5.0), (-1e-3, 1e-3), (0.0, 100.0))),
    ],
    ids=["sin", "sqrt", "rounding_steps", "wave_packet", "small_wiggle", "narrow_bump"],
)
def test_the_search_finds_nothing_in_a_smooth_function(function, domains) -> None:
    for domain in domains:
        for points in (10, 100, 1000):
            assert values_search.search(np.linspace(*domain, points), function) == []
