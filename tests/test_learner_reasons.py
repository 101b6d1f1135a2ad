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
