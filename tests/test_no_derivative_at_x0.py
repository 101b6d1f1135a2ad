"""x0 where f' does not exist, shown as the course shows it (C2 W1: d|x|/dx at 0 "does not exist").

`--at 0` on |x|: no tangent drawn at the corner, the two one-sided slopes said and drawn, each
method's number there labelled as its convention, and the secants measured from each side
against that side's slope, never against SymPy's sign(0) = 0 ("error 1.0" for every dx, dx = 1
"closest"). A jump (floor at 1) has no slope to measure secants against; f = 1/x has no value
at 0, so no tangent and no secant. The formula shown for f' never gives f' a value where it does
not exist (simplify's "1 at x = 0" for |x| + sin x cos x).

Every slope and error here is written by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

import diffmagic

ABS_SIN_COS = "jnp.abs(x) + jnp.sin(x)*jnp.cos(x)"


def _cli(capsys, *argv: str) -> str:
    """The command line's output (`diffmagic.frontends.cli`, `diffmagic.cli` before the layers)."""
    try:
        from diffmagic.frontends.cli import main
    except ImportError:
        from diffmagic.cli import main
    # 1 when a row is not ok: np.gradient is inaccurate next to these points, and says so.
    assert main([*argv, "--no-plot", "--no-timing"]) in (0, 1)
    return capsys.readouterr().out


def _x0_block(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("at x0 = "))
    return lines[start:]


RELU_CELL = "def relu(x):\n    return 0 if x < 0 else x\n"


def _magic(line: str, cell: str | None = None):
    """What the magic displays, in an IPython shell with the extension loaded."""
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    with capture_output() as captured:
        if cell is None:
            shell.run_line_magic("differentiate", line)
        else:
            shell.run_cell_magic("differentiate", line, cell)
    return captured


def _x0_output(captured) -> dict:
    (block,) = [
        output.data
        for output in captured.outputs
        if output.data.get("text/plain", "").startswith("at x0 = ")
    ]
    return block


# ----------------------------------------------------------------------------- a corner


def test_a_corner_at_x0_says_f_prime_does_not_exist_with_the_one_sided_slopes(capsys) -> None:
    block = _x0_block(_cli(capsys, "abs(x)", "--at", "0"))
    text = "\n".join(block)
    assert "f'(0) does not exist: a corner" in text, text
    assert "slope -1 from the left, 1 from the right" in text, text
    # Each method's number at 0 is its convention, never shown as f'(x0).
    assert "convention" in text and "f'(x0) =" not in text, text
    jax = next(line for line in block if line.strip().startswith("automatic (JAX)"))
    assert jax.split()[-1] == "1", jax  # JAX's convention for |x| at 0, labelled as such
    # The secants of |x| are exact on each side: no error, and nothing "closest" to anything.
    secants = [line for line in block if line.strip().startswith("dx=")]
    assert len(secants) == 32, text
    for line in secants:
        dx = float(line.split()[0].removeprefix("dx="))
        slope = float(line.split()[1].removeprefix("slope="))
        assert slope == np.sign(dx), line  # (|dx| - |0|) / dx by hand
        assert line.split()[2] == "error=0.0e+00", line
    assert "closest" not in "\n".join(secants), text


def test_secants_at_a_corner_are_measured_against_each_sides_slope() -> None:
    comparison = diffmagic.compare(ABS_SIN_COS)
    rows = comparison.secants(0.0)

    def f(x: float) -> float:
        return abs(x) + np.sin(x) * np.cos(x)

    # By hand: f'(0-) = -1 + 1 = 0 and f'(0+) = 1 + 1 = 2.
    sides = {1.0: 2.0, -1.0: 0.0}
    assert sorted({float(np.sign(dx)) for dx, _, _ in rows}) == [-1.0, 1.0]
    assert len(rows) == 32
    for dx, slope, error in rows:
        assert slope == pytest.approx((f(dx) - f(0.0)) / dx, rel=1e-12, abs=1e-15)
        assert error == pytest.approx(abs(slope - sides[float(np.sign(dx))]), abs=1e-12)
    # The closest secant on each side is within round-off of that side's slope.
    for side, slope in sides.items():
        best = min(error for dx, _, error in rows if np.sign(dx) == side)
        assert best < 1e-7, (side, slope, best)
    # Nothing is measured against a derivative that does not exist.
    assert comparison.step_study(0.0) is None


