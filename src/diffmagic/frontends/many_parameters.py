"""The many-parameter path of `%%differentiate` and the `diffmagic` command.

`--at NAME` names a vector or pytree the cell (or the file, or the notebook) defines: the
function's gradient there by each method, with the per-coordinate error figure. `--sizes
10,100,1000` runs `parameter_study` over those sizes. `report.build_report` asks
`many_parameters_report` first; None means the options are for the one-variable path.
"""

from __future__ import annotations

from typing import Any

from diffmagic.errors import DiffMagicError
from diffmagic.frontends.option_checks import default_of, wants_many_parameters
from diffmagic.frontends.options import parse_params
from diffmagic.inputs.target import resolve_function
from diffmagic.views.notebook import image_bundle


def many_parameters_report(f: Any, options: Any, *, func: str | None = None) -> Any:
    """A `report.Report` for `--at NAME` and/or `--sizes`, or None when neither is given."""
    if not wants_many_parameters(options):
        return None
    from diffmagic.api.gradients import DEFAULT_METHODS, compare_gradient
    from diffmagic.api.study import check_sizes, parameter_study
    from diffmagic.frontends.report_result import Report

    function, _ = resolve_function(f, func)
    namespace = getattr(function, "__globals__", {})
    methods = options.methods
    if methods == default_of("methods"):  # the one-variable names: every gradient method
        methods = DEFAULT_METHODS
    params = parse_params(options.param)
    plot = not getattr(options, "no_plot", False)
    fmt = getattr(options, "format", None) or "png"
    timing = getattr(options, "timing", "quick") != "off"
    sizes = check_sizes(options.sizes) if getattr(options, "sizes", None) else None
    report = Report()
    at = (options.at or "").strip()
    if at:
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
            alt = f"error of each method's gradient per coordinate at {at}"
            report.bundles.append(image_bundle(report.figure, alt, fmt))
    if sizes:
        study = parameter_study(function, sizes=sizes, methods=methods, params=params)
        report.study = study
        if report.gradient is None:
            report.gradient = study
        report.bundles.append({"text/html": study._repr_html_(), "text/plain": str(study)})
        if plot:
            figure = study.figure()
            if report.figure is None:
                report.figure = figure
            alt = "cost of one gradient by each method against the number of parameters n, log-log"
            report.bundles.append(image_bundle(figure, alt, fmt))
    return report
