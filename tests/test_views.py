"""What issue 16 found wrong in what diffmagic shows, one test each.

Figures: every legend entry is drawn and every drawn line is in the legend; the secant is drawn
only when listed; tangents carry their method's colour; exact-zero errors sit on a labelled
floor; the default view of the lab's exp(-2x) + 3 sin(3x) on -5..5 keeps the sine readable.
Words: the secant table's `*` marks where round-off has taken over; `print(cmp)` says timing
was off; the panel outside a notebook, or without ipywidgets, says what to do. HTML: theme
colours, never fixed light-theme greys, and alt text on every image. Reports: the magic's
`--html` page and `--format svg`.
"""

from __future__ import annotations

import html as html_module
import re
import sys

import numpy as np
import pytest
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output
from matplotlib.colors import to_rgba

import diffmagic
from diffmagic.analysis.at_point import at_point
from diffmagic.errors import DiffMagicError
from diffmagic.frontends.cli import build_parser
from diffmagic.frontends.report import build_report, html_page
from diffmagic.views.figure import EXACT_LABEL, STYLES
from diffmagic.views.notebook import secant_marks, tangent_bundle

EXP_SIN = "exp(-2*x) + 3*sin(3*x)"


@pytest.fixture(scope="module")
def exp_sin():
    return diffmagic.compare(EXP_SIN)


@pytest.fixture(scope="module")
def kink():
    return diffmagic.compare("abs(x) + sin(x)")


def _top_and_bottom(figure):
    top, bottom = figure.axes
    return top, bottom


def _drawn_lines(axes) -> list:
    """Lines that show something: a label of their own and at least one finite point."""
    drawn = []
    for line in axes.get_lines():
        if line.get_label().startswith("_"):
            continue
        x, y = (np.asarray(data, dtype=float) for data in line.get_data())
        if x.size and np.isfinite(y).any():
            drawn.append(line)
    return drawn


def _legend_labels(axes) -> list[str]:
    return [text.get_text() for text in axes.get_legend().get_texts()]


# ----------------------------------------------------------------------------- the legend


@pytest.mark.parametrize("secant", [None, 0.5])
def test_every_legend_entry_is_drawn_and_every_drawn_line_is_in_the_legend(kink, secant) -> None:
    figure = kink.figure(at=1.0, secant=secant)
    top, _ = _top_and_bottom(figure)
    labels = _legend_labels(top)
    drawn = {line.get_label() for line in _drawn_lines(top)}
    assert sorted(labels) == sorted(drawn)
    # Every other artist with data on the value axes is unlabelled on purpose: there is none.
    unlabelled = [
        line
        for line in top.get_lines()
        if line.get_label().startswith("_") and len(line.get_xdata())
    ]
    assert unlabelled == []
    secants = [label for label in labels if label.startswith("secant")]
    assert secants == ([] if secant is None else ["secant through x0, x0 + dx"])


def test_the_secant_passes_through_x0_and_x0_plus_dx(kink) -> None:
    figure = kink.figure(at=1.0, secant=0.5)
    top, _ = _top_and_bottom(figure)
    (line,) = [line for line in top.get_lines() if line.get_label().startswith("secant")]
    x, y = (np.asarray(data, dtype=float) for data in line.get_data())
    f = lambda t: abs(t) + np.sin(t)  # noqa: E731  (by hand)
    slope = (f(1.5) - f(1.0)) / 0.5
    np.testing.assert_allclose(y, f(1.0) + slope * (x - 1.0), rtol=1e-12, atol=1e-12)
    marked = x[line.get_markevery()]
    np.testing.assert_allclose(sorted(marked), [1.0, 1.5])


def test_each_tangent_is_in_the_legend_in_its_methods_colour(exp_sin) -> None:
    figure = exp_sin.figure(at=1.0)
    top, _ = _top_and_bottom(figure)
    tangents = {
        line.get_label(): line for line in top.get_lines() if line.get_label().startswith("tangent")
    }
    assert set(tangents) == {f"tangent: {result.label}" for result in exp_sin}
    slope = 9 * np.cos(3.0) - 2 * np.exp(-2.0)  # f'(1) by hand
    f1 = np.exp(-2.0) + 3 * np.sin(3.0)
    widths = []
    for result in exp_sin:
        line = tangents[f"tangent: {result.label}"]
        assert to_rgba(line.get_color()) == to_rgba(STYLES[result.key]["color"])
        x, y = (np.asarray(data, dtype=float) for data in line.get_data())
        middle = len(x) // 2
        assert x[middle] == 1.0 and abs(y[middle] - f1) < 1e-12  # through (x0, f(x0))
        if result.key != "numerical":  # np.gradient's slope is read off its grid: less exact
            np.testing.assert_allclose(y, f1 + slope * (x - 1.0), rtol=1e-6, atol=1e-6)
        widths.append(line.get_linewidth())
    # Agreeing tangents overlap: each is narrower than the one under it, so all colours show.
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)


