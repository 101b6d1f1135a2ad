"""What a learner reads when something goes wrong: the right culprit, named in words.

Your derivative (`--yours dfdx`, `yours=`) is never the function differentiated, and a failure
of yours is said as yours; no foreign exception text (SymPy's "'Mul' object has no attribute",
NumPy's ufunc TypeError, JAX's tracer errors) reaches a reason; the computational graph says
when f' does not exist at its point, and its failures are lines, never a lost table.

Every expected value is written by hand here (2x for x**2, ...) or computed with mpmath.
"""

from __future__ import annotations

import numpy as np
import pytest

import diffmagic
import diffmagic.frontends.cli
from diffmagic import DiffMagicError, compare

#: The lab's own cells, in its order: f, then the learner's derivative of it.
LAB_CELL = "def f(x):\n    return x**2\n\ndef dfdx(x):\n    return 2*x\n"


def _lab_namespace() -> dict:
    namespace: dict = {}
    exec(LAB_CELL, namespace)
    return namespace


# ----------------------------------------------------------------------------- yours is yours


def test_a_cells_text_with_yours_differentiates_f_not_dfdx() -> None:
    dfdx = _lab_namespace()["dfdx"]
    comparison = compare(LAB_CELL, yours=dfdx, methods="numerical")
    assert comparison.target.name == "f"
    row = comparison["yours"]
    assert row.ok, row.error
    np.testing.assert_allclose(row.values, 2 * comparison.x, rtol=1e-15)


def test_yours_may_name_a_function_of_the_cells_text() -> None:
    comparison = compare(LAB_CELL, yours="dfdx", methods="numerical")
    assert comparison.target.name == "f"
    assert comparison["yours"].ok, comparison["yours"].error


def test_yours_named_as_the_function_too_is_refused_in_one_line() -> None:
    with pytest.raises(DiffMagicError, match="named both as the function") as caught:
        compare(LAB_CELL, yours="dfdx", func="dfdx")
    assert "\n" not in str(caught.value)


def test_a_cell_with_only_your_derivative_says_what_is_missing() -> None:
    with pytest.raises(DiffMagicError, match="defines only `dfdx`, named as yours"):
        compare("def dfdx(x):\n    return 2*x\n", yours="dfdx")


