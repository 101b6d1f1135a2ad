"""The reference a hand-written gradient is checked against: two independent estimates that agree.

A reference is only as good as the function it differentiates and the arithmetic it does, so
none is taken on trust. Cheapest first:

1. JAX's reverse mode (one compiled gradient, reused across checks of the same f), kept when
   JAX's own f(at) is NumPy's and Richardson-extrapolated central differences of NumPy's f
   agree with it along a random direction (and, at kinks, one-sided differences with its
   one-sided slopes). Passed over when f uses a custom_vjp / custom_jvp rule: the rule would
   be checked against itself.
2. The exact gradient (SymPy, evaluated by mpmath at 30 digits), only when JAX cannot give a
   confirmed one: kept when SymPy's f(at) is NumPy's, and JAX's gradient or central
   differences agree with it.
3. Central differences coordinate by coordinate, confirmed by Richardson differences along a
   random direction (other steps, other round-off).

When no two agree, the reference is unconfirmed and the check gives no verdict: a wrong
gradient never passes against a reference that nothing vouches for (central differences of
`1e12 + w0**2` are [0, 0], "accurate to 1e-8" by their own account).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.analysis.check_verdict import finite
from diffmagic.analysis.kinks import jump_at, kink_candidates, unit
from diffmagic.errors import DiffMagicError
from diffmagic.limits.explain import one_line
from diffmagic.limits.guard import Failure
from diffmagic.methods.directional import (
    EPSILON,
    Estimate,
    along,
    jumps_beside,
    locate_jumps,
    norm,
    one_sided,
    random_signs,
)
from diffmagic.methods.kink_sides import SideSlopes, side_slopes
from diffmagic.methods.precision import FIDELITY_RTOL
from diffmagic.running.check_inputs import Point, UserCodeFailure
from diffmagic.running.compiled_checks import Program, compiled

EXACT = "exact (SymPy + mpmath, 30 digits)"
JAX_REVERSE = "JAX reverse mode (float64)"
CENTRAL = "central differences"
#: Seconds SymPy gets for the exact gradient.
EXACT_SECONDS = 5.0
#: Without JAX, coordinates are differenced one by one (2n calls of f) up to this many
#: parameters, or while it takes at most CENTRAL_SECONDS; beyond, along random directions.
FULL_MODE_LIMIT = 1_000
CENTRAL_SECONDS = 3.0
#: A cross-check decides only when its differences are this accurate, relative to the larger
#: of the reference and your gradient (so that it can tell the two apart, or both from zero).
INFORMATIVE = 1e-3


@dataclass
class Reference:
    """The reference gradient per coordinate, and what vouches for it."""

    name: str
    values: np.ndarray | None
    #: Two independent estimates agree (else the check gives no verdict).
    confirmed: bool
    #: How it was confirmed, or why it could not be, in words.
    confirmation: str
    #: Why the better references were passed over.
    passed_over: list[str] = field(default_factory=list)
    numerical: bool = False
    #: Every coordinate's one-sided slopes (JAX only): where the kinks are.
    slopes: SideSlopes | None = None
    program: Program | None = None
    #: Coordinates a screen of NumPy's f suspects of kinks (to probe), and what it said.
    suspects: list[int] | None = None
    screen_note: str | None = None

    @property
    def note(self) -> str | None:
        return "; ".join(self.passed_over) or None


def gradient_scale(values: np.ndarray, f0: float) -> float:
    """The size a gradient's error is measured against: its norm, never below 1e-8 |f|."""
    return max(norm(finite(values)), 1e-8 * max(1.0, abs(f0)))


def _differs(who: str, value: float, point: Point) -> str | None:
    """Why `who`'s f at the point is not NumPy's, or None when they agree."""
    precision = "float64" if point.widths["f"] == "float64" else "float32"
    allowed = FIDELITY_RTOL[precision] * max(abs(value), abs(point.f0)) + 1e-12
    if abs(value - point.f0) <= allowed:
        return None
    return (
        f"{who} reads f differently from NumPy: {who}'s f(at) is {value:.10g}, NumPy's "
        f"{point.f0:.10g} (a branch on the type of the parameters, or a name with two meanings)"
    )


