"""Points where f' does not exist, found from f's own values: no SymPy needed.

SymPy sees |x| in its expression; it cannot see np.floor, np.mod, arctan2's branch cut or a
relu written with Python `if`. NumPy's own f (the f every row is checked against) can be asked
anywhere, so its values on the grid show where something breaks: a step much larger than the
steps beside it (a jump), or a change of slope much larger than the changes around it (a
corner). Each such place is narrowed by bisection with f itself, then kept only when it stays
broken on a ladder of ever smaller steps around it: a jump keeps its size as the step
shrinks, a corner its two different slopes, a vertical tangent its growing slope, while a
smooth function, however steep, straightens out. That is why exp on (-5, 5), the lab's
composed polynomial or sin(1000 x) on a coarse grid give nothing: the grid may flag them, the
ladder never confirms them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

ArrayFunction = Callable[[np.ndarray], np.ndarray]

#: A step (or a change of slope) this many times the ones around it is worth a closer look.
OUTLIER = 4.0
#: At most this many places are looked at closely (the most outstanding first).
MAX_CANDIDATES = 32
#: Halvings of a grid interval: 2**-64 of it is below float64's resolution anywhere.
BISECTIONS = 64
#: The search stops looking closer after this long; it never delays a comparison by more.
SECONDS = 1.0
#: Decades of the ladder below the grid step: h = step/10, step/100, ..., step/1e15.
DECADES = 15
#: A break is judged on the last this many rungs of the ladder (three decades)...
RUNGS = 4
#: ...which must reach this fraction of the grid step.
DEPTH = 1e-6
#: Points just beyond the last rung, 1e-3 of it apart, that show f's own rounding.
NEAR = 6
#: Below this, values are subnormal floats whose rounding is no longer relative to them.
TINY = 1e3 * float(np.finfo(np.float64).tiny)


def machine_epsilon(precision: str) -> float:
    """Relative rounding of f's values: float32's when f computes in float32."""
    return float(np.finfo(np.float32 if precision == "float32" else np.float64).eps)


def _evaluate(f: ArrayFunction, x: np.ndarray) -> np.ndarray:
    """f at x, NaN where f has no value: a point where f raises or returns None (the lab's
    if-written step returns None at 0) is a point where f is undefined, not the search's end."""
    with np.errstate(all="ignore"):
        try:
            return np.asarray(f(x), dtype=np.float64).reshape(x.shape)
        except Exception:
            values = np.full(x.size, np.nan)
        for index, point in enumerate(x.ravel()):
            try:
                values[index] = np.asarray(f(np.array([point])), dtype=np.float64).reshape(-1)[0]
            except Exception:
                continue
    return values.reshape(x.shape)


def candidates(xs: np.ndarray, ys: np.ndarray, eps: float) -> list[tuple[float, float]]:
    """Brackets (low, high) around grid intervals where f may jump or turn a corner.

    A jump shows as one step |y[i+1] - y[i]| much larger than the steps beside it, and as
    second differences (at x[i] and x[i+1]) much larger than those two points away (which
    the jump does not touch; they stand out even on a steep f, whose steps are large too); a
    corner between x[i] and x[i+1] as the sum of those two second differences, much larger
    than the sums two points away. A smooth f changes its steps and its second differences
    gradually, so none stands out. Each bracket reaches half a step beyond its interval, so a
    break exactly on a grid point lies inside it.
    """
    step = float(np.median(np.diff(xs)))
    with np.errstate(all="ignore"):
        d1 = np.abs(np.diff(ys))
        d2 = ys[2:] - 2.0 * ys[1:-1] + ys[:-2]
        pairs = np.abs(d2[:-1] + d2[1:])  # pairs[k]: the interval from xs[k + 1] to xs[k + 2]
        # Rounding of f at each point: of its value, and of x moved by x's own rounding.
        slope = np.fmin(np.concatenate([[np.inf], d1]), np.concatenate([d1, [np.inf]])) / step
        rounding = 64.0 * eps * (np.abs(ys) + np.abs(xs) * slope) + TINY
        noise = np.fmax(rounding[:-1], rounding[1:])
        steps = np.fmax(_outstanding(d1, 1, noise), _outstanding(d1, 2, noise))
        bends = _outstanding(np.abs(d2), 2, 4.0 * np.fmax(noise[:-1], noise[1:]))
        corners = _outstanding(pairs, 2, 4.0 * noise[1:-1])
    # Each score, with the first and last grid index of the place it points at.
    scores = np.concatenate([steps, bends, corners])
    starts = np.concatenate([np.arange(d1.size), np.arange(d2.size), np.arange(pairs.size) + 1])
    ends = starts + np.concatenate([np.ones(d1.size), np.full(d2.size, 2), np.ones(pairs.size)])
    low, high = float(xs[0]), float(xs[-1])
    # Places whose centres are at most a grid step from a group's first are one break seen by
    # several tests: one bracket (their union) with their best score.
    groups: list[list[float]] = []
    for i in np.argsort(starts + ends, kind="stable"):
        if np.isnan(scores[i]):
            continue
        centre, start, end = (starts[i] + ends[i]) / 2, int(starts[i]), int(ends[i])
        if groups and centre <= groups[-1][0] + 1:
            group = groups[-1]
            group[1], group[2] = min(group[1], start), max(group[2], end)
            group[3] = max(group[3], float(scores[i]))
        else:
            groups.append([centre, start, end, float(scores[i])])
    best = sorted(groups, key=lambda group: -group[3])[:MAX_CANDIDATES]
    return sorted(
        (max(low, float(xs[int(start)]) - step / 2), min(high, float(xs[int(end)]) + step / 2))
        for _, start, end, _ in best
    )