def test_the_command_line_differentiates_f_of_a_file_with_yours(tmp_path, capsys) -> None:
    cell = tmp_path / "cell.py"
    cell.write_text(LAB_CELL)
    code = diffmagic.frontends.cli.main(
        [str(cell), "--yours", "dfdx", "--no-timing", "--no-plot", "--methods", "numerical"]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "f'(x)" in printed and "dfdx'" not in printed
    assert "wrong" not in printed


@pytest.fixture
def shell():
    from IPython.core.getipython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    session = start_ipython() or get_ipython()
    session.run_line_magic("load_ext", "diffmagic")
    before = dict(session.user_ns)
    yield session
    session.user_ns.clear()
    session.user_ns.update(before)


def test_the_magic_differentiates_f_of_the_labs_cell_with_yours(shell) -> None:
    from IPython.utils.capture import capture_output

    with capture_output():
        shell.run_cell_magic(
            "differentiate",
            "--yours dfdx --no-timing --no-plot --methods numerical -o c -q",
            LAB_CELL,
        )
    comparison = shell.user_ns["c"]
    assert comparison.target.name == "f"
    assert comparison["yours"].ok, comparison["yours"].error


# ----------------------------------------------------------------------------- yours, named


def square(x):
    return x**2


@pytest.mark.parametrize(
    ("yours", "words"),
    [
        (lambda x: None, "your derivative returns None"),
        (lambda x: undefined_name * x, "your derivative raised NameError"),  # noqa: F821
    ],
    ids=["returns_none", "name_error"],
)
def test_a_failing_yours_is_named_as_your_derivative(yours, words: str) -> None:
    row = compare(square, yours=yours, methods="numerical")["yours"]
    assert not row.ok
    assert row.error.startswith(words), row.error


def test_a_sleeping_derivative_of_yours_is_yours_not_the_finite_differences() -> None:
    import time

    def dfdx(x):
        time.sleep(3)  # outlasts the limit and its grace: abandoned, not awaited
        return 2 * x

    row = compare(square, yours=dfdx, methods="numerical", method_time_limit=0.2)["yours"]
    assert not row.ok
    assert row.error.startswith("your derivative dfdx took longer than 0.2 s"), row.error
    assert "finite differences" not in row.error


# ----------------------------------------------------------------------------- no foreign text

#: Texts of NumPy, SymPy and JAX internals that must never reach a reason.
FOREIGN = (
    "object has no attribute",
    "not supported for the input types",
    "Tracer",
    "could not be safely coerced",
)


def _reasons(comparison) -> list[str]:
    return [row.error for row in comparison if row.error]


def _has_foreign_text(reasons: list[str]) -> bool:
    return any(text in reason for reason in reasons for text in FOREIGN)


def test_np_sinc_has_its_sympy_meaning() -> None:
    comparison = compare(lambda x: np.sinc(x))
    symbolic = comparison["symbolic"]
    assert symbolic.ok, symbolic.error
    x = comparison.x
    by_hand = (np.pi * x * np.cos(np.pi * x) - np.sin(np.pi * x)) / (np.pi * x**2)
    np.testing.assert_allclose(symbolic.values, by_hand, rtol=1e-9, atol=1e-12)
    assert comparison.reference_label.startswith("SymPy's exact")


def test_np_logaddexp_has_its_sympy_meaning() -> None:
    comparison = compare(lambda x: np.logaddexp(x, 0.0))
    symbolic = comparison["symbolic"]
    assert symbolic.ok, symbolic.error
    by_hand = 1.0 / (1.0 + np.exp(-comparison.x))  # d/dx log(e^x + 1)
    np.testing.assert_allclose(symbolic.values, by_hand, rtol=1e-12)


def test_scipy_ndtr_is_refused_in_words_naming_it() -> None:
    import scipy.special

    comparison = compare(lambda x: scipy.special.ndtr(x))
    reasons = _reasons(comparison)
    assert not _has_foreign_text(reasons), reasons
    assert "SymPy cannot trace scipy.special.ndtr" in comparison["symbolic"].error
    assert "jax.numpy or jax.scipy" in comparison["automatic"].error


def test_astype_on_a_comparison_is_refused_with_the_fix() -> None:
    comparison = compare(lambda x: (x > 0).astype(float) * x)
    error = comparison["symbolic"].error
    assert "`.astype`" in error and "np.where(x > 0, 1.0, 0.0)" in error, error
    assert not _has_foreign_text(_reasons(comparison))


def test_a_numpy_function_sympy_cannot_enter_is_named_not_its_internals() -> None:
    import sympy as sp

    from diffmagic.limits.explain import explain_symbolic

    try:
        np.sinc(np.array([sp.Symbol("x")], dtype=object).reshape(()))
    except Exception as error:  # what NumPy's own sinc raises on a SymPy symbol
        reason = explain_symbolic("f", error)
    assert reason.startswith("SymPy cannot trace np.sinc"), reason
    assert not _has_foreign_text([reason])


# ----------------------------------------------------------------------------- the graph


def test_the_graph_at_relus_corner_says_f_prime_does_not_exist_with_both_slopes() -> None:
    import jax

    drawn = diffmagic.graph(jax.nn.relu, 0.0)
    assert not drawn.ok
    assert drawn.derivative_text().startswith("does not exist: a corner")
    (caution,) = drawn.caveats
    assert "slope 0 from the left, 1 from the right" in caution
    assert "caution: relu' does not exist at x = 0" in drawn.text()


def test_the_graph_outside_fs_domain_gives_no_value() -> None:
    drawn = diffmagic.graph("log(x)", -1.0)
    assert not drawn.ok
    assert drawn.derivative_text().startswith("no value")
    assert any("outside f's domain" in caution for caution in drawn.caveats)


def test_the_graphs_derivative_is_ok_only_when_sympys_30_digits_agree() -> None:
    import mpmath

    drawn = diffmagic.graph("exp(x)", 2.0)
    with mpmath.workdps(30):
        exact = float(mpmath.exp(2))  # d/dx exp(x) at 2, by hand
    assert drawn.check.exact == exact
    assert drawn.ok and "SymPy's exact f'(2) with 30 digits" in drawn.verdict


def test_a_wrong_jax_rule_is_never_an_ok_graph() -> None:
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def sine(x):
        return jnp.sin(x)

    @sine.defjvp
    def _twice_the_cosine(primals, tangents):
        (x,), (t,) = primals, tangents
        return jnp.sin(x), 2 * jnp.cos(x) * t  # wrong: d sin = cos

    drawn = diffmagic.graph(lambda x: sine(x), 0.5)
    assert drawn.derivative == pytest.approx(2 * np.cos(0.5), rel=1e-12)
    assert not drawn.ok
    assert any(caution.startswith("unconfirmed:") for caution in drawn.caveats)


def _doubling(x):
    import jax

    return jax.lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)


def test_a_while_loop_in_reverse_mode_is_a_reason_and_forward_mode_draws_it() -> None:
    with pytest.raises(DiffMagicError, match="mode='forward'") as caught:
        diffmagic.graph(_doubling, 1.0)
    assert "\n" not in str(caught.value) and "Reverse-mode differentiation" not in str(caught.value)
    forward = diffmagic.graph(_doubling, 1.0, mode="forward")
    assert forward.derivative == 16.0  # 1 -> 2 -> 4 -> 8 -> 16: f = 16 x near 1


def test_a_failing_graph_is_a_line_under_the_table(tmp_path, capsys) -> None:
    cell = tmp_path / "loop.py"
    cell.write_text(  # jitted: NumPy's f is then fast to call at every point
        "import jax\n\n@jax.jit\ndef f(x):\n"
        "    return jax.lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)\n"
    )
    arguments = ["--graph", "--at", "1", "--no-timing", "--no-plot", "--points", "10"]
    arguments += ["--domain", "0.5", "5", "--methods", "symbolic"]
    diffmagic.frontends.cli.main([str(cell), *arguments])
    printed = capsys.readouterr().out
    assert "symbolic" in printed  # the table
    assert "no computational graph" in printed and "mode='forward'" in printed
    assert "Traceback" not in printed


@pytest.mark.parametrize("page", ["2", 0, 2.5, True])
def test_a_graph_page_that_is_no_page_number_is_refused_in_one_line(page) -> None:
    drawn = diffmagic.graph("x**2", 1.0)
    with pytest.raises(DiffMagicError, match="page must be a whole number from 1"):
        drawn.svg(page=page)
    with pytest.raises(DiffMagicError, match="the graph has 1 page: page=3"):
        drawn.svg(page=3)


def test_a_panel_request_made_without_its_checks_is_checked() -> None:
    from diffmagic.running.request import Request

    with pytest.raises(DiffMagicError, match="points must be at least 2"):
        diffmagic.panel("x**2", request=Request(points=-5))
    with pytest.raises(DiffMagicError, match="request must be a diffmagic Request"):
        diffmagic.panel("x**2", request={"points": 5})