def _direction(point: Point, avoid: np.ndarray) -> np.ndarray | None:
    """A random unit direction with no component on the coordinates to avoid."""
    direction = random_signs(point.rng, point.flat.size)
    direction[avoid] = 0.0
    length = norm(direction)
    return direction / length if length > 0 else None


def _locate_jumps(point: Point, direction: np.ndarray) -> None:
    """The coordinates along which f jumps, by halving blocks of `direction`, into
    `point.jumps` (and `point.more_jumps` when more were left unnamed)."""
    x = point.flat.values
    found, more = point.run(lambda: locate_jumps(point.of_flat, x, direction, point.f0))
    known = {jump.index for jump in point.jumps}
    for index in found:
        if index not in known:
            label = point.flat.describe(index)
            point.jumps.append(
                point.run(
                    lambda i=index, name=label: jump_at(
                        point.of_flat, x, unit(x.size, i), i, name, point.f0
                    )
                )
            )
    point.more_jumps = point.more_jumps or more or not found


def _along_without_jumps(point: Point, direction: np.ndarray, enough: float) -> Estimate | None:
    """The derivative of f along `direction`, or None when f jumps along it."""
    x, width = point.flat.values, point.widths["f"]

    def work() -> Estimate | None:
        estimate = along(point.of_flat, x, direction, enough, width)
        jumped = jumps_beside(point.of_flat, x, direction, point.f0, estimate, width)
        return None if jumped else estimate

    return point.run(work)


def _estimate(
    point: Point, skip: np.ndarray, enough: float
) -> tuple[Estimate, np.ndarray] | Failure:
    """A derivative along a new random direction free of `skip` and of jumps (the jumps found
    on the way are located into `point.jumps`), with the direction, kept in `point.looks`
    for the next reference; or why there is none."""
    for _ in range(3):
        jumps = np.array([jump.index for jump in point.jumps], dtype=int)
        direction = _direction(point, np.union1d(skip, jumps).astype(int))
        if direction is None:
            return Failure("no coordinate is free of kinks, jumps or NaN to difference along")
        estimate = _along_without_jumps(point, direction, enough)
        if estimate is not None:
            point.looks.append((direction, estimate))
            return estimate, direction
        _locate_jumps(point, direction)
    return Failure("f jumps along every direction tried")


def first_look(point: Point) -> None:
    """Differences of NumPy's f along one random direction, taken before any reference is
    computed (and the jumps they meet located): NumPy's calls of f come in one burst, and
    every reference is then checked against the same numbers."""
    scale = gradient_scale(point.yours, point.f0)
    try:
        _estimate(point, np.empty(0, dtype=int), 1e-6 * scale)
    except UserCodeFailure as failure:
        if failure.timed_out:
            raise  # else f fails beside the point: the references will say so


def _looks(point: Point, skip: np.ndarray, enough: float) -> Any:
    """The directions already differenced that keep clear of `skip`, then new ones."""
    jumps = np.array([jump.index for jump in point.jumps], dtype=int)
    cleared = np.union1d(skip, jumps).astype(int)
    for direction, estimate in list(point.looks):
        if not np.any(direction[cleared]):
            yield estimate, direction
    while True:
        yield _estimate(point, skip, enough)