def test_no_tangent_is_drawn_at_a_corner_but_its_two_half_tangents_are() -> None:
    comparison = diffmagic.compare("abs(x)")
    top = comparison.figure(at=0.0).axes[0]
    for line in top.get_lines():
        if "tangent" in line.get_label():
            assert len(line.get_xdata()) == 0, line.get_label()
    legend = [text.get_text() for text in top.get_legend().get_texts()]
    assert not [label for label in legend if label.startswith("tangent")], legend
    (sides,) = [line for line in top.get_lines() if line.get_label().startswith("one-sided")]
    assert sides.get_label() in legend
    x, y = (np.asarray(data, dtype=float) for data in sides.get_data())
    drawn = np.isfinite(x)
    assert np.any(x[drawn] < 0) and np.any(x[drawn] > 0)
    # By hand: slope -1 left of the corner, 1 right of it, both through (0, |0|).
    np.testing.assert_allclose(y[drawn], np.where(x[drawn] <= 0, -x[drawn], x[drawn]), atol=1e-12)
    # Every legend entry is something drawn.
    shown = {
        line.get_label()
        for line in top.get_lines()
        if len(line.get_xdata()) and np.isfinite(np.asarray(line.get_ydata(), float)).any()
    }
    shown |= {line.get_label() for line in top.lines if line.get_linestyle() == ":"}
    assert set(legend) <= shown, (legend, shown)


def test_a_corner_sympy_cannot_see_is_found_at_x0_from_f_itself() -> None:
    """The lab's relu written with `if`: SymPy cannot trace it, f's values show the corner."""
    captured = _magic("--at 0 --no-plot --no-timing", RELU_CELL)
    text = _x0_output(captured)["text/plain"]
    assert "relu'(0) does not exist: a corner" in text, text
    assert "slope 0 from the left, 1 from the right" in text, text


# ----------------------------------------------------------------------------- jump and pole


def test_a_jump_at_x0_has_no_slope_to_measure_secants_against(capsys) -> None:
    block = _x0_block(_cli(capsys, "np.floor(x)", "--at", "1"))
    text = "\n".join(block)
    assert "f'(1) does not exist: a jump" in text, text
    secants = [line for line in block if line.strip().startswith("dx=")]
    assert secants and all("error" not in line for line in secants), text
    assert "closest" not in text
    # From the left the secants of floor grow without bound: (floor(1 - d) - 1) / -d = 1/d.
    left = {float(line.split()[0][3:]): float(line.split()[1][6:]) for line in secants}
    assert left[-1e-3] == pytest.approx(1e3) and left[-1e-6] == pytest.approx(1e6)


def test_at_a_pole_there_is_no_tangent_and_no_secant(capsys) -> None:
    block = _x0_block(_cli(capsys, "1/x", "--at", "0"))
    text = "\n".join(block)
    assert "f'(0) does not exist" in text and "no value" in text, text
    assert not [line for line in block if "dx=" in line], text
    assert "f'(x0) = -inf" not in text


def test_the_magic_says_the_same_in_html() -> None:
    block = _x0_output(_magic('"abs(x)" --at 0 --no-plot --no-timing'))["text/html"]
    assert "does not exist: a corner" in block and "its convention" in block, block
    assert "slope -1 from the left, 1 from the right" in block
    assert "closest" not in block and "1.0e+00" not in block


# ----------------------------------------------------------------------------- smooth x0


@pytest.mark.parametrize(
    ("expression", "x0", "slope"),
    [("1e4*x**2", 0.0, 0.0), ("sin(1000*x)", 0.3, 1000 * np.cos(300.0))],
)
def test_a_smooth_x0_however_steep_keeps_its_tangents(capsys, expression, x0, slope) -> None:
    block = _x0_block(_cli(capsys, expression, "--at", str(x0)))
    text = "\n".join(block)
    assert "does not exist" not in text, text
    symbolic = next(line for line in block if line.strip().startswith("symbolic"))
    assert float(symbolic.split("= ")[-1]) == pytest.approx(slope, rel=1e-9, abs=1e-9)


# ----------------------------------------------------------------------------- the formula


def test_the_formula_gives_no_value_where_the_derivative_does_not_exist(capsys) -> None:
    comparison = diffmagic.compare(ABS_SIN_COS)
    assert comparison.nondifferentiable == [0.0]
    latex = comparison.latex()
    assert r"x = 0" not in latex and r"\text{for}" not in latex, latex
    assert r"x \neq 0" in latex, latex
    formula = _cli(capsys, ABS_SIN_COS).splitlines()[0]
    assert formula.startswith("f(x) = ") and "Eq(" not in formula, formula
    assert "Piecewise" not in formula and "(x ≠ 0)" in formula, formula
    # The symbolic row stays right wherever f' exists: sign(x) + cos(2x), by hand.
    x = comparison.x
    exists = x != 0
    np.testing.assert_allclose(
        comparison["symbolic"].values[exists],
        np.sign(x[exists]) + np.cos(2 * x[exists]),
        rtol=1e-12,
    )
    points = np.array([-2.5, -1e-3, 1e-3, 0.7, 4.9])
    np.testing.assert_allclose(
        comparison["symbolic"].derivative(points), np.sign(points) + np.cos(2 * points), rtol=1e-12
    )
