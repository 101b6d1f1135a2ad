"""Finite differences of NumPy's f along a direction, each with an honest error estimate.

A reference gradient is only trusted when a second, independent estimate agrees with it. These
are the estimates that need nothing but the user's own f: the derivative along a direction by
Richardson-extrapolated central differences (with how far it can be off), whether f jumps along
a direction at the point, and which coordinates carry a jump, found by bisection over blocks of
coordinates (a few evaluations per level instead of one per coordinate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: A function of the flat parameter vector returning f there as a float.
OfFlat = Callable[[np.ndarray], float]

EPS = float(np.finfo(np.float64).eps)
#: Machine epsilon of each width f may compute in: its round-off enters every difference.
EPSILON = {"float64": EPS, "float32": 1.2e-7, "float16": 9.8e-4, "bfloat16": 7.8e-3}
#: First steps of the two Richardson sequences, relative to the point's scale along v, by
#: the width f computes in: small first (a kink close to the point is crossed less often),
#: then larger (f's round-off weighs less).
FIRST_STEPS = {
    "float64": (1e-7, 1e-4),
    "float32": (1e-3, 3e-2),
    "float16": (1e-2, 1e-1),
    "bfloat16": (3e-2, 1e-1),
}
#: Steps of the jump test, relative to the point's scale: a jump keeps its size as the step
#: shrinks a thousandfold, a slope does not.
JUMP_STEPS = (1e-7, 1e-10)
#: At most this many jump coordinates are located by bisection.
MAX_JUMPS = 10


#: The near step of the jump test, relative to the point's scale, by the width f computes in.
NEAR_STEP = {"float64": 1e-10, "float32": 1e-6, "float16": 1e-4, "bfloat16": 1e-4}


@dataclass(frozen=True)
class Estimate:
    """A derivative along a direction, and a bound on how far it may be off."""

    value: float
    error: float
    #: The first (largest) step taken along the direction, and f just before and after the
    #: point at that step: what the jump test compares its tiny steps with.
    step: float = float("nan")
    beside: tuple[float, float] = (float("nan"), float("nan"))

    def agrees(self, other: float, slack: float = 0.0) -> bool:
        """Is `other` within this estimate's error (ten times it, plus `slack`)?"""
        return bool(np.isfinite(other) and abs(other - self.value) <= 10 * self.error + slack)


def norm(vector: np.ndarray) -> float:
    """The Euclidean norm, by an elementwise sum: `np.linalg.norm` goes through BLAS, whose
    threads cost milliseconds on a busy machine beside JAX's."""
    return float(np.sqrt(np.sum(np.square(vector))))


def random_signs(rng: np.random.Generator, size: int) -> np.ndarray:
    """+1 or -1 at random, `size` of them (cheaper to draw than normal numbers)."""
    return np.where(rng.random(size) < 0.5, -1.0, 1.0)


def point_scale(x: np.ndarray, v: np.ndarray) -> float:
    """How far one may step along `v` from x and stay well-scaled: max(1, |x| on v's support)."""
    support = np.abs(v) > 0
    return max(1.0, float(np.max(np.abs(x[support])))) if np.any(support) else 1.0


def _richardson(of_flat: OfFlat, x: np.ndarray, v: np.ndarray, step: float, eps: float) -> Estimate:
    """Central differences at step and step/2, extrapolated once (error O(step^4)).

    The error bound is the extrapolation's change (truncation) plus round-off: each f carries
    about 64 eps |f|, which (4 D(step/2) - D(step)) / 3 amplifies by about 3 / step.
    """
    central = []
    sides = []
    for h in (step, step / 2):
        above, below = of_flat(x + h * v), of_flat(x - h * v)
        sides.append((below, above))
        central.append((above - below) / (2 * h))
    value = (4 * central[1] - central[0]) / 3
    if not np.isfinite(value):
        return Estimate(float("nan"), float("inf"), step, sides[0])
    largest = max(abs(f) for pair in sides for f in pair)
    round_off = 3 * 64 * eps * max(largest, 1e-300) / step
    return Estimate(float(value), float(abs(value - central[1]) + round_off), step, sides[0])


def along(
    of_flat: OfFlat, x: np.ndarray, v: np.ndarray, enough: float = 0.0, width: str = "float64"
) -> Estimate:
    """d/dt f(x + t v) at t = 0: the first Richardson sequence (4 calls of f) whose error is at
    most `enough`, else the better of two (8 calls)."""
    scale = point_scale(x, v) / max(float(np.max(np.abs(v))), 1e-300)
    best = Estimate(float("nan"), float("inf"))
    for first in FIRST_STEPS[width]:
        estimate = _richardson(of_flat, x, v, first * scale, EPSILON[width])
        if estimate.error < best.error:
            best = estimate
        if best.error <= max(enough, 1e-9 * max(abs(best.value), 1.0)):
            break
    return best