def cross_check(
    point: Point, values: np.ndarray, avoid: np.ndarray, who: str
) -> tuple[bool | None, str]:
    """Do Richardson-extrapolated central differences of NumPy's f along a random direction
    (free of jumps, of `avoid` and of the reference's NaN) agree with `values` along it?

    At a kink at the point central differences give the mean of the two one-sided slopes,
    which is what `values` must hold there. True or False with words; None when they cannot
    decide: too noisy (f loses its digits to round-off, as `1e12 + w**2` does), or no
    coordinate is free to difference along. A disagreement is tried once more along another
    direction: a kink a step away from the point, crossed by chance, is not a verdict."""
    by = "Richardson differences" if who == CENTRAL else "central differences of NumPy's f"
    scale = max(gradient_scale(values, point.f0), gradient_scale(point.yours, point.f0))
    skip = np.union1d(avoid, np.flatnonzero(~np.isfinite(values))).astype(int)
    words = ""
    looks = _looks(point, skip, 1e-6 * scale)
    for _ in range(2):
        try:
            found = next(looks)
        except UserCodeFailure as failure:
            if failure.timed_out:
                raise
            return None, f"{by} cannot confirm {who}: {failure}"
        if isinstance(found, Failure):
            return None, f"{by} cannot confirm {who}: {found.reason}"
        estimate, direction = found
        predicted = float(finite(values) @ direction)
        if not estimate.error <= INFORMATIVE * scale:
            return None, (
                f"{by} cannot confirm {who}: their error, {estimate.error:.2g}, is not small "
                f"beside the gradient's size {scale:.2g} (f loses its digits to round-off, or "
                "its gradient is too small beside f to tell from zero)"
            )
        if estimate.agrees(predicted, 1e-8 * scale):
            gap = abs(estimate.value - predicted) / scale
            return True, f"{who}, confirmed by {by} along a random direction (agree to {gap:.0e})"
        words = f"{by} give {estimate.value:.8g} along a random direction, {who} {predicted:.8g}"
    return False, words


def _kinks_cross_check(point: Point, slopes: SideSlopes) -> bool:
    """Along random sides of the kink coordinates, do one-sided differences of NumPy's f
    give the slopes JAX's gradients just beside the point add up to?"""
    x, kinks = point.flat.values, slopes.kinks
    sides = np.zeros(x.size)
    sides[kinks] = random_signs(point.rng, kinks.size) / np.sqrt(kinks.size)
    try:
        left, right = point.run(
            lambda: one_sided(point.of_flat, x, sides, point.f0, point.widths["f"])
        )
    except UserCodeFailure as failure:
        if failure.timed_out:
            raise
        return False
    on = sides[kinks]
    expected_right = float(np.where(on > 0, slopes.right[kinks], slopes.left[kinks]) @ on)
    expected_left = float(np.where(on > 0, slopes.left[kinks], slopes.right[kinks]) @ on)
    size = float(np.sum(np.abs(slopes.left[kinks]) + np.abs(slopes.right[kinks])))
    return right.agrees(expected_right, 1e-6 * size) and left.agrees(expected_left, 1e-6 * size)


def jax_reference(
    point: Point, allowed: Callable[[np.ndarray], np.ndarray], avoid: np.ndarray
) -> Reference | None:
    """JAX's compiled gradient, its kinks, and whether NumPy's f confirms it; None (with the
    reason left in `passed_over` of the next reference) when JAX cannot serve at all."""
    x = point.flat.values

    def work() -> tuple[Program | Failure, float, np.ndarray, SideSlopes | None]:
        program = compiled(point.function, point.flat)
        if isinstance(program, Failure) or program.custom_rule:
            return program, np.nan, x, None
        value, values = program.value_and_grad(x)
        if _differs("JAX", value, point):
            return program, value, values, None
        return program, value, values, side_slopes(program.gradient, x, allowed(values), point.rng)

    program, value, values, slopes = point.run(work)
    if isinstance(program, Failure) or program.custom_rule:
        point.passed_over.append(
            program.reason if isinstance(program, Failure) else program.custom_rule
        )
        return None
    differs = _differs("JAX", value, point)
    if differs or slopes is None:
        point.passed_over.append(differs or "JAX's gradient could not be read")
        return None
    # Where JAX's own value is NaN but both sides agree, f is smooth: the sides are its slope.
    smooth = ~np.isfinite(values) & np.isfinite(slopes.left) & (slopes.left == slopes.right)
    values = np.where(smooth, slopes.left, values)
    if slopes.separate:
        # Central differences through a kink give the mean of its two slopes.
        middle = values.copy()
        middle[slopes.kinks] = (slopes.left[slopes.kinks] + slopes.right[slopes.kinks]) / 2
        agrees, words = cross_check(point, middle, avoid, "JAX")
    elif slopes.kinks.size == values.size:
        # Every coordinate is at a kink that is not its own (the norm at 0): JAX's values are
        # not used; each coordinate is probed by one-sided differences of NumPy's f instead.
        agrees, words = (
            True,
            "every coordinate is at a kink: each is judged by one-sided differences",
        )
    else:
        agrees, words = cross_check(point, values, np.union1d(avoid, slopes.kinks), "JAX")
    if slopes.kinks.size and slopes.separate and agrees and not _kinks_cross_check(point, slopes):
        agrees, words = False, "one-sided differences of NumPy's f disagree with JAX at kinks"
    return Reference(
        JAX_REVERSE,
        values,
        bool(agrees),
        words,
        list(point.passed_over),
        slopes=slopes,
        program=program,
    )


