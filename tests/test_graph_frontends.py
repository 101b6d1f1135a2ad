"""The computational graph where learners meet it: the magic, the command line, the panel."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from IPython.core.error import UsageError
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

import diffmagic
from diffmagic.frontends.cli import main

EXP_SIN_CELL = "import numpy as np\n\ndef f(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n"
SLOPE_AT_1 = 9 * math.cos(3.0) - 2 * math.exp(-2.0)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def ip():
    # One global test shell per run: started here, or already by test_magic.py.
    shell = globalipapp.start_ipython() or globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    return shell


def _svg_texts(svg: str) -> str:
    return " ".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))


def test_the_magic_shows_the_graph_after_the_table(ip) -> None:
    with capture_output() as captured:
        ip.run_cell_magic(
            "differentiate", "--at 1 --graph --graph-mode forward --no-timing", EXP_SIN_CELL
        )
    kinds = [set(output.data) for output in captured.outputs]
    graphs = [i for i, kind in enumerate(kinds) if "image/svg+xml" in kind]
    assert len(graphs) == 1
    tables = [
        i
        for i, o in enumerate(captured.outputs)
        if "automatic (JAX)" in o.data.get("text/plain", "")
    ]
    assert tables and graphs[0] > tables[0], kinds
    bundle = captured.outputs[graphs[0]].data
    assert "<svg" in bundle["text/html"]
    texts = _svg_texts(bundle["image/svg+xml"])
    assert "forward mode" in texts and f"df/dx = {SLOPE_AT_1:.10g}" in texts
    assert "v3 = exp(v2)" in bundle["text/plain"]


def test_the_magic_refuses_graph_without_a_point_in_one_line(ip) -> None:
    with pytest.raises(UsageError) as caught:
        ip.run_cell_magic("differentiate", "--graph --no-timing", EXP_SIN_CELL)
    assert "add --at X0" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(UsageError):
        ip.run_cell_magic("differentiate", "--at 1 --graph --graph-mode sideways", EXP_SIN_CELL)
    with pytest.raises(UsageError, match="use it with --order 1"):
        ip.run_cell_magic("differentiate", "--at 1 --graph --order 2", EXP_SIN_CELL)


@pytest.mark.slow
def test_a_function_jax_cannot_trace_keeps_its_table_and_says_why_in_one_line(ip) -> None:
    cell = "def f(x):\n    if x > 0:\n        return x**2\n    return -x\n"
    with capture_output() as captured:
        ip.run_cell_magic("differentiate", "--at 1 --graph --no-timing --no-plot", cell)
    texts = [o.data.get("text/plain", "") for o in captured.outputs]
    assert any("automatic (JAX)" in text for text in texts), "the table is still shown"
    (reason,) = [text for text in texts if text.startswith("no computational graph")]
    assert "Python `if`" in reason and len(reason.splitlines()) == 2


@pytest.mark.slow
def test_the_magic_s_panel_can_open_with_the_graph_ticked(ip) -> None:
    with capture_output():
        ip.run_cell_magic("differentiate", "--panel --graph --at 1 -o shown -q", EXP_SIN_CELL)
    panel = ip.user_ns.pop("shown")
    assert panel.show_graph.value is True
    assert any("diffmagic-graph" in o["data"].get("text/html", "") for o in panel.output.outputs)


def test_the_command_line_prints_the_listing(capsys) -> None:
    status = main(["exp(-2*x) + 3*sin(3*x)", "--no-timing", "--no-plot", "--at", "1", "--graph"])
    out = capsys.readouterr().out
    assert status == 0
    assert "computational graph of f(x) = exp(-2*x) + 3*sin(3*x) at x = 1, reverse mode" in out
    assert f"df/dx = {SLOPE_AT_1:.15g}" in out


def test_the_panel_draws_the_graph_for_the_current_x0() -> None:
    panel = diffmagic.panel(EXP_SIN_CELL, domain=(-2, 4), x0=1.0, methods="automatic")

    def graph_html() -> list[str]:
        return [
            o["data"]["text/html"]
            for o in panel.output.outputs
            if "diffmagic-graph" in o["data"].get("text/html", "")
        ]

    assert graph_html() == [], "off until its box is ticked"
    panel.show_graph.value = True
    (first,) = graph_html()
    assert "at x = 1:" in first
    panel.x0.value = 2.0
    (moved,) = graph_html()
    assert "at x = 2:" in moved
    slope_at_2 = 9 * math.cos(6.0) - 2 * math.exp(-4.0)
    assert f"df/dx = {slope_at_2:.10g}" in moved
    panel.graph_mode.value = "forward"
    assert "forward mode" in graph_html()[0]
    assert panel.status.value == ""
