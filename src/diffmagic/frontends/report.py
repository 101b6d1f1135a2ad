"""What the magic and the command line show for one set of options, built in one place.

Both front ends parse the shared options (`diffmagic.frontends.options`), hand the function
over, and get a `Report`: the comparison (or, with `--gradient`, the table of partial
derivatives), the extra studies asked for, the figure to save, and the display bundles in
reading order. The magic displays the bundles; the command line prints their `text/plain`.
"""

from __future__ import annotations

import html
from typing import Any

from diffmagic.analysis.at_point import at_point
from diffmagic.api.compare import Comparison, run
from diffmagic.errors import DiffMagicError
from diffmagic.frontends.option_checks import check_options
from diffmagic.frontends.options import parse_params, parse_point, to_request
from diffmagic.frontends.report_result import Report
from diffmagic.limits.explain import one_line
from diffmagic.methods.yours import resolve as resolve_yours
from diffmagic.views.notebook import bundles as comparison_bundles
from diffmagic.views.notebook import image_bundle


def html_page(report: Report) -> str:
    """One self-contained page of every bundle, for --html in the magic and the command line.

    Figures are embedded with their alt text; the formula is its plain-text twin (no MathJax to
    fetch); nothing is linked from elsewhere.
    """
    title = "diffmagic"
    if report.comparison is not None:
        title = f"diffmagic: {report.comparison.target.label}"
    parts = []
    for bundle in report.bundles:
        if "text/latex" in bundle:
            parts.append(f"<p><code>{html.escape(bundle.get('text/plain', ''))}</code></p>")
        elif "text/html" in bundle:
            parts.append(bundle["text/html"])
        else:
            parts.append(f"<pre>{html.escape(bundle.get('text/plain', ''))}</pre>")
    escaped = html.escape(title)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escaped}</title>"
        "</head><body style='font-family:sans-serif'>"
        f"<h1>{escaped}</h1>{''.join(parts)}</body></html>"
    )


def _text_bundle(title: str, lines: list[str]) -> dict[str, str]:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return {
        "text/html": f"<p><b>{html.escape(title)}</b></p><ul class='diffmagic-notes'>{items}</ul>",
        "text/plain": "\n".join([title, *(f"  {line}" for line in lines)]),
    }


def _gradient_report(
    f: Any, options: Any, func: str | None, plot: bool, fmt: str = "png"
) -> Report:
    from diffmagic.api.partials import gradient_field, partial_derivatives

    point = parse_point(options.at)
    params = parse_params(options.param)
    table = partial_derivatives(f, point, methods=options.methods, params=params, func=func)
    report = Report(gradient=table)
    report.bundles.append({"text/html": table._repr_html_(), "text/plain": table.table()})
    if plot and len(point) == 2:
        low, high = options.domain
        (x_name, x0), (y_name, y0) = point.items()
        width = (high - low) / 2
        report.figure = gradient_field(
            f,
            (x0 - width, x0 + width),
            (y0 - width, y0 + width),
            params=params,
            func=func,
            mark=(x0, y0),
        )
        alt = (
            f"contours of f({x_name}, {y_name}) around ({x0:g}, {y0:g}) with arrows of its gradient"
        )
        report.bundles.append(image_bundle(report.figure, alt, fmt))
    return report


def build_report(f: Any, options: Any, *, func: str | None = None) -> Report:
    """Run what the options ask for on `f` (a function, a cell's text or an expression).

    The options are checked first (`option_checks.check_options`): nothing here runs work for
    a combination that would be refused afterwards.
    """
    check_options(options)
    plot = not getattr(options, "no_plot", False)
    from diffmagic.frontends.many_parameters import many_parameters_report

    many = many_parameters_report(f, options, func=func)
    if many is not None:
        return many
    fmt = getattr(options, "format", None) or "png"
    if getattr(options, "gradient", False):
        return _gradient_report(f, options, func, plot, fmt)
    point = parse_point(options.at)
    yours = resolve_yours(getattr(options, "yours", None) or [], f)
    comparison = run(f, to_request(options, func=func, yours=yours))
    report = Report(comparison=comparison)
    if plot:
        try:
            report.figure = comparison.figure(at=point)
        except Exception as error:
            report.figure_error = one_line(error)
    values_at = None if point is None else at_point(comparison, point)
    report.bundles = comparison_bundles(
        comparison, plot=plot, at=point, figure=report.figure, fmt=fmt, point=values_at
    )
    if getattr(options, "step_study", False):
        report.step_study = comparison.step_study(point)
        if report.step_study is not None:
            report.bundles.append(
                _text_bundle("best steps for difference quotients", report.step_study.summary())
            )
            if plot:
                alt = (
                    f"error of forward and central differences at x0 = {point:g} against the "
                    "step h, in float32 and float64, log-log"
                )
                report.bundles.append(image_bundle(report.step_study.figure(), alt, fmt))
    if getattr(options, "graph", False):
        report.bundles.append(_graph_bundle(comparison, point, options.graph_mode))
    return report


def _graph_bundle(comparison: Comparison, point: Any, mode: str) -> dict[str, Any]:
    """The graph at --at, or one line saying why there is none: the table above stays."""
    from diffmagic.limits.explain import explain_jax
    from diffmagic.results.graph import graph_of_comparison

    try:
        drawn = graph_of_comparison(comparison, point, mode)
        return drawn._repr_mimebundle_()
    except DiffMagicError as error:
        return _text_bundle("no computational graph", [str(error)])
    except Exception as error:  # whatever else: still one line, never the table's end
        reason = one_line(explain_jax(comparison.target.name, error))
        return _text_bundle("no computational graph", [reason])