def _outstanding(values: np.ndarray, distance: int, noise: np.ndarray) -> np.ndarray:
    """How many times each value exceeds the larger of its neighbours `distance` away (NaN
    where it does not stand out by `OUTLIER` times, nor above rounding, or cannot be told)."""
    # -1 stands for a neighbour past an end (ignored by the maximum); NaN is f undefined there.
    padded = np.concatenate([np.full(distance, -1.0), values, np.full(distance, -1.0)])
    beside = np.maximum(padded[: values.size], padded[2 * distance :])
    told = np.isfinite(values) & np.isfinite(beside) & (beside >= 0)
    standing = told & (values > noise) & (values / OUTLIER > beside)
    ratio = values / np.maximum(beside, noise)
    return np.where(standing, ratio, np.nan)


def narrow(
    f: ArrayFunction, low: np.ndarray, high: np.ndarray, eps: float, stop_at: float
) -> tuple[np.ndarray, np.ndarray]:
    """(centres, widths) of the brackets after bisection, all brackets at once.

    Each step looks at the bracket's halves and its middle half; the break is where f is
    least like a straight line (the largest distance of a midpoint from its chord): a jump
    keeps that distance at half its size, a corner shrinks it in proportion to the width,
    smooth curvature in proportion to its square, so the break wins as the bracket shrinks.
    A bracket stops where that distance sinks into f's rounding, or where no float is left
    between its points.
    """
    a, b = low.astype(np.float64), high.astype(np.float64)
    m = 0.5 * (a + b)
    fa, fm, fb = np.split(_evaluate(f, np.concatenate([a, m, b])), 3)
    active = np.ones(a.size, dtype=bool)
    for _ in range(BISECTIONS):
        q1, q3 = 0.5 * (a + m), 0.5 * (m + b)
        active &= (a < q1) & (q1 < m) & (m < q3) & (q3 < b)
        if not np.any(active) or time.monotonic() > stop_at:
            break
        chosen = np.flatnonzero(active)
        f1, f3 = np.split(_evaluate(f, np.concatenate([q1[chosen], q3[chosen]])), 2)
        fq1, fq3 = np.full(a.size, np.nan), np.full(a.size, np.nan)
        fq1[chosen], fq3[chosen] = f1, f3
        with np.errstate(all="ignore"):
            deviations = np.abs(
                np.stack([fm - 0.5 * (fq1 + fq3), fq1 - 0.5 * (fa + fm), fq3 - 0.5 * (fm + fb)])
            )
            seen = np.abs(np.stack([fa, fm, fb, fq1, fq3]))
            noise = 8.0 * eps * np.where(np.isfinite(seen), seen, 0.0).max(axis=0) + TINY
        # An infinite value is a pole: the most broken place there is; NaN tells nothing.
        deviations = np.where(np.isnan(deviations), -1.0, deviations)
        # A hole where f has no value (the lab's step returns None at 0) stays in the middle.
        hole = np.isnan(fm) & np.isfinite(fa) & np.isfinite(fb) & (deviations.max(axis=0) < 0)
        active &= (deviations.max(axis=0) > noise) | hole
        which = np.where(active, np.where(hole, 0, deviations.argmax(axis=0)), -1)
        middle, left, right = which == 0, which == 1, which == 2
        a, fa, b, fb = (
            np.where(middle, q1, np.where(right, m, a)),
            np.where(middle, fq1, np.where(right, fm, fa)),
            np.where(middle, q3, np.where(left, m, b)),
            np.where(middle, fq3, np.where(left, fm, fb)),
        )
        m, fm = (
            np.where(left, q1, np.where(right, q3, m)),
            np.where(left, fq1, np.where(right, fq3, fm)),
        )
    return 0.5 * (a + b), b - a


