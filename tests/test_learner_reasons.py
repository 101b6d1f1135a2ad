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
import diffmagic.cli
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
    code = diffmagic.cli.main(
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
        time.sleep(30)
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
    from diffmagic.explain import explain_symbolic

    import sympy as sp

    try:
        np.sinc(np.array([sp.Symbol("x")], dtype=object).reshape(()))
    except Exception as error:  # what NumPy's own sinc raises on a SymPy symbol
        reason = explain_symbolic("f", error)
    assert reason.startswith("SymPy cannot trace np.sinc"), reason
    assert not _has_foreign_text([reason])
