"""Every option of a comparison checked once, before anything is traced or allocated.

`compare()`, `Comparison.time()`, the magic, the command line and the panel all pass their
options through these checks, so an option means the same and is refused in the same words
everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffmagic import bounds
from diffmagic import timing as timing_harness
from diffmagic.errors import DiffMagicError


def check_domain(domain: Any) -> tuple[float, float]:
    try:
        low, high = (float(bound) for bound in domain)
    except (TypeError, ValueError):
        raise DiffMagicError(f"domain must be two numbers (low, high), not {domain!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise DiffMagicError(f"domain must be finite, not ({low:g}, {high:g})")
    if low >= high:
        raise DiffMagicError(f"domain must have low < high, not ({low:g}, {high:g})")
    return low, high


def check_timing(points: Any, mode: Any) -> int:
    if mode not in timing_harness.MODES:
        raise DiffMagicError(f"timing mode must be quick or full, not {mode!r}")
    return bounds.check_points(points, "timing_points", bounds.MAX_TIMING_POINTS)


def check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise DiffMagicError(f"order must be a whole number such as 1 or 2, not {order!r}")
    if not 1 <= order <= bounds.MAX_ORDER:
        raise DiffMagicError(f"order must be from 1 to {bounds.MAX_ORDER}, not {order}")
    return int(order)


def check_grid(low: float, high: float, count: int) -> np.ndarray:
    """The grid, read-only (what f is given cannot write into `cmp.x`), or a refusal when
    float64 cannot hold it: a domain whose width overflows, or points that coincide."""
    with np.errstate(all="ignore"):
        width = high - low
    if not math.isfinite(width):
        raise DiffMagicError(
            f"domain ({low:g}, {high:g}) is too wide for float64 (its width overflows): "
            "choose bounds within about ±1e300"
        )
    with np.errstate(all="ignore"):
        grid = np.linspace(low, high, count)
    if not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        raise DiffMagicError(
            f"domain ({low:g}, {high:g}) is too narrow for {count} distinct float64 points: "
            "widen it or use fewer points"
        )
    grid.flags.writeable = False
    return grid