def confirm(
    f: ArrayFunction,
    centre: float,
    width: float,
    step: float,
    eps: float,
    ends: tuple[float, float] = (-np.inf, np.inf),
) -> str | None:
    """What kind of point `centre` is, judged on a ladder of steps; None when f is smooth there.

    `width` is how far the true point may be from `centre`; f is asked within `ends` only.
    Only steps far above `width`, and far above the resolution of floats at `centre`, are
    used, and they must reach a millionth of the grid step: a wiggle of f on a small scale
    looks like a break from above it, never all the way down. Over the last `RUNGS` rungs a
    jump keeps its size, a pole grows, a vertical tangent (or a cusp) has slopes that keep
    growing, a corner keeps two different slopes. Rungs where rounding could account for a
    slope are not used.
    """
    rungs = step * 10.0 ** -np.arange(1, DECADES + 1, dtype=np.float64)
    rungs = rungs[rungs >= max(100.0 * width, 1e3 * eps * abs(centre))]
    # Never outside `ends` (the domain), not even by the points beyond the last rung.
    rungs = rungs[rungs * (1.0 + 1e-3 * NEAR) <= min(centre - ends[0], ends[1] - centre)]
    if rungs.size < RUNGS:
        return None
    near = rungs[-1] * (1.0 + 1e-3 * np.arange(NEAR))
    probe = np.concatenate([[centre], centre - rungs, centre + rungs, centre - near, centre + near])
    values = _evaluate(f, probe)
    at, left, right = values[0], values[1 : rungs.size + 1], values[rungs.size + 1 : -2 * NEAR]
    if not np.all(np.isfinite(values[1:])):
        return None  # an edge of f's domain, not a point inside it
    if _grows(np.abs(left)) and _grows(np.abs(right)):
        return "undefined"  # a pole: f itself runs off to infinity
    with np.errstate(all="ignore"):
        slope_left, slope_right = (at - left) / rungs, (right - at) / rungs
        if not np.isfinite(at):  # no slopes; f may still jump across the point
            slope_left = slope_right = np.abs(right - left) / rungs
        steep = np.maximum(np.abs(slope_left), np.abs(slope_right))
        size = np.fmax(np.abs(at), np.maximum(np.abs(left), np.abs(right)))
        # f's rounding, by its size, and as seen: points 1e-3 of the last rung apart on each
        # side lie on a straight line but for it ((x + 1e8) - 1e8 rounds to steps of 1.5e-8).
        seen = max(_bends(values[-2 * NEAR : -NEAR]), _bends(values[-NEAR:]))
        noise = np.maximum(8.0 * eps * size, seen) + TINY
        # A corner near x = pi also parts f(x - h) from f(x + h) by as much as x's rounding
        # (or the point's uncertainty `width`) moves f: no jump unless far more than that.
        moved = steep[0] * (width + 8.0 * eps * abs(centre))
        gaps = np.abs(right - left)
        shown = gaps[-RUNGS:]
        if (
            rungs[-1] <= DEPTH * step
            and shown.min() > 1e4 * (noise.max() + moved)
            and shown.min() >= 0.5 * shown.max()
            and shown.min() >= 1e-2 * gaps[0]
        ):
            return "jump"
        if not np.isfinite(at):
            return "undefined"
        usable = np.flatnonzero(noise / rungs <= 1e-3 * steep)
    # The deepest rungs where rounding cannot account for the slopes, a decade apart each.
    last = usable[-RUNGS:]
    if last.size < RUNGS or last[-1] - last[0] != RUNGS - 1 or rungs[last[-1]] > DEPTH * step:
        return None
    # A vertical tangent's slope grows as the step shrinks, while f's change over the step
    # still shrinks; a slope that grows because f's change stays put is a step of rounding.
    growing = [
        _grows(np.abs(slope[last])) and _shrinks(np.abs(change[last]))
        for slope, change in ((slope_left, at - left), (slope_right, right - at))
    ]
    if any(growing):
        same_sign = np.sign(slope_left[last[-1]]) == np.sign(slope_right[last[-1]])
        return "vertical tangent" if same_sign else "cusp"
    differences = np.abs(slope_right - slope_left)[last]
    material = differences.min() > 1e-3 * steep[last].max()
    if material and differences.max() <= 1.5 * differences.min():
        return "corner"
    return None


