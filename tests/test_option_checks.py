"""Options checked before any work, in one place, for the magic, the command line and the panel.

"Before any work" is observed, not timed: the learner's function counts its calls, and a
refused combination leaves the count at zero (the cell is not even run).
"""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython

from diffmagic.frontends.cli import main

COUNTED_CELL = """import numpy as np
calls = []
def f(x):
    calls.append(1)
    return np.sin(x)
"""

LOSS_CELL = """import numpy as np
w0 = np.array([0.5, -1.0, 2.0])
def loss(w):
    return np.sum(w ** 2)
def g(w):
    return 3 * w
"""


@pytest.fixture(scope="module")
def ip():
    from IPython.core.getipython import get_ipython

    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    return shell


def refusal(ip, line: str, cell: str) -> str:
    """The one-line refusal of `%%differentiate line`, after checking nothing ran."""
    ip.user_ns.pop("calls", None)
    with pytest.raises(UsageError) as refused:
        ip.run_cell_magic("differentiate", line, cell)
    assert not ip.user_ns.get("calls"), "f ran before the options were refused"
    message = str(refused.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("--at 9 --domain -5 5", "outside the domain"),
        ("--step-study", "add --at"),
        ("--step-study --at 1 --order 2", "first derivative"),
        ("--graph", "add --at"),
        ("--gradient --at 1", "NAME=VALUE"),
        ("--at x=1,y=2", "--gradient"),
        ("--panel --step-study", "remove"),
    ],
)
def test_a_combination_that_cannot_be_honoured_is_refused_before_the_cell_runs(
    ip, line: str, words: str
) -> None:
    assert words in refusal(ip, line, COUNTED_CELL)


@pytest.mark.parametrize(
    "extra",
    ["--graph", "--order 2", "--engines jax", "--yours g", "--domain 0 1", "--points 50"],
)
def test_one_variable_options_with_a_named_vector_are_refused_not_dropped(ip, extra) -> None:
    message = refusal(ip, f"--at w0 {extra}", LOSS_CELL)
    assert extra.split()[0] in message and "one variable" in message


def test_the_html_page_of_a_gradient_holds_its_figure(tmp_path, ip) -> None:
    page = tmp_path / "g.html"
    ip.run_cell_magic(
        "differentiate", f"--at w0 --func loss --no-timing -q --html {page}", LOSS_CELL
    )
    text = page.read_text(encoding="utf-8")
    assert '<img alt="error of each method' in text and "data:image/png;base64," in text


def test_json_with_a_named_vector_and_sizes_keeps_both(tmp_path, capsys) -> None:
    source = tmp_path / "loss.py"
    source.write_text(LOSS_CELL.replace("def g(w):\n    return 3 * w\n", ""), encoding="utf-8")
    out = tmp_path / "out.json"
    status = main(
        [f"{source}:loss", "--at", "w0", "--sizes", "2,4", "--no-plot", "--json", str(out)]
    )
    assert status == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert set(written) == {"gradient", "study"}
    assert written["study"]["sizes"] == [2, 4]


def test_the_command_line_refuses_a_point_outside_the_domain_at_once(tmp_path, capsys) -> None:
    source = tmp_path / "f.py"
    marker = tmp_path / "ran"
    source.write_text(
        f"import pathlib\ndef f(x):\n    pathlib.Path({str(marker)!r}).touch()\n    return x**2\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as exited:
        main([f"{source}:f", "--at", "9", "--domain", "-5", "5"])
    assert exited.value.code == 2
    assert "outside the domain" in capsys.readouterr().err
    assert not marker.exists()


def test_the_cell_runs_through_the_shells_ast_transformers(ip) -> None:
    """As `%%time` does: a transformer the notebook registered applies to the magic's cell."""
    import ast

    class SevenIsEight(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            return ast.copy_location(ast.Constant(8), node) if node.value == 7 else node

    transformer = SevenIsEight()
    ip.ast_transformers.append(transformer)
    try:
        ip.run_cell_magic(
            "differentiate", "--no-timing --no-plot -q", "marker = 7\ndef f(x):\n    return x**2\n"
        )
    finally:
        ip.ast_transformers.remove(transformer)
    assert ip.user_ns["marker"] == 8
