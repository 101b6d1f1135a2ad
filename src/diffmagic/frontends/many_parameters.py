"""The many-parameter path of `%%differentiate` and the `diffmagic` command.

`--at NAME` names a vector or pytree the cell (or the file, or the notebook) defines: the
function's gradient there by each method, with the per-coordinate error figure. `--sizes
10,100,1000` runs `parameter_study` over those sizes. `report.build_report` asks
`many_parameters_report` first; None means the options are for the one-variable path.
"""

from __future__ import annotations

import base64
from typing import Any

from diffmagic.errors import DiffMagicError
from diffmagic.frontends.options import parse_params
from diffmagic.inputs.target import resolve_function
from diffmagic.limits.explain import one_line

#: The shared `--methods` default (one-variable names); here it means every gradient method.
ONE_VARIABLE_DEFAULT = "symbolic,numerical,automatic"
#: Options of the one-variable path that say nothing about a vector point.
_ONE_VARIABLE_ONLY = ("gradient", "extrema", "step_study")


def wants_many_parameters(options: Any) -> bool:
    """True for `--at NAME` (a name, not a number) or `--sizes`."""
    at = getattr(options, "at", None)
    named = isinstance(at, str) and at.strip().isidentifier()
    return named or bool(getattr(options, "sizes", None))


def _png(figure: Any, description: str) -> dict[str, Any]:
    from diffmagic.views.figure import figure_bytes

    try:
        png = figure_bytes(figure, "png")
    except Exception as error:
        return {"text/plain": f"<no figure: {one_line(error, 120)}>"}
    return {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": description}


def many_parameters_report(f: Any, options: Any, *, func: str | None = None) -> Any:
    """A `report.Report` for `--at NAME` and/or `--sizes`, or None when neither is given."""
    if not wants_many_parameters(options):
        return None
    from diffmagic.api.gradients import DEFAULT_METHODS, compare_gradient
    from diffmagic.api.study import check_sizes, parameter_study
    from diffmagic.frontends.report_result import Report

    for name in _ONE_VARIABLE_ONLY:
        if getattr(options, name, False):
            flag = "--" + name.replace("_", "-")
            raise DiffMagicError(
                f"{flag} is for functions of one variable: remove it with --at NAME or --sizes"
            )
    function, _ = resolve_function(f, func)
    namespace = getattr(function, "__globals__", {})
    methods = options.methods
    if methods == ONE_VARIABLE_DEFAULT:
        methods = DEFAULT_METHODS
    params = parse_params(options.param)
    plot = not getattr(options, "no_plot", False)
    timing = getattr(options, "timing", "quick") != "off"
    sizes = check_sizes(options.sizes) if getattr(options, "sizes", None) else None
    report = Report()
    at = (options.at or "").strip()
    if at:
        if not at.isidentifier():
            raise DiffMagicError(f"--at {at}: with --sizes, give the NAME of a vector or nothing")
        if at not in namespace:
            raise DiffMagicError(
                f"--at {at}: no `{at}` is defined; define the point in the cell "
                f"(e.g. {at} = np.zeros(10)) or run the cell that defines it first"
            )
        comparison = compare_gradient(function, namespace[at], methods, params, timing)
        report.gradient = comparison
        report.bundles.append(
            {"text/html": comparison._repr_html_(), "text/plain": str(comparison)}
        )
        if plot:
            report.figure = comparison.figure()
            report.bundles.append(_png(report.figure, "<error of each method per coordinate>"))
    if sizes:
        study = parameter_study(function, sizes=sizes, methods=methods, params=params)
        if report.gradient is None:
            report.gradient = study
        report.bundles.append({"text/html": study._repr_html_(), "text/plain": str(study)})
        if plot:
            figure = study.figure()
            if report.figure is None:
                report.figure = figure
            report.bundles.append(_png(figure, "<cost of one gradient against n>"))
    return report
