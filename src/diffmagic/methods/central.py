"""Central differences with an error estimate, and what they say about whether f' exists.

Along each coordinate i, differences at two steps h and 2h (four evaluations of f) give

* the derivative, extrapolated (Richardson: D(h) + (D(h) - D(2h)) / 3);
* its error estimate: the truncation |D(h) - D(2h)| / 3 plus the round-off of f's values over
  h (2 eps max|f| / h): f = 1e12 + w**2 is known to 1e-4 only, and a step of 6e-6 differences
  noise, so the estimate says so and a larger step is tried;
* the one-sided slopes, whose gap (f(x+h) - 2 f(x) + f(x-h)) / h grows like h for a smooth f,
  stays for a corner (|w| at 0) and shrinks like 1/h for a jump (floor at an integer).

Steps ten times larger are tried while round-off dominates, smaller while truncation does
(sin(1e6 w)), each rung checked against the one before, and the best consistent rung kept
(two rungs at least: eight evaluations a coordinate, more where f needs them); a corner or jump
is confirmed with smaller steps, so a kink merely near the point is not taken for one at it.
f may be vector-valued (m outputs): everything is per output. Plain NumPy, no limit of its own:
the caller runs it under `guard.guarded`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)
#: Each step of the ladder multiplies or divides the step by this.
LADDER = 10.0
#: Rungs tried above and below the first step, at most.
MAX_UP, MAX_DOWN = 6, 4
#: A coordinate is done when its error estimate is below this, relative to the gradient.
TARGET = 1e-8
#: Steps (relative to max(1, |x_i|)) at which f's own round-off is read.
NOISE_STEP = 1e-9
#: Rungs in a row that may be no better before the ladder stops.
PATIENCE = 2
#: Smaller steps tried to confirm a corner or a jump at the point itself.
CONFIRMATIONS = 4
#: Break kinds: "" where the differences see a smooth f.
SMOOTH, CORNER, JUMP, EDGE = "", "corner", "jump", "edge"


@dataclass
class Differences:
    """Central differences of f (m outputs) along each of n coordinates."""

    #: (m, n): the derivative of output j along coordinate i.
    values: np.ndarray
    #: (m, n): its error estimate (truncation plus round-off), inf where there is none.
    error: np.ndarray
    #: (m, n): SMOOTH, CORNER, JUMP or EDGE (f not finite on one side).
    breaks: np.ndarray
    #: (m, n, 2): the one-sided slopes (left, right) where there is a corner.
    slopes: np.ndarray
    #: (n,): the step each coordinate ended with.
    steps: np.ndarray
    evaluations: int = 0


@dataclass
class _Rung:
    """Four evaluations along one coordinate at step h, and what they say."""

    h: float
    plus: np.ndarray
    minus: np.ndarray
    plus2: np.ndarray
    minus2: np.ndarray
    f0: np.ndarray
    #: (m,): how far f's values move under round-off near the point (`_Probe.noise`).
    f_noise: np.ndarray

    @property
    def finite(self) -> np.ndarray:
        return np.isfinite(self.plus + self.minus + self.plus2 + self.minus2)

    def value(self) -> np.ndarray:
        near = (self.plus - self.minus) / (2 * self.h)
        far = (self.plus2 - self.minus2) / (4 * self.h)
        return near + (near - far) / 3

    def noise(self) -> np.ndarray:
        """Round-off of one difference: the noise of f's values (at least eps |f|), over h."""
        sizes = np.abs(np.stack([self.f0, self.plus, self.minus, self.plus2, self.minus2]))
        with np.errstate(all="ignore"):
            return 2 * np.fmax(EPS * np.max(sizes, axis=0), self.f_noise) / self.h

    def error(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            near = (self.plus - self.minus) / (2 * self.h)
            far = (self.plus2 - self.minus2) / (4 * self.h)
            estimate = np.abs(near - far) / 3 + 1.5 * self.noise()
        return np.where(self.finite & np.isfinite(estimate), estimate, np.inf)

    def gaps(self) -> tuple[np.ndarray, np.ndarray]:
        """The gap between the one-sided slopes at h and at 2h."""
        near = (self.plus - 2 * self.f0 + self.minus) / self.h
        far = (self.plus2 - 2 * self.f0 + self.minus2) / (2 * self.h)
        return near, far


class _Probe:
    """f along one coordinate of x, counting evaluations."""

    def __init__(
        self,
        function: Callable[[np.ndarray], Any],
        x: np.ndarray,
        f0: np.ndarray,
        eps: float = EPS,
    ):
        self.function = function
        #: The machine epsilon of the precision f returns its values in.
        self.eps = eps
        self.x = np.array(x, dtype=np.float64)
        self.f0 = f0
        self.evaluations = 0
        self.f_noise = np.zeros(f0.shape)

    def measure_noise(self) -> None:
        """f's own round-off near x: how far its values stray from a smooth curve along two
        directions, over steps of 1e-9 (a formula that cancels, `x*exp(x) - expm1(x)` near 0,
        is far noisier than eps |f|, and moving x by an ulp or two does not show it: its
        intermediate results do not change). Each side of the point is read apart (its third
        difference), because a point on a jump has the jump on one side only."""
        noise = np.zeros(self.f0.shape)
        original = self.x.copy()
        scale = NOISE_STEP * np.maximum(1.0, np.abs(original))
        for seed in (1, 2):
            direction = np.where(np.random.default_rng(seed).random(original.size) < 0.5, -1, 1)
            sides = []
            for side in (1, -1):
                values = [self.f0]
                for k in (1, 2, 3):
                    self.x[:] = original + side * k * scale * direction
                    try:
                        with np.errstate(all="ignore"):
                            moved = np.asarray(self.function(self.x), dtype=np.float64)
                    finally:
                        self.x[:] = original
                    self.evaluations += 1
                    values.append(moved.reshape(-1))
                with np.errstate(all="ignore"):
                    third = np.abs(values[3] - 3 * values[2] + 3 * values[1] - values[0]) / 2
                sides.append(np.where(np.isfinite(third), third, np.inf))
            quiet = np.fmin(sides[0], sides[1])
            noise = np.fmax(noise, np.where(np.isfinite(quiet), quiet, 0.0))
        self.f_noise = np.fmax(noise, self.eps * np.abs(self.f0))

    def at(self, index: int, offset: float) -> np.ndarray:
        original = self.x[index]
        self.x[index] = original + offset
        try:
            with np.errstate(all="ignore"):
                value = np.asarray(self.function(self.x), dtype=np.float64).reshape(-1)
        finally:
            self.x[index] = original
        self.evaluations += 1
        return value

    def step(self, index: int, h: float) -> float:
        """h rounded so that x + h and x - h are exactly x +- h in float64."""
        return float((self.x[index] + h) - self.x[index]) or h

    def rung(self, index: int, h: float) -> _Rung:
        h = self.step(index, h)
        return _Rung(
            h,
            self.at(index, h),
            self.at(index, -h),
            self.at(index, 2 * h),
            self.at(index, -2 * h),
            self.f0,
            self.f_noise,
        )


def _consistent(first: _Rung, second: _Rung) -> bool:
    """Two rungs whose values agree within twice their error estimates (every output): the
    estimates hold; one rung alone may agree with itself by chance (sin(1e6 w) at a step of
    six radians)."""
    with np.errstate(all="ignore"):
        gap = np.abs(first.value() - second.value())
        allowed = 2 * (first.error() + second.error())
    return bool(np.all(gap <= allowed))


class _Best:
    """The consistent rung with the smallest error estimate seen so far."""

    def __init__(self) -> None:
        self.rung: _Rung | None = None
        self.error = np.inf

    def consider(self, first: _Rung, second: _Rung) -> bool:
        """Take the better of two neighbouring rungs if they agree with each other and with
        the best so far (steps far larger may see another function: a staircase's average
        slope); True if it improved."""
        if not _consistent(first, second):
            return False
        improved = False
        for rung in (first, second):
            error = float(np.max(rung.error()))
            agrees = self.rung is None or rung is self.rung or _consistent(self.rung, rung)
            if error < self.error and agrees:
                self.rung, self.error, improved = rung, error, True
        return improved


def _climb(
    probe: _Probe,
    index: int,
    start: _Rung,
    factor: float,
    count: int,
    best: _Best,
    target: float,
    seen: list[_Rung],
    impatient: int = PATIENCE,
) -> bool:
    """Rungs from `start` in one direction while they improve; True if the first step did
    (`impatient`: how many failures the first step may have before the climb stops)."""
    previous, worse, first_improved = start, 0, False
    for step in range(count):
        rung = probe.rung(index, previous.h * factor)
        if not np.all(rung.finite):
            break
        seen.append(rung)
        improved = best.consider(previous, rung)
        first_improved = first_improved or (improved and step == 0)
        previous, worse = rung, 0 if improved else worse + 1
        if best.error <= target or worse >= (impatient if step == 0 else PATIENCE):
            break
    return first_improved


def _ladder(probe: _Probe, index: int, target: float) -> tuple[_Rung, np.ndarray, list[_Rung]]:
    """(the best rung, its error estimate per output, every rung tried): steps ten times
    larger while they
    improve (round-off dominates: f large for its changes), else smaller (truncation
    dominates), each rung checked against its neighbour; the best is the consistent rung with
    the smallest estimate. With none consistent, the smallest estimate is widened to the
    spread of all the values seen: they cannot be trusted further."""
    first = probe.rung(index, np.cbrt(probe.eps) * max(1.0, abs(probe.x[index])))
    if not np.all(first.finite):
        return first, first.error(), [first]
    best, seen = _Best(), [first]
    upward = _climb(probe, index, first, LADDER, MAX_UP, best, target, seen, impatient=1)
    if not upward and best.error > target:
        _climb(probe, index, first, 1 / LADDER, MAX_DOWN, best, target, seen)
    if best.rung is not None:
        return best.rung, best.rung.error(), seen
    chosen = min(seen, key=lambda rung: float(np.max(rung.error())))
    with np.errstate(all="ignore"):
        values = np.array([rung.value() for rung in seen])
        spread = np.max(values, axis=0) - np.min(values, axis=0)
    return chosen, np.fmax(chosen.error(), spread), seen


def _kind(rung: _Rung) -> tuple[np.ndarray, np.ndarray]:
    """Per output: what the one-sided slopes at h and 2h say (SMOOTH, CORNER or JUMP), and
    whether their gap stands out of f's round-off at this step at all."""
    with np.errstate(all="ignore"):
        near, far = rung.gaps()
        slopes = np.abs(rung.plus - rung.f0) + np.abs(rung.f0 - rung.minus)
        significant = np.abs(near) > 20 * rung.noise() + 1e-6 * slopes / rung.h
        ratio = far / near
    kinds = np.full(near.shape, SMOOTH, dtype=object)
    kinds[significant & (ratio > 0.65) & (ratio < 1.5)] = CORNER
    kinds[significant & ~((ratio >= 1.5) & (ratio <= 2.5)) & (kinds == SMOOTH)] = JUMP
    return kinds, significant & rung.finite


def _classify(rungs: list[_Rung]) -> list[tuple[str, _Rung]]:
    """Per output: (the kind, the rung it was read at): the smallest step at which the
    one-sided slopes' gap stands out of round-off (larger steps mix curvature in; smaller
    ones may drown a corner of a large f, 1e10 + |w|, in its round-off); EDGE where f has no
    value at the first step."""
    first = rungs[0]
    chosen: list[tuple[str, _Rung] | None] = [None] * first.f0.size
    for rung in sorted(rungs, key=lambda rung: rung.h):
        kinds, significant = _kind(rung)
        for output in np.flatnonzero(significant):
            if chosen[output] is None:
                chosen[output] = (str(kinds[output]), rung)
    result = [found or (SMOOTH, first) for found in chosen]
    return [(EDGE, first) if not first.finite[o] else found for o, found in enumerate(result)]


def _confirmed(probe: _Probe, index: int, rung: _Rung, kind: str, output: int) -> bool:
    """Whether the corner or jump seen at step h is at the point: it keeps its gap (its
    height) at every smaller step until round-off hides it, while a kink merely near the
    point vanishes once the step is shorter than the distance, and round-off mistaken for
    either grows as the step shrinks."""
    near, _ = rung.gaps()
    gap = abs(float(near[output]))
    jump = abs(float(rung.plus[output] - rung.minus[output]))
    noise = float(probe.f_noise[output])
    smallest = np.cbrt(probe.eps) * max(1.0, abs(probe.x[index])) / LADDER**CONFIRMATIONS
    t = rung.h
    while t > smallest:
        t = probe.step(index, t / LADDER)
        if kind == CORNER and 8 * noise / t > gap / 10:
            return True  # round-off hides the corner below this step: it is as close as we see
        plus, minus = probe.at(index, t)[output], probe.at(index, -t)[output]
        if (
            kind == CORNER
            and not gap / 4 <= abs((plus - 2 * rung.f0[output] + minus) / t) <= 4 * gap
        ):
            return False
        if kind == JUMP and not jump / 4 <= abs(plus - minus) <= 4 * jump:
            return False
    return True


def _size(probe: _Probe, n: int) -> float:
    """The gradient's rough size, from one-sided differences along a few coordinates (what
    "small enough" is measured against while the ladder climbs)."""
    size = 0.0
    for index in np.unique(np.linspace(0, n - 1, min(n, 8)).astype(int)):
        h = probe.step(int(index), np.cbrt(probe.eps) * max(1.0, abs(probe.x[index])))
        with np.errstate(all="ignore"):
            slope = np.abs(probe.at(int(index), h) - probe.f0) / h
        size = max(size, float(np.max(np.where(np.isfinite(slope), slope, 0.0), initial=0.0)))
    return size


def central_differences(
    function: Callable[[np.ndarray], Any],
    x: np.ndarray,
    f0: np.ndarray,
    floor: float = 0.0,
    eps: float = EPS,
) -> Differences:
    """Central differences of `function` (a flat vector to m numbers) at `x`, where it gives
    `f0`; `floor` is the derivative's smallest meaningful size (`precision.resolvable`), `eps`
    the machine epsilon of the precision f returns its values in."""
    probe = _Probe(function, x, np.asarray(f0, dtype=np.float64).reshape(-1), eps)
    probe.measure_noise()
    n, m = probe.x.size, probe.f0.size
    target = TARGET * max(_size(probe, n), floor)
    result = Differences(
        values=np.full((m, n), np.nan),
        error=np.full((m, n), np.inf),
        breaks=np.full((m, n), SMOOTH, dtype=object),
        slopes=np.full((m, n, 2), np.nan),
        steps=np.zeros(n),
    )
    for i in range(n):
        best, error, seen = _ladder(probe, i, target)
        with np.errstate(all="ignore"):
            result.values[:, i] = np.where(best.finite, best.value(), np.nan)
        result.error[:, i] = error
        result.steps[i] = best.h
        for output, (kind, rung) in enumerate(_classify(seen)):
            if kind in (CORNER, JUMP) and not _confirmed(probe, i, rung, kind, output):
                kind = SMOOTH
            result.breaks[output, i] = kind
            if kind == CORNER:
                result.slopes[output, i] = (
                    (rung.f0[output] - rung.minus[output]) / rung.h,
                    (rung.plus[output] - rung.f0[output]) / rung.h,
                )
    result.evaluations = probe.evaluations
    return result


def round_off(function: Callable[[np.ndarray], Any], x: np.ndarray, f0: Any) -> np.ndarray:
    """How far f's values move (per output) when the point moves by an ulp or two: NumPy's own
    round-off near x, which any other evaluation of f may differ from it by."""
    probe = _Probe(function, x, np.asarray(f0, dtype=np.float64).reshape(-1))
    probe.measure_noise()
    return probe.f_noise
