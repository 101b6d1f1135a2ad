"""Every coordinate's one-sided slopes at once, from JAX's gradient a hair beside the point.

Two gradients a hair to either side of the point (1e-12 relative, each coordinate moved to a
random side) give every coordinate's two one-sided slopes at once, at any n: relu's kinks at
100,000 parameters cost two gradients, not a probe each. Two more pairs along other random
sides check that the kinks are separate, coordinate by coordinate (one `relu(w1 + w2)` kink seen
by two coordinates is not); where they are not, the per-coordinate probe of `kinks` decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from diffmagic.methods.directional import random_signs

#: Where JAX's gradient is taken to read each side's slope: this far from the point, relative
#: to max(1, |x_i|). A kink closer than that counts as at the point; one further away (|w| at
#: w = 1e-9) is not crossed, and f is judged differentiable there, as it is.
SHIFT = 1e-12


@dataclass
class SideSlopes:
    """Every coordinate's one-sided slopes from JAX's gradient just beside the point."""

    left: np.ndarray
    right: np.ndarray
    #: Coordinates whose two slopes differ by more than the tolerance: kinks.
    kinks: np.ndarray
    #: Whether the kinks behave coordinate by coordinate (each coordinate's slopes are its own,
    #: whatever the others do); if not, the slopes above are not each coordinate's.
    separate: bool


def _sides(
    gradient_at: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    delta: np.ndarray,
    signs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) slopes of every coordinate from the gradients at x + delta s and
    x - delta s: moving right reads the right slope, moving left the left one."""
    ahead, behind = gradient_at(x + delta * signs), gradient_at(x - delta * signs)
    return np.where(signs > 0, behind, ahead), np.where(signs > 0, ahead, behind)


def side_slopes(
    gradient_at: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    tolerance: np.ndarray,
    rng: np.random.Generator,
) -> SideSlopes:
    """The one-sided slopes of every coordinate at once, from JAX's gradient a hair to each
    side (each coordinate moved to a random side). Where the two differ, the gradients a
    hundred times closer tell a kink (its slopes stay apart) from a gradient that merely
    changes fast (`sin(1e6 w)`, or w**2 at 0 against a tolerance of 1e-15: the gap shrinks
    with the step); then other sides check that each kink's slopes are its own."""
    delta = SHIFT * np.maximum(1.0, np.abs(x))
    signs = random_signs(rng, x.size)
    left, right = _sides(gradient_at, x, delta, signs)
    with np.errstate(invalid="ignore"):
        gap = np.abs(right - left)
        kinks = np.flatnonzero(gap > tolerance)
    if kinks.size:
        # At least a few float64 steps of x, so the closer point is not x itself.
        closer = np.maximum(delta / 100, 16 * np.spacing(np.abs(x)))
        near_left, near_right = _sides(gradient_at, x, closer, signs)
        with np.errstate(invalid="ignore"):
            stays = np.abs(near_right[kinks] - near_left[kinks]) > 0.5 * gap[kinks]
        kinks = kinks[stays]
    separate = kinks.size < 2 or _separate(
        gradient_at, x, delta, (left, right), kinks, tolerance, rng
    )
    return SideSlopes(left, right, kinks, separate)


def _separate(
    gradient_at: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    delta: np.ndarray,
    slopes: tuple[np.ndarray, np.ndarray],
    kinks: np.ndarray,
    tolerance: np.ndarray,
    rng: np.random.Generator,
) -> bool:
    """Does each kink coordinate keep its own slopes when the others move otherwise?

    Moving every kink coordinate at once to other random sides, and moving one kink
    coordinate alone: each coordinate's slope is its slope on its own side when the kinks are
    separate. `relu(w1 + w2 + w3)` at 0 gives all three the slope of whichever side their sum
    moved to; the norm at 0 gives 1 to a coordinate moved alone, 1/sqrt(n) to all moved."""
    left, right = slopes[0][kinks], slopes[1][kinks]
    allowed = tolerance[kinks] + 1e-9 * (np.abs(left) + np.abs(right))
    alone = rng.choice(kinks.size, size=min(2, kinks.size), replace=False)
    trials = [random_signs(rng, kinks.size)]
    for position in alone:
        sides = np.zeros(kinks.size)
        sides[position] = 1.0
        trials.append(sides)
    for sides in trials:
        moved = np.zeros_like(x)
        moved[kinks] = sides
        for direction in (1.0, -1.0):
            found = gradient_at(x + direction * delta * moved)[kinks]
            expected = np.where(direction * sides > 0, right, left)
            checked = sides != 0
            if not np.all(np.abs(found - expected)[checked] <= allowed[checked]):
                return False
    return True
