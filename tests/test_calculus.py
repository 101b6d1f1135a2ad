"""The course's mathematics, pinned with cases whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic
from diffmagic.analysis.steps import StepStudy, difference_quotient, secant_table, step_study
from diffmagic.api.partials import gradient_field, partial_derivatives


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("abs(x)", "corner"),
        ("sqrt(abs(x))", "cusp"),
        ("sign(x)", "jump"),
        ("cbrt(x)", "vertical tangent"),
        ("maximum(x, 0)", "corner"),
        ("heaviside(x, 0.5)", "jump"),
    ],
)
def test_points_where_the_derivative_does_not_exist_are_classified(
    expression: str, kind: str
) -> None:
    comparison = diffmagic.compare(expression, domain=(-2, 3), points=100)
    assert comparison.nondifferentiable == [0.0]
    assert comparison.singularities[0].kind == kind
    assert f"x = 0: a {kind}" in comparison.table()


def test_a_differentiable_kink_free_function_has_no_such_point() -> None:
    # x|x| has derivative 2|x|, which exists everywhere (it has a corner only in f').
    comparison = diffmagic.compare("x*abs(x)", domain=(-2, 3))
    assert comparison.nondifferentiable == []
    second = diffmagic.compare("x*abs(x)", domain=(-2, 3), order=2)
    assert second.nondifferentiable == [0.0]
    assert "a corner of f'" in second.table()


def test_each_method_says_what_it_returns_at_abs_corner() -> None:
    comparison = diffmagic.compare("abs(x)", domain=(-5, 5), points=100)
    assert comparison["symbolic"].at_singularities[0.0] == 0.0  # SymPy: sign(0) = 0
    assert comparison["automatic"].at_singularities[0.0] == 1.0  # JAX's convention
    left, right = comparison["numerical"].at_singularities[0.0]
    assert (left, right) == pytest.approx((-0.5, 0.5))  # the lab's half-way values


@pytest.mark.slow
def test_the_singular_point_is_found_without_sympy_by_a_jump_check() -> None:
    source = "def f(x):\n    if x > 1.5:\n        return x - 1.5\n    return 1.5 - x\n"
    comparison = diffmagic.compare(source, domain=(-2, 3), points=100)
    assert not comparison["symbolic"].ok
    assert comparison.nondifferentiable == [pytest.approx(1.5, abs=1e-12)]
    assert comparison.singularities[0].kind == "corner"


def test_extrema_of_the_courses_cubic() -> None:
    comparison = diffmagic.compare("2*x**3 - 3*x**2 + 5", domain=(-2, 3), extrema=True)
    found = [(point.kind, point.x, point.f) for point in comparison.extrema]
    assert found == [("maximum", 0.0, 5.0), ("minimum", 1.0, 4.0)]
    assert "minimum at x = 1" in comparison.table()


def test_the_square_loss_is_smallest_at_the_mean_of_the_data() -> None:
    data = [1.0, 2.0, 4.5, 7.5]
    source = (
        f"import numpy as np\na = np.array({data})\ndef loss(x):\n    return np.sum((x - a)**2)\n"
    )
    comparison = diffmagic.compare(source, domain=(0, 10), extrema=True)
    [point] = comparison.extrema
    assert point.kind == "minimum"
    assert point.x == pytest.approx(np.mean(data), abs=1e-12)


@pytest.mark.slow
def test_extrema_without_sympy_come_from_sign_changes_of_jax() -> None:
    source = "def f(x):\n    if x > 100:\n        return 0.0\n    return (x - 0.7)**2 + 1\n"
    comparison = diffmagic.compare(source, domain=(-2, 3), extrema=True)
    [point] = comparison.extrema
    assert point.kind == "minimum" and point.found_by == "sign change of f'"
    assert point.x == pytest.approx(0.7, abs=1e-10)


def test_a_flat_point_that_is_no_extremum_is_neither() -> None:
    comparison = diffmagic.compare("x**3", domain=(-1, 1), extrema=True)
    assert [(p.kind, p.x) for p in comparison.extrema] == [("neither", 0.0)]


def test_the_corner_of_abs_is_a_minimum_where_f_prime_does_not_exist() -> None:
    comparison = diffmagic.compare("abs(x - 1)", domain=(-2, 3), extrema=True)
    [point] = comparison.extrema
    assert (point.kind, point.x) == ("minimum", 1.0)
    assert "corner" in point.found_by


def test_the_second_derivative_of_x_cubed_is_6x_by_every_method() -> None:
    comparison = diffmagic.compare("x**3", domain=(-2, 2), points=101, order=2)
    expected = 6 * comparison.x
    for key in ("symbolic", "finite_difference", "automatic"):
        assert np.max(np.abs(comparison[key].values - expected)) < 1e-6, key
    inner = slice(2, -2)  # np.gradient twice: one-sided at the two ends
    assert np.max(np.abs(comparison["numerical"].values[inner] - expected[inner])) < 1e-9


def test_the_labs_partial_derivatives_at_1_2() -> None:
    table = partial_derivatives("def f(x, y):\n    return 2*x**2 - x*y\n", {"x": 1, "y": 2})
    assert table.exact == {"x": 2.0, "y": -1.0}
    for label, partials in table.by_method.items():
        assert partials["x"] == pytest.approx(2.0, abs=1e-6), label
        assert partials["y"] == pytest.approx(-1.0, abs=1e-6), label
    assert "d/dx" in table.table()


def test_differentiating_along_y_with_x_fixed() -> None:
    comparison = diffmagic.compare(
        "def f(x, y):\n    return 2*x**2 - x*y\n", wrt="y", params={"x": 2}
    )
    assert np.allclose(comparison["automatic"].values, -2.0)


def test_the_gradient_field_needs_two_variables_and_draws_contours() -> None:
    figure = gradient_field("def f(x, y):\n    return x**2 + y**2\n", (-1, 1), (-1, 1))
    assert figure.axes[0].get_xlabel() == "x"
    with pytest.raises(diffmagic.DiffMagicError, match="two variables"):
        gradient_field("def f(x):\n    return x\n", (-1, 1), (-1, 1))


def test_the_best_central_step_in_float64_is_near_the_cube_root_of_eps() -> None:
    study = step_study(np.sin, 1.0, np.cos(1.0))
    best = study.best_step("central float64")
    textbook = StepStudy.textbook_step("central", "float64")
    assert textbook == pytest.approx(np.finfo(np.float64).eps ** (1 / 3))
    assert textbook / 10 <= best <= textbook * 10
    forward = study.best_step("forward float64")
    assert np.finfo(np.float64).eps ** 0.5 / 10 <= forward <= np.finfo(np.float64).eps ** 0.5 * 10
    # float32 round-off swamps small steps: its best error is far worse than float64's
    assert np.nanmin(study.errors["central float32"]) > 1e3 * np.nanmin(
        study.errors["central float64"]
    )


def test_secants_tend_to_the_tangent_until_round_off_takes_over() -> None:
    rows = secant_table(np.sin, 1.0, np.cos(1.0))
    errors = [error for _, _, error in rows]
    assert [dx for dx, _, _ in rows][:3] == [1.0, 0.1, 0.01]
    best = int(np.argmin(errors))
    assert 6 <= best <= 10  # dx near 1e-8 = sqrt(eps)
    assert all(errors[i + 1] < errors[i] for i in range(best - 1))  # truncation falls
    assert errors[-1] > 100 * errors[best]  # round-off rises


def test_difference_quotients_in_float32_and_float64() -> None:
    x = np.array([1.0])
    exact = np.cos(1.0)
    assert abs(difference_quotient(np.sin, x, 1e-5, "central", "float64")[0] - exact) < 1e-10
    assert abs(difference_quotient(np.sin, x, 1e-6, "central", "float32")[0] - exact) > 1e-3
    with pytest.raises(ValueError, match="scheme"):
        difference_quotient(np.sin, x, 1e-5, "sideways")


def test_the_cube_roots_symbolic_derivative_is_finite_left_of_zero() -> None:
    # simplify() would give 1/(3*Abs(x**(2/3))), which NumPy evaluates to NaN for x < 0.
    comparison = diffmagic.compare("cbrt(x)", domain=(-2, 2))
    symbolic = comparison["symbolic"]
    assert symbolic.nonfinite == 0 and symbolic.max_rel_error < 1e-12


def test_notes_speak_of_the_functions_own_variable() -> None:
    source = "import numpy as np\ndef loss(w):\n    return (w - 2.0)**2 + np.abs(w - 1)\n"
    comparison = diffmagic.compare(source, domain=(-3, 3), extrema=True)
    notes = " ".join(comparison.notes)
    assert "minimum at w = " in notes and "at w = 1: a corner of loss" in notes
    assert "loss' does not exist" in notes


def test_np_gradient_next_to_a_jump_is_explained_as_a_jump() -> None:
    comparison = diffmagic.compare("sign(x)", domain=(-1, 1), points=20)
    note = next(n for n in comparison["numerical"].notes if n.startswith("next to"))
    assert "jump" in note and "slopes on both sides" not in note


def test_the_course_features_are_reachable_from_compare() -> None:
    comparison = diffmagic.compare("sin(x)", domain=(0, 2))
    secants = comparison.secants(1.0)
    assert secants[0][0] == 1.0 and secants[-1][2] > secants[8][2]
    study = comparison.step_study(1.0)
    assert study.exact == pytest.approx(np.cos(1.0), abs=1e-15)
    assert "central float64" in study.errors
    with pytest.raises(diffmagic.DiffMagicError, match="order 1"):
        diffmagic.compare("sin(x)", order=2).secants(1.0)
    table = diffmagic.partial_derivatives("def f(x, y):\n    return x * y\n", {"x": 3, "y": 5})
    assert table.exact == {"x": 5.0, "y": 3.0}
    figure = diffmagic.gradient_field("def f(x, y):\n    return x * y\n", (-1, 1), (-1, 1))
    assert figure.axes
