"""Automatic differentiation on every engine a learner meets: JAX without `jit`, Autograd,
PyTorch and MyGrad, each a row of the one registry beside the compiled JAX row.

Correctness is judged against the derivatives written by hand in corpus.py (themselves checked
against mpmath at 40 digits by test_corpus_is_sound.py), never against another row.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from corpus import CORPUS, POINTS, Case, sweep

import diffmagic
from diffmagic.errors import DiffMagicError
from diffmagic.frontends.cli import main as cli_main
from diffmagic.methods import ROWS, method_key, select

ENGINE_ROWS = ("automatic@eager", "autograd", "torch", "mygrad")
_RESULTS: dict[str, object] = {}


def run(case: Case):
    """compare() once per case with every new row whose engine is installed (all of them in
    CI; the lowest-versions run has no PyTorch, and runs only the other rows' tests): the tests
    below share the result, and a test of a row that did not run fails on its missing key."""
    rows = [row for row in ENGINE_ROWS if ROWS[row].missing is None]
    if case.id not in _RESULTS:
        _RESULTS[case.id] = diffmagic.compare(
            case.source,
            func=case.func,
            domain=case.domain,
            points=POINTS,
            order=case.order,
            wrt=case.wrt,
            params=case.params,
            methods=rows,
            timing=False,
        )
    return _RESULTS[case.id]


@pytest.mark.parametrize("row", ENGINE_ROWS)
@pytest.mark.parametrize("case", sweep(CORPUS, fast=2))
def test_each_engine_row_matches_the_hand_derivative_or_says_why_not(case: Case, row: str):
    result = run(case)[row]
    if result.values is None:
        # A refusal: one line, in words, with no foreign exception text.
        assert result.error and "\n" not in result.error
        assert "Traceback" not in result.error and "object has no attribute" not in result.error
        return
    assert result.ok, result.error
    hand = case.derivative(case.grid)
    values = np.asarray(result.values, dtype=np.float64)
    assert np.all(np.isfinite(values))
    relative = np.abs(values - hand) / np.maximum(np.abs(hand), 1.0)
    assert float(np.max(relative)) <= 1e-9, (row, case.id, float(np.max(relative)))


@pytest.mark.slow
def test_every_row_but_mygrad_runs_the_whole_corpus():
    """Only MyGrad refuses anything in the corpus: higher orders, and Python's abs() on its
    tensor. Every other engine's row is ok on every case."""
    refused = {}
    for case in CORPUS[:12] + [c for c in CORPUS if c.order > 1 or c.id == "python_abs"]:
        comparison = run(case)
        for row in ENGINE_ROWS:
            if comparison[row].values is None:
                refused[(case.id, row)] = comparison[row].error
    assert {row for _, row in refused} <= {"mygrad"}, refused
    assert refused[("python_abs", "mygrad")].startswith("MyGrad's arrays have no Python abs()")
    assert "first derivatives only" in refused[("second_derivative_sin", "mygrad")]


IF_SOURCE = "def f(x):\n    if x > 0:\n        return x**3\n    return -2*x\n"


def if_derivative(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, 3 * x**2, -2.0)


def _by_id(case_id: str) -> Case:
    return next(case for case in CORPUS if case.id == case_id)


def test_default_methods_are_unchanged():
    defaults = ("symbolic", "numerical", "finite_difference", "automatic")
    assert select(("symbolic", "numerical", "automatic")) == defaults
    assert select("all") == defaults
    comparison = diffmagic.compare("x**2", points=20, timing=False)
    assert tuple(comparison.results) == defaults


def test_engine_rows_are_named_as_methods():
    assert select("autograd, torch, pytorch, mygrad") == ("autograd", "torch", "mygrad")
    assert select("jax@eager") == ("automatic@eager",)
    assert select("automatic,automatic@eager") == ("automatic", "automatic@eager")
    assert method_key("JAX@eager") == "automatic@eager"


def _without(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """`package` as if it were not installed: the lookup diffmagic makes finds nothing."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args, **kwargs):
        return None if name.split(".")[0] == package else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


TORCH_MISSING = (
    'PyTorch is not installed, so the torch row cannot run: pip install "diffmagic[torch]"'
)


def test_a_missing_engine_is_named_with_its_install_line(monkeypatch: pytest.MonkeyPatch):
    _without(monkeypatch, "torch")
    with pytest.raises(DiffMagicError) as raised:
        diffmagic.compare("x**2", points=20, methods="automatic,torch", timing=False)
    assert str(raised.value) == TORCH_MISSING
    with pytest.raises(DiffMagicError) as unknown:
        method_key("tensorflow")
    assert "torch" not in str(unknown.value) and "autograd" in str(unknown.value)
    _without(monkeypatch, "autograd")
    with pytest.raises(DiffMagicError, match=r'pip install "diffmagic\[autograd\]"'):
        select("autograd")


def test_a_missing_engine_on_the_command_line_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    _without(monkeypatch, "torch")
    with pytest.raises(SystemExit) as exited:
        cli_main(["x**2", "--methods", "automatic,autograd,torch", "--no-timing"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [f"diffmagic: error: {TORCH_MISSING}"]


def test_methods_automatic_autograd_torch_through_the_command_line(tmp_path, capsys):
    out = tmp_path / "result.json"
    code = cli_main(
        ["x**3", "--methods", "automatic,autograd,torch", "--no-timing", "--json", str(out)]
    )
    assert code == 0
    rows = json.loads(out.read_text())["methods"]
    assert list(rows) == ["automatic", "autograd", "torch"]
    x = np.linspace(-5, 5, 100)
    for key in ("autograd", "torch"):
        assert rows[key]["status"] == "ok"
        assert np.allclose(rows[key]["values"], 3 * x**2, rtol=1e-12, atol=0)
    table = capsys.readouterr().out
    assert "automatic (Autograd, eager)" in table and "automatic (PyTorch, eager)" in table


def test_python_if_runs_point_by_point_and_says_so():
    comparison = diffmagic.compare(
        IF_SOURCE, domain=(-2.05, 2), points=30, methods="automatic,autograd,torch", timing=False
    )
    for key in ("autograd", "torch"):
        result = comparison[key]
        assert result.ok and result.pointwise
        assert any("uses Python `if` on x" in note for note in result.notes)
        np.testing.assert_allclose(result.values, if_derivative(comparison.x), rtol=1e-12)


def test_a_reduction_over_data_runs_point_by_point():
    case = _by_id("square_loss_np_sum")
    comparison = run(case)
    for key in ("autograd", "torch", "mygrad"):
        result = comparison[key]
        assert result.ok, result.error
        assert any(
            "does not act point by point" in n or "does not accept" in n for n in result.notes
        )
        np.testing.assert_allclose(result.values, case.derivative(case.grid), rtol=1e-9)


def test_an_engine_that_loses_x_is_refused_never_read_as_zero():
    comparison = diffmagic.compare(
        "def f(x):\n    return float(x)**2\n", points=20, methods="autograd,torch", timing=False
    )
    assert comparison["torch"].values is None
    assert comparison["torch"].error.startswith("PyTorch lost track of x in f")
    assert comparison["autograd"].values is None
    assert "turns x into a Python number" in comparison["autograd"].error


def test_a_function_without_a_derivative_rule_is_refused_in_words():
    source = "import numpy as np\ndef f(x):\n    return np.heaviside(x, 0.5) * x\n"
    comparison = diffmagic.compare(
        source, domain=(-2.05, 2), points=20, methods="autograd,torch,mygrad", timing=False
    )
    for key, words in (
        ("autograd", "Autograd has no derivative for a function f calls"),
        ("torch", "PyTorch has no derivative for a function f calls"),
        ("mygrad", "MyGrad cannot differentiate np.heaviside"),
    ):
        error = comparison[key].error
        assert comparison[key].values is None and error.startswith(words), error
        assert "VJP" not in error and "\n" not in error


def test_an_engine_of_another_family_confirms_the_stand_in():
    """Without SymPy's derivative (Python `if`), JAX stands in: PyTorch, another family,
    confirms it; JAX without jit, the same family, cannot."""
    confirmed = diffmagic.compare(
        IF_SOURCE, domain=(-2.05, 2), points=30, methods="automatic,torch", timing=False
    )
    assert confirmed["automatic"].is_reference
    assert confirmed["torch"].status.startswith("ok")
    alone = diffmagic.compare(
        IF_SOURCE, domain=(-2.05, 2), points=30, methods="automatic,automatic@eager", timing=False
    )
    assert alone["automatic@eager"].status.startswith("unconfirmed")


def test_engine_rows_are_timed_and_counted():
    source = "import numpy as np\ndef f(x):\n    return np.sin(x) * x\n"
    comparison = diffmagic.compare(
        source,
        points=20,
        methods="automatic@eager,autograd,torch,mygrad",
        timing=True,
        timing_points=2_000,
    )
    for key in ("automatic@eager", "autograd", "torch", "mygrad"):
        timing = comparison[key].timing
        assert timing is not None and timing.eval_s > 0 and timing.first_call_s > 0
    # sin and a product: two operations on each tape for f.
    assert (comparison["autograd"].work.unit, comparison["autograd"].work.f) == (
        "recorded operations",
        2,
    )
    assert (comparison["torch"].work.unit, comparison["torch"].work.f) == ("graph operations", 2)
    assert (comparison["mygrad"].work.f, comparison["mygrad"].work.derivative) == (2, 4)


@pytest.mark.slow
def test_importing_and_the_default_comparison_leave_the_engines_unimported():
    script = (
        "import sys, diffmagic\n"
        "diffmagic.compare('x**2', points=20, timing=False)\n"
        "print(sorted(m for m in ('torch', 'autograd', 'mygrad') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
