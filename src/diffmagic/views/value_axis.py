"""The value axis of the figure's top panel: linear, or symmetric-log when a few values are huge.

Values are masked where they are not finite and the axis is scaled before anything moves on
it, so a pole or an overflow never decides the scale of the plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The value axis turns symmetric-log when the largest |value| is this many times the median:
#: then e^(-2x) reaching 22,000 does not flatten a sine of amplitude 3 into a line.
SYMLOG_RATIO = 50.0


def value_scale(axes: Any, curves: list[np.ndarray]) -> str | None:
    """A symmetric-log value axis when a few huge values would flatten the rest, else linear.

    Returns the note that says so (shown under the title), or None for a linear axis. The
    linear part spans about twice the median |value|, so the typical curve reads as usual and
    the huge ends stay visible, on a log scale, instead of being clipped.
    """
    values = np.concatenate([np.ravel(np.asarray(c, dtype=np.float64)) for c in curves])
    values = np.abs(values[np.isfinite(values)])
    if values.size == 0:
        return None
    largest, median = float(values.max()), float(np.median(values))
    if largest == 0 or (median > 0 and largest <= SYMLOG_RATIO * median):
        return None
    threshold = float(f"{2 * median:.1g}") if median > 0 else largest / 1e3
    axes.set_yscale("symlog", linthresh=threshold, linscale=4.0)
    # Margins of a factor 2 beyond the threshold, never past 1e300: matplotlib's own margins
    # are a share of the log span and overflow float64 for values near 1e300.
    signed = np.concatenate([np.ravel(np.asarray(c, dtype=np.float64)) for c in curves])
    signed = signed[np.isfinite(signed)]
    low, high = float(signed.min()), float(signed.max())
    axes.set_ylim(_padded(low, threshold, -1), _padded(high, threshold, 1))
    return (
        f"values reach {largest:.3g}: the value axis is linear within ±{threshold:.3g}, "
        "logarithmic beyond"
    )


def _padded(value: float, threshold: float, direction: int) -> float:
    """A limit a little beyond `value` in `direction` on a symmetric-log axis."""
    if abs(value) <= threshold:
        return value + direction * 0.2 * threshold
    grown = value * 2 if np.sign(value) == direction else value / 2
    return float(np.clip(grown, -1e300, 1e300))


def finite(values: np.ndarray) -> np.ndarray:
    """NaN and inf masked, so a pole does not crush the plot's scale."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).any():
        return np.full(values.shape, np.nan)
    return np.where(np.isfinite(values), values, np.nan)