def test_points_are_labelled_in_the_legend_not_over_the_curves() -> None:
    cubic = diffmagic.compare("2*x**3 - 3*x**2 + 5", extrema=True)
    figure = cubic.figure()
    top, _ = _top_and_bottom(figure)
    labels = _legend_labels(top)
    assert "maximum at x=0" in labels and "minimum at x=1" in labels
    assert [text.get_text() for text in top.texts] == []  # no label drawn over the plot
    corner = diffmagic.compare("abs(x) + sin(x)").figure()
    assert "corner at x=0" in _legend_labels(corner.axes[0])
    assert len(corner.axes[0].texts) == 0


# ----------------------------------------------------------------------------- the view


def test_the_default_view_keeps_the_sine_and_the_tangent_readable(exp_sin) -> None:
    figure = exp_sin.figure(at=1.0)
    top, _ = _top_and_bottom(figure)
    # e^(-2x) reaches e^10 = 22,026 at x = -5: on a linear axis the sine (amplitude 3, f'
    # amplitude 9) would be a flat line. The axis is linear where they live, log beyond.
    assert top.get_yscale() == "symlog"
    threshold = top.yaxis.get_transform().linthresh
    assert 9 <= threshold <= 50
    low, high = top.get_ylim()
    assert low <= -2 * np.exp(10.0) and high >= np.exp(10.0)
    assert "linear within" in top.get_title()


def test_a_function_that_fits_keeps_a_linear_axis() -> None:
    figure = diffmagic.compare("x**2").figure()
    assert figure.axes[0].get_yscale() == "linear"
    assert "linear within" not in figure.axes[0].get_title()


# ----------------------------------------------------------------------------- exact zeros


def test_exact_zero_errors_sit_on_a_labelled_floor() -> None:
    # The derivative of x**2 is 2x: SymPy's row is the reference, JAX's is exact at every grid
    # point (2 * x in float64 is exact), so all its errors are zeros.
    square = diffmagic.compare("x**2", methods="symbolic,automatic")
    errors = np.abs(square["automatic"].values - 2 * square.x)
    assert (errors == 0).all()
    _, bottom = _top_and_bottom(square.figure())
    (floor_line,) = [line for line in bottom.get_lines() if line.get_label() == EXACT_LABEL]
    floor = floor_line.get_ydata()[0]
    assert floor > 0 and bottom.get_ylim()[0] < floor
    labels = [line.get_label() for line in bottom.get_lines()]
    (zeros,) = [
        line for line in bottom.get_lines() if line.get_label() == f"automatic (JAX): {EXACT_LABEL}"
    ]
    assert labels.count(f"automatic (JAX): {EXACT_LABEL}") == 1, labels
    assert len(zeros.get_xdata()) == square.x.size and set(zeros.get_ydata()) == {floor}
    assert zeros.get_marker() not in (None, "None", "", " ")
    assert any(EXACT_LABEL in text.get_text() for text in bottom.texts)


# ----------------------------------------------------------------------------- secants


def test_the_star_marks_where_round_off_takes_over(exp_sin) -> None:
    exact = 9 * np.cos(3.0) - 2 * np.exp(-2.0)
    f = lambda t: np.exp(-2 * t) + 3 * np.sin(3 * t)  # noqa: E731
    widths = [10.0**-k for k in range(16)]
    errors = [abs((f(1.0 + dx) - f(1.0)) / dx - exact) for dx in widths]
    best = int(np.argmin(errors))
    text = tangent_bundle(exp_sin, at_point(exp_sin, 1.0))["text/plain"]
    rows = [line for line in text.splitlines() if line.strip().startswith("dx=")]
    assert len(rows) == len(widths)
    starred = [i for i, line in enumerate(rows) if line.endswith(" *")]
    expected = [i for i in range(best + 1, len(widths)) if errors[i] > errors[best]]
    assert starred == expected and starred, text
    assert rows[best].endswith("<- closest")
    # Above the best width the error is truncation: no star there.
    assert all(i > best for i in starred)


def test_secant_marks_by_hand() -> None:
    assert secant_marks([1.0, 0.1, 0.01, 0.05, None, 0.2]) == [
        "",
        "",
        "closest",
        "round-off",
        "",
        "round-off",
    ]
    assert secant_marks([None, None]) == ["", ""]


# ----------------------------------------------------------------------------- words


def test_print_says_timing_was_off_and_how_to_turn_it_on(exp_sin, capsys) -> None:
    print(exp_sin)
    printed = capsys.readouterr().out
    assert "timing off: compare(..., timing=True) or Comparison.time() measures it" in printed
    header, _rule, *body = printed.splitlines()[2:]
    warm = header.index("warm eval")
    assert all(line[warm:].startswith("off") for line in body[:4]), printed


def test_the_panel_says_where_to_run_it(kink) -> None:
    panel = diffmagic.panel("abs(x) + sin(x)")
    text = repr(panel)
    assert "\n" not in text and " at 0x" not in text
    assert "Jupyter notebook" in text and "print(panel.comparison)" in text
    # Its table says how the panel times the methods: its own button.
    table = next(
        o["data"]["text/html"]
        for o in panel.output.outputs
        if "<caption" in o["data"].get("text/html", "")
    )
    assert "timing off" in table and "time it" in table


