"""`%%differentiate --at NAME` and `--sizes` in a real IPython shell, and the same in the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

from diffmagic.frontends.cli import main

LOSS_CELL = """import numpy as np
X = np.arange(12.0).reshape(4, 3) / 10
y = np.array([1.0, 0.0, 2.0, 1.0])
w0 = np.array([0.5, -1.0, 2.0])

def loss(w):
    return np.sum((X @ w - y) ** 2)
"""
X = np.arange(12.0).reshape(4, 3) / 10
Y = np.array([1.0, 0.0, 2.0, 1.0])
W0 = np.array([0.5, -1.0, 2.0])
#: The square loss's gradient, by hand: 2 X^T (X w - y).
EXPECTED = 2 * X.T @ (X @ W0 - Y)


@pytest.fixture(scope="module")
def ip():
    from IPython.core.getipython import get_ipython

    shell = start_ipython() or get_ipython()  # started once per process, maybe by another module
    shell.run_line_magic("load_ext", "diffmagic")
    return shell


def test_the_magic_with_a_named_vector_shows_the_table_and_the_figure(ip):
    with capture_output() as captured:
        ip.run_cell_magic("differentiate", "--at w0 -o g --no-timing", LOSS_CELL)
    kinds = [set(output.data) for output in captured.outputs]
    assert any("text/html" in kind for kind in kinds)
    assert any("image/png" in kind for kind in kinds)
    g = ip.user_ns["g"]
    np.testing.assert_allclose(g["reverse"].flat_values, EXPECTED, rtol=1e-12)
    assert g["symbolic"].ok and "exact" in g.reference


def test_the_magic_runs_a_study_with_sizes(ip):
    cell = "import numpy as np\ndef f(w):\n    return np.sum(np.sin(w) ** 2)\n"
    with capture_output() as captured:
        ip.run_cell_magic(
            "differentiate", "--sizes 2,20 -m numerical,reverse -o study --no-plot", cell
        )
    study = ip.user_ns["study"]
    assert study.sizes == [2, 20]
    assert all(s is not None for s in study.seconds["reverse"])
    assert any("reverse / f" in output.data.get("text/plain", "") for output in captured.outputs)


@pytest.mark.parametrize(
    "line, word",
    [("--at nowhere", "nowhere"), ("--sizes 0,10", "at least 1"), ("--at w0 --extrema", "one")],
)
def test_misuse_is_one_line(ip, line, word):
    with pytest.raises(UsageError) as caught, capture_output():
        ip.run_cell_magic("differentiate", line, LOSS_CELL)
    assert word in str(caught.value) and "\n" not in str(caught.value)


def test_the_cli_takes_a_file_and_a_named_point(tmp_path, capsys):
    source = tmp_path / "loss.py"
    source.write_text(LOSS_CELL)
    output = tmp_path / "g.json"
    code = main([f"{source}:loss", "--at", "w0", "--no-plot", "--json", str(output)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "reverse mode (JAX grad)" in printed
    data = json.loads(output.read_text())
    np.testing.assert_allclose(data["methods"]["reverse"]["values"], EXPECTED, rtol=1e-12)


@pytest.mark.slow
def test_the_study_panel_runs_the_sizes_its_slider_chose():
    from diffmagic.frontends.study_panel import StudyPanel

    def f(w):
        return np.sum(w**2)

    panel = StudyPanel(f, methods=("reverse",), largest_power=1, time_budget_s=60)
    assert panel.sizes == [1, 10]
    panel.largest.value = 2
    study = panel.run()
    assert study.sizes == [1, 10, 100]
    assert all(s is not None for s in study.seconds["reverse"])
    shown = panel.output.outputs[0]["data"]
    assert "alt='cost of one gradient" in shown["text/html"]
    assert panel.progress.value == 1.0


def test_the_magic_panel_with_sizes_is_the_study_panel(ip):
    cell = "import numpy as np\ndef f(w):\n    return np.sum(w ** 2)\n"
    with capture_output():
        ip.run_cell_magic("differentiate", "--sizes 10,1000 --panel -o p -q", cell)
    panel = ip.user_ns["p"]
    assert type(panel).__name__ == "StudyPanel" and panel.sizes == [1, 10, 100, 1000]
