"""The panel without a browser: set control values, check what the output area then holds."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

import diffmagic
from diffmagic.frontends import panel_output
from diffmagic.frontends.panel import Panel
from diffmagic.frontends.panel_output import quotient_label
from diffmagic.running.cache import PREPARED

CELL = "import numpy as np\ndef f(x, a):\n    return np.abs(x) + a * np.sin(x)\n"


@pytest.fixture
def panel() -> Panel:
    return diffmagic.panel(CELL, domain=(-3, 3), params={"a": 1.0}, x0=1.0)


def _png(panel: Panel) -> bytes:
    images = [o["data"]["image/png"] for o in panel.output.outputs if "image/png" in o["data"]]
    assert len(images) == 1, "the output area holds exactly one figure"
    data = base64.b64decode(images[0])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def _html(panel: Panel) -> str:
    return "".join(o["data"].get("text/html", "") for o in panel.output.outputs)


def test_the_panel_opens_with_a_figure_slopes_and_the_table(panel: Panel) -> None:
    _png(panel)
    html = _html(panel)
    assert "slope at x0 = 1" in html
    for label in ("symbolic (SymPy)", "numerical (np.gradient)", "automatic (JAX)"):
        assert label in html
    assert panel.status.value == ""


def test_moving_x0_redraws_without_preparing_again(panel: Panel) -> None:
    before_png, before_redraws = _png(panel), panel.redraws
    preparations = dict(PREPARED.preparations)
    panel.x0.value = -2.0
    assert panel.redraws == before_redraws + 1
    assert _png(panel) != before_png
    assert "slope at x0 = -2" in _html(panel)
    slopes = panel.slopes()
    # f'(x) = sign(x) + cos(x): at -2 that is -1 + cos(-2)
    assert slopes["automatic (JAX)"] == pytest.approx(-1 + np.cos(-2.0), abs=1e-12)
    assert slopes["symbolic (SymPy)"] == pytest.approx(-1 + np.cos(-2.0), abs=1e-12)
    assert dict(PREPARED.preparations) == preparations, "x0 must not re-derive or re-compile"


def test_the_secant_slope_tends_to_the_derivative_as_dx_shrinks(panel: Panel) -> None:
    exact = 1 + np.cos(1.0)
    panel.dx.value = 0.5
    wide = next(v for k, v in panel.slopes().items() if k.startswith("secant"))
    panel.dx.value = 1e-6
    narrow = next(v for k, v in panel.slopes().items() if k.startswith("secant"))
    assert abs(narrow - exact) < 1e-5 < abs(wide - exact)


@pytest.mark.slow
def test_float32_steps_show_round_off_that_float64_does_not(panel: Panel) -> None:
    exact = 1 + np.cos(1.0)
    panel.step.value = 1e-6
    panel.scheme.value = "central"
    label64 = quotient_label(panel)
    error64 = abs(panel.slopes()[label64] - exact)
    panel.dtype.value = "float32"
    error32 = abs(panel.slopes()[quotient_label(panel)] - exact)
    assert error64 < 1e-8
    assert error32 > 1e-3, "a 1e-6 step in float32 is swamped by round-off"


def test_changing_a_parameter_prepares_again_and_updates_the_derivative(panel: Panel) -> None:
    preparations = PREPARED.preparations["automatic"]
    panel.params["a"].value = 2.0
    assert PREPARED.preparations["automatic"] == preparations + 1
    assert panel.slopes()["automatic (JAX)"] == pytest.approx(1 + 2 * np.cos(1.0), abs=1e-12)


def test_changing_points_re_evaluates_from_the_cache(panel: Panel) -> None:
    preparations = dict(PREPARED.preparations)
    panel.points.value = 1000
    assert panel.comparison.x.size == 1000
    assert dict(PREPARED.preparations) == preparations


def test_order_two_changes_every_row(panel: Panel) -> None:
    panel.order.value = 2
    assert panel.comparison.order == 2
    assert "f'' of f" in panel.comparison.table()
    assert "does not exist at x = 0: a jump of f'" in panel.comparison.table()
    # f''(x) = -a sin(x) away from 0
    assert panel.slopes()["automatic (JAX)"] == pytest.approx(-np.sin(1.0), abs=1e-12)


@pytest.mark.slow
def test_methods_can_be_switched_off(panel: Panel) -> None:
    panel.methods["finite_difference"].value = False
    panel.methods["numerical"].value = False
    assert [r.key for r in panel.comparison] == ["symbolic", "automatic"]
    assert "np.gradient" not in _html(panel)


def test_a_new_comparison_is_drawn_anew_even_when_it_has_the_old_one_s_id(
    panel: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replaced comparison, once garbage-collected, can leave its id() to a later one (untick
    the graph, change a parameter twice, tick it again): a picture kept by id would then be the
    old comparison's. Here every object has one id, as such a reuse gives, and the figure and
    the graph must still be the new comparison's: what is kept is tied to the object itself."""
    monkeypatch.setattr(panel_output, "id", lambda obj: 0, raising=False)
    panel.show_graph.value = True
    before = _png(panel)
    panel.params["a"].value = 2.0
    assert panel.status.value == ""
    assert _png(panel) != before, "the figure is rebuilt for the new comparison"
    (graph,) = [
        o["data"]["text/plain"]
        for o in panel.output.outputs
        if "computational graph" in o["data"].get("text/plain", "")
    ]
    assert graph.startswith("computational graph of f(x; a=2.0) at x = 1")
    # f'(x) = sign(x) + a cos(x): at x0 = 1 with a = 2 that is 1 + 2 cos(1)
    slope = float(re.search(r"df/dx = (\S+)", graph).group(1))
    assert slope == pytest.approx(1 + 2 * np.cos(1.0), rel=1e-12)