def test_without_ipywidgets_the_panel_names_the_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    with pytest.raises(DiffMagicError) as raised:
        diffmagic.panel("x**2")
    message = str(raised.value)
    assert "\n" not in message and 'pip install "diffmagic[notebook]"' in message


# ----------------------------------------------------------------------------- HTML

FIXED_GREYS = re.compile(r"color:\s*#(?:333|555|bbb|ddd|222|666|777|888|999)\b", re.I)


def test_html_uses_theme_colours_and_never_fixed_greys_for_text() -> None:
    failing = diffmagic.compare("x**2", methods="symbolic,automatic")
    html = failing._repr_html_()
    assert not FIXED_GREYS.search(html), html
    for declaration in re.findall(r"(?<![-\w])color:\s*([^;'\"}]+)", html):
        assert declaration.strip().startswith("var(--jp-"), declaration
    assert "var(--jp-border-color2" in html and "--vscode-" in html


def test_every_figure_bundle_carries_alt_text_and_a_text_twin(exp_sin) -> None:
    options = build_parser().parse_args([EXP_SIN, "--at", "1", "--no-timing"])
    report = build_report(EXP_SIN, options)
    figures = [b for b in report.bundles if "image/png" in b]
    assert len(figures) == 1
    (alt,) = map(html_module.unescape, re.findall(r'<img alt="([^"]+)"', figures[0]["text/html"]))
    assert alt.startswith("f(x) = 3*sin(3*x) + exp(-2*x) and its derivative f' by 4 methods")
    assert "tangent at x0 = 1" in alt and alt.endswith(
        "errors against the reference below, on a log scale"
    )
    assert alt in figures[0]["text/plain"]
    assert all("text/plain" in bundle for bundle in report.bundles)
    page = html_page(report)
    images = re.findall(r"<img\b[^>]*>", page)
    assert images and all(re.search(r'alt="[^"]{20,}"', image) for image in images)


def test_the_panel_fallback_image_has_alt_text(kink) -> None:
    panel = diffmagic.panel("abs(x) + sin(x)", x0=1.0)
    static = panel._repr_mimebundle_()["text/html"]
    (alt,) = map(html_module.unescape, re.findall(r'<img alt="([^"]+)"', static))
    assert "its derivative f'" in alt and "corner at 0 marked" in alt and "tangent at x0 = 1" in alt


# ----------------------------------------------------------------------------- the magic


@pytest.fixture(scope="module")
def ip():
    from IPython import get_ipython

    # The process has one global test shell: tests/test_magic.py may have started it already.
    shell = get_ipython() or start_ipython()
    shell.run_line_magic("load_ext", "diffmagic")
    return shell


def test_the_magic_writes_a_self_contained_html_report(ip, tmp_path) -> None:
    path = tmp_path / "report.html"
    with capture_output() as captured:
        ip.run_line_magic("differentiate", f'"{EXP_SIN}" --no-timing --at 1 --html {path}')
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<table class="diffmagic-table"' in page and "secants through x0" in page
    assert re.search(r'<img alt="f\(x\) = [^"]+" src="data:image/png;base64,', page)
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert captured.outputs, "the cell still shows its outputs"


def test_the_magic_shows_and_writes_svg_when_asked(ip, tmp_path) -> None:
    path = tmp_path / "report.html"
    with capture_output() as captured:
        ip.run_line_magic("differentiate", f'"x**2" --no-timing --format svg --html {path}')
    figures = [o.data for o in captured.outputs if "image/svg+xml" in o.data]
    assert len(figures) == 1 and not any("image/png" in o.data for o in captured.outputs)
    assert figures[0]["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert 'src="data:image/svg+xml;base64,' in path.read_text(encoding="utf-8")


def test_rows_on_the_jax_engine_are_drawn_and_told_apart() -> None:
    both = diffmagic.compare("x**2", engines="numpy,jax", methods="symbolic,numerical")
    top, _ = _top_and_bottom(both.figure())
    drawn = {line.get_label(): line for line in _drawn_lines(top)}
    rows = [result for result in both if result.ok]
    assert len(rows) > 2 and all(f"f' {result.label}" in drawn for result in rows)
    looks = {
        (to_rgba(drawn[f"f' {r.label}"].get_color()), drawn[f"f' {r.label}"].get_marker())
        for r in rows
    }
    assert len(looks) == len(rows), "two rows look the same"


def test_values_near_the_float64_limit_draw_without_overflow_warnings() -> None:
    import warnings

    from diffmagic.views.figure import figure_bytes

    huge = diffmagic.compare("import numpy as np\ndef f(x):\n    return np.exp(1000 * x)\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in matplotlib's margins would raise here
        figure = huge.figure()
        assert figure_bytes(figure, "png", dpi=20).startswith(b"\x89PNG")
    low, high = figure.axes[0].get_ylim()
    assert np.isfinite([low, high]).all() and high >= np.exp(660.0)


def test_the_panel_refuses_a_static_report_in_one_line(ip, tmp_path) -> None:
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="remove --panel"):
        ip.run_line_magic("differentiate", f'"x**2" --panel --html {tmp_path / "p.html"}')
    assert not (tmp_path / "p.html").exists()