def _bends(values: np.ndarray) -> float:
    """The largest second difference of values at evenly spaced points."""
    return float(np.max(np.abs(values[2:] - 2.0 * values[1:-1] + values[:-2])))


def _shrinks(values: np.ndarray) -> bool:
    """The last `RUNGS` rungs (a decade apart) shrink at least 1.5-fold per decade."""
    tail = values[-RUNGS:]
    return bool(tail.size == RUNGS and np.all(tail[:-1] >= 1.5 * tail[1:]))


def _grows(values: np.ndarray) -> bool:
    """The last `RUNGS` rungs (a decade apart) grow at least twofold per decade."""
    tail = values[-RUNGS:]
    return bool(tail.size == RUNGS and tail[0] > 0 and np.all(tail[1:] >= 2.0 * tail[:-1]))


def search(
    grid: np.ndarray,
    f: ArrayFunction,
    precision: str = "float64",
    exact: ArrayFunction | None = None,
    places: list[tuple[float, float]] | tuple[()] = (),
    values: np.ndarray | None = None,
) -> list[tuple[float, float, str]]:
    """[(x, how far the true point may be from x, kind)] for the breaks of f in the domain.

    f is only ever asked inside the domain (the learner chose it; outside, f may have no
    value or never return), so a break on the domain's edge is not judged. `values` are f's
    values on the grid when known. `exact`, when given, is f computed without rounding
    (SymPy's f at 30 digits): each break is then confirmed on it, for float64 can break where
    the formula does not (tanh(9|x|) - 1 rounds to steps of 1e-16 where tanh is 1 to within a
    bit). `places` are more brackets to look at (where a derivative row jumps). The search
    stops looking after `SECONDS` (an f of 20 ms a point gets no further than the grid).
    """
    if grid.size < 4:
        return []
    stop_at = time.monotonic() + SECONDS
    eps = machine_epsilon(precision)
    step = float(np.median(np.diff(grid)))
    ends = (float(grid[0]), float(grid[-1]))
    ys = _evaluate(f, grid) if values is None else np.asarray(values, dtype=np.float64)
    brackets = candidates(grid, ys, eps)
    brackets += [
        (max(ends[0], low - step / 2), min(ends[1], high + step / 2))
        for low, high in places[:MAX_CANDIDATES]
    ]
    if not brackets or time.monotonic() > stop_at:
        return []
    low, high = (np.array(side, dtype=np.float64) for side in zip(*brackets, strict=True))
    centres, widths = narrow(f, low, high, eps, stop_at)
    found: list[tuple[float, float, str]] = []
    for centre, width in sorted(zip(centres.tolist(), widths.tolist(), strict=True)):
        if time.monotonic() > stop_at:
            break
        point = snap(centre, width + 4.0 * np.spacing(abs(centre)))
        within = width + abs(point - centre)
        # Two brackets around one break end a few floats apart: the point is found once.
        if found and point - found[-1][0] <= 1e-9 * (ends[1] - ends[0]) + within:
            continue
        if exact is None:
            kind = confirm(f, point, within, step, eps, ends)
        else:
            kind = confirm(exact, point, within, step, machine_epsilon("float64"), ends)
        if kind is not None:
            found.append((point, within, kind))
    return found


def snap(value: float, within: float) -> float:
    """The shortest number within `within` of `value`, as people write points: the break of
    floor at 1 is found between 1 - 1e-16 and 1, and is 1; a break at 1/3 stays 1/3."""
    if abs(value) <= within:
        return 0.0
    for digits in range(1, 18):
        rounded = float(f"{value:.{digits}g}")
        if abs(rounded - value) <= within:
            return rounded
    return value