def exact_reference(point: Point, jax: Reference | None, avoid: np.ndarray) -> Reference | None:
    """SymPy's exact gradient, kept when its f(at) is NumPy's; confirmed by JAX's gradient
    (an independent engine) or by central differences; None when SymPy cannot give it."""
    from diffmagic.analysis.exact_gradient import MAX_SYMBOLIC_PARAMETERS, exact_gradient

    if point.flat.size > MAX_SYMBOLIC_PARAMETERS:
        point.passed_over.append(f"SymPy is not tried above {MAX_SYMBOLIC_PARAMETERS:,} parameters")
        return None
    try:
        exact = point.run(
            lambda: exact_gradient(point.function, point.flat, seconds=EXACT_SECONDS), "SymPy"
        )
    except UserCodeFailure as failure:
        exact = Failure(f"SymPy failed: {one_line(failure, 120)}")
    if isinstance(exact, Failure):
        point.passed_over.append(f"no exact gradient: {exact.reason}")
        return None
    differs = _differs("SymPy", exact.f_value, point)
    if differs:
        point.passed_over.append(differs)
        return None
    values = np.asarray(exact.values, dtype=np.float64).ravel()
    if jax is not None and jax.values is not None:
        # At a kink each engine picks its own value (SymPy's sign(0) is 0, JAX's abs' is 1).
        smooth = np.ones(values.size, dtype=bool)
        smooth[jax.slopes.kinks if jax.slopes is not None else []] = False
        scale = gradient_scale(values, point.f0)
        gap = np.abs(values - jax.values)[smooth]
        if np.all(np.isfinite(values[smooth])) and np.all(
            gap <= 1e-9 * scale + 1e-9 * np.abs(values[smooth])
        ):
            words = "exact, confirmed by JAX's reverse mode (they agree to 1e-9)"
            return Reference(EXACT, values, True, words, list(point.passed_over))
    agrees, words = cross_check(point, values, avoid, "SymPy")
    return Reference(EXACT, values, bool(agrees), words, list(point.passed_over))


def central_reference(point: Point, avoid: np.ndarray, force: bool = False) -> Reference | None:
    """Central differences coordinate by coordinate, confirmed by Richardson differences along
    a random direction; None when 2n calls of f cost too much (then: random directions),
    unless `force` (mode="full" asked for)."""
    from diffmagic.methods.coordinate_differences import numerical_gradient

    n = point.flat.size
    if not force and n > FULL_MODE_LIMIT and 2 * n * point.f_seconds > CENTRAL_SECONDS:
        return None
    try:
        values = point.run(lambda: numerical_gradient(point.of_flat, point.flat))
    except UserCodeFailure as failure:
        # f not finite next to the point, say: central differences give nothing to confirm.
        point.passed_over.append(f"central differences failed: {one_line(failure, 120)}")
        raise DiffMagicError(f"no reference: {'; '.join(point.passed_over)}") from None
    values = np.asarray(values, dtype=np.float64).ravel()
    # Central differences straddle a kink close to the point: suspects are left out of the
    # cross-check, and probed one by one afterwards.
    eps = EPSILON[point.widths["f"]]
    suspects, screen_note = point.run(
        lambda: kink_candidates(point.of_flat, point.flat, point.f0, point.f_seconds, eps)
    )
    avoid = np.union1d(avoid, np.array(suspects, dtype=int)).astype(int)
    agrees, words = cross_check(point, values, avoid, "central differences")
    return Reference(
        CENTRAL,
        values,
        bool(agrees),
        words,
        list(point.passed_over),
        True,
        suspects=suspects,
        screen_note=screen_note,
    )
