"""One checked `Request`: the magic, its panel, the command line and `compare()` ask alike.

The story: a learner types the same options in a cell, in `--panel` and on the command line, and
each front end must mean the same by them. They do when each builds the same `Request` and runs
it by the one path (`diffmagic.api.compare.run`); these tests catch the requests on that path.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from IPython.core.getipython import get_ipython
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

import diffmagic.api.compare
import diffmagic.frontends.panel
import diffmagic.frontends.report
from diffmagic import DiffMagicError, Request, compare
from diffmagic.api.compare import run
from diffmagic.frontends import cli

FLAGS = "--domain -2 3 -n 40 --order 2 -m symbolic,automatic --engines numpy,jax --extrema"
CELL = "def f(x, a=1.0):\n    return a * x**3\n"


@pytest.fixture
def requests_run(monkeypatch) -> list[Request]:
    """Every request that reaches `run()` from the report (magic, CLI) or from the panel."""
    caught: list[Request] = []

    def recording(f, request):
        caught.append(request)
        return run(f, request)

    monkeypatch.setattr(diffmagic.frontends.report, "run", recording)
    monkeypatch.setattr(diffmagic.frontends.panel, "run", recording)
    return caught


@pytest.fixture(scope="module")
def shell():
    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    return shell


def test_the_cell_the_panel_and_the_command_line_build_the_same_request(
    shell, requests_run, tmp_path
) -> None:
    flags = f"{FLAGS} --param a=2 --no-timing"
    with capture_output():
        shell.run_cell_magic("differentiate", f"{flags} -q", CELL)
        shell.run_cell_magic("differentiate", f"{flags} -q --panel", CELL)
    script = tmp_path / "f.py"
    script.write_text(CELL)
    with capture_output():
        assert cli.main([str(script), *flags.split()]) == 0
    cell, panel, command_line = requests_run
    assert cell == panel == command_line
    assert cell.domain == (-2.0, 3.0) and cell.points == 40 and cell.order == 2
    assert cell.rows == ("symbolic", "symbolic@jax", "automatic")
    assert cell.extrema and not cell.timing and dict(cell.params) == {"a": 2.0}


def test_compare_runs_the_request_its_keywords_make() -> None:
    request = Request.checked(domain=(0, 1), points=30, methods="numerical", order=2)
    comparison = compare("x**3", **request.options())
    assert comparison.request == request
    assert comparison.x.size == 30 and comparison.order == 2
    assert list(comparison.results) == ["numerical", "finite_difference"]


def test_a_panel_control_changes_its_request_and_keeps_every_other_option(
    requests_run,
) -> None:
    panel = diffmagic.frontends.panel.Panel(
        "x**2", domain=(-1, 1), points=50, extrema=True, method_time_limit=7, cache=False
    )
    panel.order.value = 2
    first, changed = requests_run
    # The panel names the ticked methods one by one ("numerical" became its two rows' names):
    # the same rows, and every other option as it was.
    assert changed.rows == first.rows
    assert changed == dataclasses.replace(first, order=2, methods=changed.methods)
    assert panel.request is changed and panel.comparison.request is changed


def test_a_request_cannot_be_changed_in_place() -> None:
    request = Request.checked(params={"a": 1.0})
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.order = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        request.params["a"] = 2.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"points": "many"}, "points must be"),
        ({"order": 9}, "order must be from 1 to 8"),
        ({"methods": []}, "choose at least one method"),
        ({"engines": "gpu"}, "gpu"),
        ({"engines": 5}, "engines must be a list of names"),
        ({"methods": 3}, "methods must be a list of names"),
        ({"timing": "yes"}, "timing must be True or False"),
        ({"cache": 2}, "cache must be True or False"),
        ({"params": 3}, "params must be a dict"),
        ({"wrt": 3}, "wrt must be a parameter's name"),
        ({"symbolic_time_limit": 0}, "symbolic_time_limit must be more than 0"),
        ({"timing": True, "timing_mode": "sometimes"}, "timing mode must be quick or full"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_each_bad_option_is_one_line_naming_it(options, words) -> None:
    with pytest.raises(DiffMagicError) as raised:
        Request.checked(**options)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_changed_checks_again_and_knows_only_compares_options() -> None:
    request = Request.checked(order=2, method_time_limit=math.inf, timing_points=1_000)
    assert request.changed(points=20).method_time_limit == math.inf
    assert request.changed(timing=True).timing_points == 1_000
    with pytest.raises(DiffMagicError, match="order must be from 1 to 8"):
        request.changed(order=9)
    with pytest.raises(DiffMagicError, match="no option 'colour'"):
        request.changed(colour="red")


def test_methods_and_engines_given_as_generators_are_read_once() -> None:
    request = Request.checked(methods=(m for m in ["symbolic"]), engines=iter(["numpy", "jax"]))
    assert request.methods == ("symbolic",) and request.engines == ("numpy", "jax")
    assert request.rows == ("symbolic", "symbolic@jax")


def test_run_refuses_what_is_not_a_request() -> None:
    with pytest.raises(DiffMagicError, match="takes a diffmagic Request, not dict"):
        run("x**2", {"points": 10})


def test_the_panel_opens_its_graph_in_the_mode_the_magic_asks_for(shell) -> None:
    with capture_output():
        shell.run_line_magic(
            "differentiate", '"x**2" --panel --graph --graph-mode forward --no-timing -o shown -q'
        )
    shown = shell.user_ns.pop("shown")
    assert shown.show_graph.value and shown.graph_mode.value == "forward"
