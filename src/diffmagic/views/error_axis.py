"""The figure's bottom panel: each method's |error| against the reference, on a log axis.

A log axis cannot show a zero, and an exact method's error is often exactly zero: zeros are
drawn on a labelled floor a decade below the smallest nonzero error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.views.styles import EXTRA_STYLE, drawn, style_for

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison

#: Exact zeros are drawn on a labelled floor ("exact (0)") a decade below the smallest nonzero
#: error, or here when every error is larger: log axes cannot show a zero.
ERROR_FLOOR = 1e-17
#: Label of the error axis' floor, where exact zeros are drawn.
EXACT_LABEL = "exact (0)"


def error_floor(errors: list[np.ndarray]) -> float:
    """Where exact zeros are drawn: a decade below the smallest nonzero error, at most 1e-17."""
    positive = [e[np.isfinite(e) & (e > 0)] for e in errors]
    smallest = min((float(p.min()) for p in positive if p.size), default=ERROR_FLOOR * 10)
    return min(ERROR_FLOOR, 10.0 ** (np.floor(np.log10(smallest)) - 1))


def _error_curve(
    axes: Any, x: np.ndarray, error: np.ndarray, floor: float, label: str, **style: Any
) -> bool:
    """|error| on the log axis, NaN left out; exact zeros as markers on the labelled floor.

    Returns whether any error was exactly zero.
    """
    exact = error == 0
    axes.semilogy(x, np.where(exact, np.nan, error), label=label, **style)
    if not exact.any():
        return False
    marker = style.get("marker") or ("s" if style.get("linestyle") == "-" else "D")
    axes.plot(
        x[exact],
        np.full(int(exact.sum()), floor),
        linestyle="none",
        marker=marker,
        markersize=4,
        color=style.get("color"),
        label=f"{label}: {EXACT_LABEL}",
    )
    return True


def draw_errors(axes: Any, comparison: Comparison, extra: dict[str, np.ndarray]) -> None:
    """Each drawn row's |error| (and each extra curve's) against the reference, on log axes
    whose limits are set first; or a line saying there is no reference to measure against."""
    reference = comparison.reference
    curves: list[tuple[str, np.ndarray, dict[str, Any]]] = []
    if reference is not None:
        for label, values in extra.items():
            curves.append((label, values, dict(EXTRA_STYLE)))
        for result in comparison:
            if not drawn(result) or result.is_reference:
                continue
            style = {k: v for k, v in style_for(result.key).items() if k != "linewidth"}
            curves.append((result.label, result.values, style))
    with np.errstate(invalid="ignore"):
        errors = [
            np.abs(np.asarray(values, dtype=np.float64) - reference) for _, values, _ in curves
        ]
    floor = error_floor(errors)
    finite = [e[np.isfinite(e)] for e in errors]
    largest = max((float(e.max()) for e in finite if e.size), default=floor)
    if curves:
        # Limits before the curves, so matplotlib never autoscales them: its log margins
        # overflow float64 for errors near 1e300.
        axes.set_yscale("log")
        axes.set_ylim(floor / 3, min(1e300, max(largest, floor) * 10))
    any_exact = False
    for (label, _, style), error in zip(curves, errors, strict=True):
        any_exact |= _error_curve(axes, comparison.x, error, floor, label, **style)
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axes.set_ylabel("|error| vs reference")
    axes.grid(alpha=0.3, which="both")
    if curves:
        axes.yaxis.set_major_locator(LogLocator(numticks=6))
        axes.yaxis.set_minor_locator(NullLocator())
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
        # The floor is a line of its own with its own words: there the error is exactly zero.
        axes.axhline(floor, color="dimgrey", linewidth=0.8, linestyle="--", label=EXACT_LABEL)
        axes.annotate(
            EXACT_LABEL + (": markers are exact zeros" if any_exact else ""),
            (0.005, floor),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
            color="dimgrey",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
    else:
        axes.text(
            0.5,
            0.5,
            "no reference to measure errors against",
            ha="center",
            transform=axes.transAxes,
        )