def test_a_bad_setting_shows_one_line_in_the_panel_which_keeps_working(panel: Panel) -> None:
    for box in panel.methods.values():
        box.value = False
    assert "tick at least one method" in panel.status.value
    panel.methods["automatic"].value = True
    assert panel.status.value == ""
    assert [r.key for r in panel.comparison] == ["automatic"]


def test_a_new_domain_keeps_x0_inside_it(panel: Panel) -> None:
    panel.domain.value = (2.0, 2.5)
    assert 2.0 <= panel.x0.value <= 2.5
    assert (panel.x0.min, panel.x0.max) == (2.0, 2.5)


def test_time_it_fills_the_table_and_the_progress_bar(panel: Panel) -> None:
    panel._on_time()
    assert panel.progress.value == 1.0
    assert all(r.timing is not None for r in panel.comparison if r.ok)
    assert "warm eval is the median time" in _html(panel)


def test_without_widgets_the_static_figure_and_table_still_appear(panel: Panel) -> None:
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert 'src="data:image/png;base64,' in bundle["text/html"] and 'alt="' in bundle["text/html"]
    assert "automatic (JAX)" in bundle["text/plain"]


@pytest.mark.slow
def test_the_panel_keeps_every_option_of_compare_when_a_control_changes() -> None:
    shown = Panel("x**3", engines=("numpy", "jax"), extrema=True, x0=1.0)
    assert "symbolic@jax" in shown.comparison and shown.comparison.extrema is not None
    shown.points.value = 200
    assert shown.comparison.x.size == 200
    assert "symbolic@jax" in shown.comparison and shown.comparison.extrema is not None
    assert shown.order.max == diffmagic.limits.bounds.MAX_ORDER == 8


@pytest.mark.slow
def test_the_magics_panel_honours_engines_extrema_and_save(tmp_path) -> None:
    from IPython.core.getipython import get_ipython
    from IPython.testing.globalipapp import start_ipython
    from IPython.utils.capture import capture_output

    shell = start_ipython() or get_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    saved = tmp_path / "panel.png"
    with capture_output():
        shell.run_line_magic(
            "differentiate",
            f'"x**3" --panel --engines numpy,jax --extrema --at 1 --save {saved} -o shown -q',
        )
    shown = shell.user_ns.pop("shown")
    assert "symbolic@jax" in shown.comparison and shown.comparison.extrema is not None
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
