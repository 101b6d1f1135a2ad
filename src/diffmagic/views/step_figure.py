"""The step study's figure: the error of difference quotients at x0 against the step h."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from diffmagic.analysis.steps import StepStudy


def step_figure(study: StepStudy) -> Any:
    """Each scheme and precision's |error| against h, log-log; dots at the best h, dotted lines
    at the textbook steps eps^(1/2) and eps^(1/3)."""
    from diffmagic.views.shown_figure import ShownFigure

    figure = ShownFigure(
        figsize=(8, 4.5),
        alt=f"error of forward and central differences at x0 = {study.x0:g} against the step "
        "h, in float32 and float64, log-log",
    )
    axes = figure.subplots()
    for index, (label, errors) in enumerate(study.errors.items()):
        color = f"C{index}"
        shown = np.where(errors > 0, errors, np.nan)
        axes.loglog(study.steps, shown, color=color, label=label)
        best = study.best_step(label)
        axes.plot([best], [errors[study.steps == best][0]], "o", color=color)
        scheme, dtype = label.split()
        axes.axvline(study.textbook_step(scheme, dtype), color=color, linestyle=":", alpha=0.6)
    axes.set_xlabel("step h")
    axes.set_ylabel("|error| at x0")
    axes.set_title(
        f"difference quotients at x0 = {study.x0:g}: truncation falls, round-off rises "
        "(dots: best h; dotted: eps^(1/2), eps^(1/3))",
        fontsize=9,
    )
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8)
    return figure
