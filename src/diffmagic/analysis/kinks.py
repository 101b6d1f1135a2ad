"""Kinks and jumps: coordinates at which f has two one-sided slopes, or no limit at all.

relu and abs at 0 have no derivative; any value between the two one-sided slopes is a fair
choice for a gradient there, so such a coordinate passes when the user's value lies between
them, instead of failing against a reference that picked one value (JAX's 0.5 for relu). A jump
(`np.floor` at an integer) is another thing: f is not continuous, no derivative exists and the
one-sided slopes grow without bound as the step shrinks, so they bound nothing; it is named as a
jump, never judged as a kink.

Here, without JAX: one-sided differences of NumPy's f in float64 probe each suspect coordinate,
and a kink is only accepted when tiny steps confirm it sits at the point itself, not merely
close to it. With JAX's compiled gradient every coordinate's slopes come at once
(`kink_sides`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.pytree import Flat
from diffmagic.limits.explain import user_error
from diffmagic.methods.directional import jump_along, jump_size

#: At least this many failing coordinates are probed for a kink (about 40 evaluations of f
#: each), and more while the probes fit in KINK_SECONDS.
MAX_KINK_PROBES = 50
KINK_SECONDS = 5.0
#: The kink screen (2n evaluations of f) runs when it takes at most this long.
SCREEN_SECONDS = 3.0


@dataclass
class Kink:
    """A coordinate at which f has two different one-sided slopes."""

    index: int
    label: str
    left: float
    right: float
    yours: float
    passed: bool

    def __str__(self) -> str:
        verdict = "between them: passes" if self.passed else "NOT between them: fails"
        return (
            f"{self.label}: f has a kink here (one-sided slopes {self.left:.6g} from the left, "
            f"{self.right:.6g} from the right); yours {self.yours:.6g} is {verdict}"
        )


class KinkTable(Sequence[Kink]):
    """Kinks held as arrays (relu at 0 can make tens of thousands of them), each `Kink` made
    with its label only when it is read: judging costs no Python object per kink."""

    def __init__(
        self,
        indices: np.ndarray,
        left: np.ndarray,
        right: np.ndarray,
        yours: np.ndarray,
        passed: np.ndarray,
        describe: Callable[[int], str],
    ) -> None:
        order = np.argsort(indices, kind="stable")
        self.indices = np.asarray(indices, dtype=int)[order]
        # + 0.0 turns a -0.0 slope (from the left of relu) into 0.0 for display.
        self.left = np.asarray(left, dtype=float)[order] + 0.0
        self.right = np.asarray(right, dtype=float)[order] + 0.0
        self.yours = np.asarray(yours, dtype=float)[order]
        self.passed = np.asarray(passed, dtype=bool)[order]
        self._describe = describe

    @classmethod
    def of(cls, kinks: list[Kink], describe: Callable[[int], str]) -> KinkTable:
        """The table of kinks found one by one."""
        columns = [np.array([getattr(k, name) for k in kinks]) for name in _COLUMNS]
        return cls(*columns, describe=describe)

    def __len__(self) -> int:
        return int(self.indices.size)

    @overload
    def __getitem__(self, position: int) -> Kink: ...

    @overload
    def __getitem__(self, position: slice) -> list[Kink]: ...

    def __getitem__(self, position: int | slice) -> Kink | list[Kink]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        index = int(self.indices[position])
        return Kink(
            index,
            self._describe(index),
            float(self.left[position]),
            float(self.right[position]),
            float(self.yours[position]),
            bool(self.passed[position]),
        )


_COLUMNS = ("index", "left", "right", "yours", "passed")


@dataclass
class Jump:
    """A coordinate along which f is not continuous at the point: no derivative exists."""

    index: int
    label: str
    #: f's change just left and just right of the point along the coordinate.
    left_change: float
    right_change: float

    def __str__(self) -> str:
        if not (np.isfinite(self.left_change) and np.isfinite(self.right_change)):
            what = "f is not finite just beside the point"
        else:
            what = (
                f"f jumps here (it changes by {self.left_change:.3g} just left of the point and "
                f"by {self.right_change:.3g} just right)"
            )
        return (
            f"{self.label}: {what}: no derivative exists, so no gradient can be right; check at "
            "a point off the jump"
        )


def jump_at(
    of_flat: Callable[[np.ndarray], float],
    x: np.ndarray,
    along: np.ndarray,
    index: int,
    label: str,
    f0: float,
) -> Jump:
    """The jump of f at x along `along` (a coordinate's unit vector), named `label`."""
    left, right = jump_size(of_flat, x, along, f0)
    return Jump(index, label, float(left) + 0.0, float(right) + 0.0)


def probe_budget(f_seconds: float) -> int:
    """How many coordinates may be probed: MAX_KINK_PROBES, or more while they fit in
    KINK_SECONDS (a probe is about 40 evaluations of f)."""
    return max(MAX_KINK_PROBES, int(KINK_SECONDS / (40 * max(f_seconds, 1e-9))))


def unit(size: int, index: int) -> np.ndarray:
    vector = np.zeros(size)
    vector[index] = 1.0
    return vector


def _one_sided(
    of_flat: Callable[[np.ndarray], float],
    x: np.ndarray,
    along: np.ndarray,
    scale: float,
    f0: float,
    eps: float,
) -> tuple[float, float, float, float]:
    """Slopes of f along the vector `along` from the left and the right, with error estimates.

    Second-order one-sided differences (-3 f(x) + 4 f(x + h) - f(x + 2h)) / 2h for steps
    halving down to eps**(1/3) (where round-off starts to dominate); the estimate kept is the
    one that changed least from the previous step, and that change is its error estimate.
    """
    steps = scale * eps ** (1 / 3) * 2.0 ** np.arange(8, -1, -1)
    result = []
    for side in (-1.0, 1.0):
        estimates = []
        for h in steps:
            near, far = x + side * h * along, x + 2 * side * h * along
            estimates.append(side * (-3 * f0 + 4 * of_flat(near) - of_flat(far)) / (2 * h))
        estimates_array = np.array(estimates)
        changes = np.abs(np.diff(estimates_array))
        best = int(np.nanargmin(changes)) if np.any(np.isfinite(changes)) else 0
        result += [float(estimates_array[best + 1]), float(changes[best])]
    left, left_error, right, right_error = result
    return left, right, left_error, right_error


def kink_candidates(
    of_flat: Callable[[np.ndarray], float], flat: Flat, f0: float, f_seconds: float, eps: float
) -> tuple[list[int], str | None]:
    """Coordinates whose forward and backward slopes differ: where f may have a kink.

    One step each way per coordinate (2n evaluations of f), skipped when that would take more
    than SCREEN_SECONDS; the candidates are then probed carefully by `probe_kink`.
    """
    if 2 * flat.size * f_seconds > SCREEN_SECONDS:
        return [], (
            f"kinks were looked for only where yours is off (screening all {flat.size:,} "
            f"coordinates would take {2 * flat.size * f_seconds:.0f} s)"
        )
    try:
        return _screen(of_flat, flat, f0, f_seconds, eps)
    except Exception as error:
        if getattr(error, "timed_out", False):
            raise  # the check's time limit: it ends the check, not just the screen
        words = str(error) if isinstance(error, DiffMagicError) else user_error("f", error)
        return [], f"kinks were not screened: {words} near `at`"


def _screen(
    of_flat: Callable[[np.ndarray], float], flat: Flat, f0: float, f_seconds: float, eps: float
) -> tuple[list[int], str | None]:
    x = flat.values
    h = np.sqrt(eps) * np.maximum(1.0, np.abs(x))
    gaps = np.empty(flat.size)
    scale = np.empty(flat.size)
    for index in range(flat.size):
        up, down = x.copy(), x.copy()
        up[index] += h[index]
        down[index] -= h[index]
        forward = (of_flat(up) - f0) / h[index]
        backward = (f0 - of_flat(down)) / h[index]
        gaps[index] = abs(forward - backward)
        scale[index] = max(abs(forward), abs(backward))
    # Round-off in a one-step difference is about sqrt(eps) * |f| / max(1, |x|).
    noise = 100 * np.sqrt(eps) * max(1.0, abs(f0))
    suspects = np.flatnonzero(gaps > 1e-3 * np.maximum(scale, 1.0) + noise)
    ranked = suspects[np.argsort(-gaps[suspects], kind="stable")]
    probes = probe_budget(f_seconds)
    note = None
    if ranked.size > probes:
        note = f"{ranked.size:,} coordinates may be kinks; the {probes:,} sharpest were probed"
    return [int(i) for i in ranked[:probes]], note


def _kink_is_elsewhere(
    of_flat: Callable[[np.ndarray], float],
    x: np.ndarray,
    along: np.ndarray,
    scale: float,
    f0: float,
    eps: float,
    left: float,
    right: float,
) -> float | None:
    """None if the two slopes hold down to tiny steps (the kink is at the point); else the step
    at which they stop holding (a kink close by, not at the point: f is differentiable here).

    The slopes come from steps of eps**(1/3) and more; a kink that close would look the same.
    First-order differences with steps down to 1e-10 (float64) tell the two apart, using only
    steps whose round-off, about 4 eps |f| / t, is well below the jump.
    """
    jump = abs(left - right)
    usable = 0
    for step in scale * np.sqrt(eps) * np.array([1.0, 0.1, 0.01]):
        if 4 * eps * max(1.0, abs(f0)) / step > jump / 10:
            continue
        up, down = x + step * along, x - step * along
        forward = (of_flat(up) - f0) / step
        backward = (f0 - of_flat(down)) / step
        if abs(forward - right) > jump / 4 or abs(backward - left) > jump / 4:
            return float(step)
        usable += 1
    return None if usable else float(scale * np.sqrt(eps))


def probe_kink(
    of_flat: Callable[[np.ndarray], float],
    x: np.ndarray,
    along: np.ndarray,
    index: int,
    label: str,
    f0: float,
    eps: float,
    value: float,
    reference: float,
    tolerance: float,
    atol: float,
) -> tuple[str, Any] | None:
    """Has f a kink at x along `along` (a coordinate or a direction)?

    Returns ("jump", Jump) where f is not continuous (a jump is never judged as a kink),
    ("kink", Kink) for a kink at the point, ("elsewhere", words) for a kink close by but not
    at the point (f is smooth here, but differences that straddle it are off), ("disputed",
    words) when the one-sided slopes agree with each other and not with the reference;
    where the reference is NaN, ("settled", words) or ("wrong", words) as yours agrees with
    the one-sided slopes or not; or None (smooth, the slopes agree with the reference).
    """
    scale = max(1.0, abs(float(x @ along)))
    try:
        if jump_along(of_flat, x, along, f0) is not None:
            return "jump", jump_at(of_flat, x, along, index, label, f0)
        left, right, left_error, right_error = _one_sided(of_flat, x, along, scale, f0, eps)
    except Exception as error:
        if getattr(error, "timed_out", False):
            raise
        return None
    if not (np.isfinite(left) and np.isfinite(right)):
        return None
    slack = 10 * (left_error + right_error) + atol + 1e-6 * max(abs(left), abs(right))
    if abs(left - right) > slack:
        nearby = _kink_is_elsewhere(of_flat, x, along, scale, f0, eps, left, right)
        if nearby is not None:
            return "elsewhere", (
                f"{label}: f bends sharply within {nearby:.1g} of here but is smooth at the point "
                "itself"
            )
        low, high = min(left, right), max(left, right)
        between = bool(np.isfinite(value) and low - slack <= value <= high + slack)
        # + 0.0 turns a -0.0 slope (from the left of relu) into 0.0 for display.
        return "kink", Kink(index, label, left + 0.0, right + 0.0, value, between)
    slope = (left + right) / 2
    if not np.isfinite(reference):
        agrees = bool(np.isfinite(value) and abs(value - slope) <= 1e-5 * max(1.0, abs(slope)))
        verdict = "agrees: passes" if agrees else "does not agree: fails"
        words = (
            f"{label}: the reference is not a number here; judged against one-sided "
            f"differences alone ({slope:.8g}), yours {value:.8g} {verdict}"
        )
        return ("settled" if agrees else "wrong"), words
    if abs(slope - reference) > tolerance + slack:
        return "disputed", (
            f"{label}: the reference ({reference:.6g}) and one-sided differences "
            f"({slope:.6g}) disagree: no verdict here — check by hand"
        )
    return None