def jumps_beside(
    of_flat: OfFlat, x: np.ndarray, v: np.ndarray, f0: float, slope: Estimate, width: str
) -> bool:
    """Does f jump at x along `v`? Two calls of f a hair to either side, against f at the
    first step of the differences already taken: a slope (or a kink) moves f in proportion to
    the step, a jump by the jump itself, which does not shrink with the step. Changes below
    f's round-off are not seen; neither are jumps in a width too narrow to step finely."""
    near = NEAR_STEP[width] * point_scale(x, v) / max(float(np.max(np.abs(v))), 1e-300)
    if not near < 0.01 * slope.step:
        return False
    noise = 100 * EPSILON[width] * max(abs(f0), 1e-300)
    for side, far in zip((-1.0, 1.0), slope.beside, strict=True):
        change = of_flat(x + side * near * v) - f0
        if not np.isfinite(change):
            return True
        if abs(change) > noise and abs(change) > 0.1 * abs(far - f0):
            return True
    return False


def one_sided(
    of_flat: OfFlat, x: np.ndarray, v: np.ndarray, f0: float, width: str = "float64"
) -> tuple[Estimate, Estimate]:
    """The slopes of f along `v` from the left and from the right (6 calls of f).

    Second-order one-sided differences (-3 f(0) + 4 f(h) - f(2h)) / 2h at h and h/2, then one
    Richardson step; steps of 1e-6 of the point's scale in float64 (kinks close by are seldom
    crossed), wider in narrower widths. The error is the
    extrapolation's change plus round-off (about 20 eps |f| / h)."""
    step = 10 * FIRST_STEPS[width][0] * point_scale(x, v) / max(float(np.max(np.abs(v))), 1e-300)
    slopes = []
    for side in (-1.0, 1.0):
        near, middle, far = (of_flat(x + side * h * v) for h in (step / 2, step, 2 * step))
        fine = side * (-3 * f0 + 4 * near - middle) / step
        coarse = side * (-3 * f0 + 4 * middle - far) / (2 * step)
        value = (4 * fine - coarse) / 3
        largest = max(abs(f0), abs(near), abs(middle), abs(far))
        error = abs(value - fine) + 20 * 64 * EPSILON[width] * largest / step
        slopes.append(Estimate(float(value), float(error) if np.isfinite(value) else np.inf))
    return slopes[0], slopes[1]


def jump_along(of_flat: OfFlat, x: np.ndarray, v: np.ndarray, f0: float) -> float | None:
    """The largest change of f across the point along `v` that does not shrink with the step
    (a jump: f is not continuous there), or None when f changes no more than a slope allows.

    Four calls of f: at +-t and +-t/1000 along v. A slope's change shrinks a thousandfold with
    the step; a jump's stays. Changes below f's round-off (about 100 eps |f|) are not seen.
    """
    scale = point_scale(x, v) / max(float(np.max(np.abs(v))), 1e-300)
    long_step, short_step = (relative * scale for relative in JUMP_STEPS)
    noise = 100 * EPS * max(abs(f0), 1e-300)
    largest = 0.0
    for side in (-1.0, 1.0):
        far = of_flat(x + side * long_step * v) - f0
        near = of_flat(x + side * short_step * v) - f0
        if not (np.isfinite(far) and np.isfinite(near)):
            return float("inf")
        if abs(near) > noise and abs(near) > 0.1 * abs(far):
            largest = max(largest, abs(near))
    return largest or None


def locate_jumps(
    of_flat: OfFlat, x: np.ndarray, v: np.ndarray, f0: float, limit: int = MAX_JUMPS
) -> tuple[list[int], bool]:
    """The coordinates along which f jumps at x, found by halving blocks of v's coordinates
    (the blocks whose part of v shows a jump are split again); and whether more were left.

    About 8 log2(n) calls of f per jump; at most `limit` coordinates are named.
    """
    found: list[int] = []
    blocks = [np.flatnonzero(v)]
    more = False
    while blocks:
        block = blocks.pop()
        part = np.zeros_like(v)
        part[block] = v[block]
        if jump_along(of_flat, x, part, f0) is None:
            continue
        if block.size == 1:
            if len(found) >= limit:
                more = True
                break
            found.append(int(block[0]))
            continue
        middle = block.size // 2
        blocks.extend([block[middle:], block[:middle]])
    return sorted(found), more


def jump_size(of_flat: OfFlat, x: np.ndarray, v: np.ndarray, f0: float) -> tuple[float, float]:
    """f's change just before and just after x along `v` (a jump's size on each side)."""
    step = JUMP_STEPS[1] * point_scale(x, v) / max(float(np.max(np.abs(v))), 1e-300)
    return of_flat(x - step * v) - f0, of_flat(x + step * v) - f0
