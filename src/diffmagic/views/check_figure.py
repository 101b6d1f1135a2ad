"""The gradient check's figure: each coordinate's absolute error, the tolerance, worst labelled.

A `matplotlib.figure.Figure` (no pyplot: nothing registered, nothing shown twice), drawn on an
opaque white background so it reads the same in a dark theme. Legend entries are only made for
what is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.views.error_axis import ERROR_FLOOR

if TYPE_CHECKING:
    from diffmagic.results.check import GradientCheck

#: Coordinates labelled by name in the figure.
LABELLED = 5


def check_figure(check: GradientCheck, width: float = 9.0, height: float = 4.2) -> Any:
    """Absolute error per coordinate (per direction in directions mode), log scale."""
    from diffmagic.views.shown_figure import ShownFigure

    unit = "direction" if check.mode == "directions" else "coordinate"
    figure = ShownFigure(
        figsize=(width, height),
        facecolor="white",
        alt=f"absolute error of your gradient per {unit} (log scale), with the tolerance",
    )
    axes = figure.subplots()
    axes.set_facecolor("white")
    error = np.where(np.isfinite(check.error), check.error, np.nan)
    finite = error[np.isfinite(error)]
    top = float(np.max(finite)) if finite.size else 1.0
    floor = max(ERROR_FLOOR, 1e-17 * max(top, float(np.max(check.tolerance))))
    shown = np.clip(np.nan_to_num(error, nan=top * 10 if top > 0 else 1.0), floor, None)
    index = np.arange(error.size)
    passing_kinks = set(check.kinks.indices[check.kinks.passed].tolist())
    wrong = set(int(i) for i in check.wrong)
    marker = "o" if error.size <= 300 else "."
    if check.mode == "full" and check.flat.structured:
        for number, leaf in enumerate(check.flat.leaves):
            part = slice(leaf.start, leaf.start + leaf.size)
            label = check.flat.describe(leaf.start).split("[")[0]
            axes.plot(
                index[part],
                shown[part],
                marker,
                markersize=3.5,
                linestyle="none",
                color=f"C{number % 10}",
                label=label,
            )
    else:
        axes.plot(
            index,
            shown,
            marker,
            markersize=3.5,
            linestyle="none",
            color="C0",
            label="coordinates" if check.mode == "full" else "directions",
        )
    axes.plot(
        index,
        np.maximum(check.tolerance, floor),
        color="0.4",
        linewidth=1,
        linestyle="--",
        label="tolerance",
    )
    if wrong:
        chosen = np.array(sorted(wrong))
        axes.plot(chosen, shown[chosen], "x", color="#c62828", markersize=7, label="wrong")
    if passing_kinks:
        chosen = np.array(sorted(passing_kinks))
        axes.plot(
            chosen,
            shown[chosen],
            "D",
            markerfacecolor="none",
            color="#2e7d32",
            markersize=7,
            label="kink (passes)",
        )
    _label_worst(axes, check, shown, passing_kinks)
    axes.set_yscale("log")
    axes.set_xlabel("flat coordinate" if check.mode == "full" else "random direction")
    axes.set_ylabel(f"|yours − reference| (0 drawn at {floor:.0e})")
    verdict = {"ok": "passed", "wrong": "FAILED"}.get(check.status, "gave NO VERDICT")
    axes.set_title(f"gradient check {verdict} — reference: {check.reference_name}", fontsize=10)
    axes.legend(loc="best", fontsize=8, framealpha=1.0)
    figure.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.13)
    return figure


def _label_worst(axes: Any, check: GradientCheck, shown: np.ndarray, passing: set[int]) -> None:
    """The LABELLED worst coordinates (or directions) named beside their markers."""
    ranked = check._ranked()[:LABELLED] if check.mode == "full" else np.argsort(-check.error)
    for position in ranked[:LABELLED]:
        position = int(position)
        if check.error[position] <= 0 or position in passing:
            continue
        axes.annotate(
            check.label(position),
            (position, shown[position]),
            textcoords="offset points",
            xytext=(5, 5),
            fontsize=8,
        )
