"""Full mode: every coordinate of your gradient judged against the reference, kinks and jumps apart.

A coordinate is wrong when it is outside the tolerance of a confirmed reference and f is smooth
there. At a kink (two one-sided slopes) it passes when it lies between them; at a jump it is
not judged (no derivative exists: the check gives no verdict there). With JAX's gradient the
kinks of every coordinate are known at once (`kink_sides.side_slopes`); without it, one-sided
differences of NumPy's f probe the coordinates that are off or that a screen suspects.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffmagic.analysis.check_reference import Reference
from diffmagic.analysis.check_verdict import compare, default_atol, default_rtol, largest, status
from diffmagic.analysis.kinks import (
    Jump,
    Kink,
    KinkTable,
    kink_candidates,
    probe_budget,
    probe_kink,
    unit,
)
from diffmagic.methods.directional import EPSILON, norm
from diffmagic.results.check import GradientCheck
from diffmagic.running.check_inputs import Options, Point


def tolerances(
    point: Point, reference: Reference, options: Options, values: np.ndarray
) -> tuple[float, float, str, str]:
    """(rtol, atol, the precision judged at, the sentence that says why)."""
    rtol, precision, note = default_rtol(point.widths, reference.numerical)
    if options.rtol is not None:
        rtol, note = options.rtol, f"rtol {options.rtol:.0e} as given"
    scale = largest(values)
    if options.atol is not None:
        return rtol, options.atol, precision, f"{note}, atol {options.atol:.2g} as given"
    atol = default_atol(rtol, scale, point.f0)
    floor = None
    if precision != "float64" and reference.program is not None:
        floor = _narrow_floor(point, reference, precision, values)
    if floor is not None and 10 * floor > atol:
        return (
            rtol,
            10 * floor,
            precision,
            (
                f"{note}, atol {10 * floor:.2g} (10 × the {floor:.2g} by which JAX's own "
                f"{precision} gradient is off here)"
            ),
        )
    return rtol, atol, precision, f"{note}, atol {atol:.2g} (rtol × the largest |reference|)"


def _narrow_floor(
    point: Point, reference: Reference, precision: str, values: np.ndarray
) -> float | None:
    """How far a gradient in `precision` of this f is off here by round-off alone: JAX's
    gradient computed in it, against the reference. None when JAX cannot tell."""
    program = reference.program
    assert program is not None
    try:
        narrow = point.run(lambda: program.narrow_gradient(point.flat.values, precision))
    except Exception as error:
        if getattr(error, "timed_out", False):
            raise
        return None
    gap = np.abs(narrow - values)
    return float(np.max(gap)) if np.all(np.isfinite(gap)) else None


def _probe(
    point: Point, reference: Reference, indices: list[int], allowed: np.ndarray, atol: float
) -> tuple[list[Kink], list[Jump], set[int], set[int], list[str]]:
    """One-sided differences of NumPy's f at each coordinate: (kinks, jumps, coordinates
    settled where the reference has no value, coordinates left without a verdict, notes).

    A kink close by but not at the point leaves an exact reference standing; central
    differences that straddle it are off, so against them there is no verdict there."""
    kinks: list[Kink] = []
    jumps: list[Jump] = []
    settled: set[int] = set()
    unsure: set[int] = set()
    notes: list[str] = []
    eps = EPSILON[point.widths["f"]]
    x, values = point.flat.values, reference.values
    assert values is not None
    for index in indices:
        outcome = point.run(
            lambda i=index: probe_kink(
                point.of_flat,
                x,
                unit(x.size, i),
                i,
                point.flat.describe(i),
                point.f0,
                eps,
                float(point.yours[i]),
                float(values[i]),
                float(allowed[i]),
                atol,
            )
        )
        if outcome is None:
            continue
        kind, payload = outcome
        if kind == "jump":
            jumps.append(payload)
        elif kind == "kink":
            kinks.append(payload)
        else:
            notes.append(payload)
            if kind == "settled":
                settled.add(index)
            elif kind == "disputed" or (kind == "elsewhere" and reference.numerical):
                unsure.add(index)
    return kinks, jumps, settled, unsure, notes


def _kinks_and_jumps(
    point: Point, reference: Reference, failing: np.ndarray, error: np.ndarray, allowed: Any
) -> tuple[KinkTable, list[Jump], set[int], list[str], set[int]]:
    """Kinks (from JAX's side slopes, else probed), jumps the probes met, coordinates settled
    by one-sided differences, notes, and coordinates left without a verdict."""
    budget = probe_budget(point.f_seconds)
    slopes = reference.slopes
    notes: list[str] = []
    if slopes is not None and slopes.separate:
        kinks = slopes.kinks
        low = np.minimum(slopes.left[kinks], slopes.right[kinks]) - allowed[kinks]
        high = np.maximum(slopes.left[kinks], slopes.right[kinks]) + allowed[kinks]
        yours = point.yours[kinks]
        with np.errstate(invalid="ignore"):
            between = np.isfinite(yours) & (low <= yours) & (yours <= high)
        table = KinkTable(
            kinks, slopes.left[kinks], slopes.right[kinks], yours, between, point.flat.describe
        )
        return table, [], set(), notes, set()
    ranked = [int(i) for i in failing[np.argsort(-error[failing], kind="stable")]]
    if slopes is not None:
        # Kinks that do not keep to their coordinates: each failing one is probed on its own.
        probe = [i for i in ranked if i in set(slopes.kinks.tolist())]
    else:
        if reference.suspects is not None:
            screened, screen_note = reference.suspects, reference.screen_note
        else:
            screened, screen_note = point.run(
                lambda: kink_candidates(
                    point.of_flat, point.flat, point.f0, point.f_seconds, EPSILON[point.widths["f"]]
                )
            )
        notes += [screen_note] if screen_note else []
        probe = list(dict.fromkeys([*ranked[:budget], *screened]))
    unprobed = set(probe[budget:])
    probe = probe[:budget]
    if slopes is None and failing.size > budget:
        notes.append(
            f"{failing.size - budget:,} more are off; only the worst {budget:,} were probed "
            "for kinks"
        )
    kinks, jumps, settled, unsure, probe_notes = _probe(
        point, reference, probe, allowed, _atol(allowed)
    )
    table = KinkTable.of(kinks, point.flat.describe)
    return table, jumps, settled, notes + probe_notes, unprobed | unsure


def _atol(allowed: np.ndarray) -> float:
    return float(np.min(allowed)) if allowed.size else 0.0


def full_check(
    point: Point, reference: Reference, options: Options, jumps: list[Jump]
) -> GradientCheck:
    """Every coordinate judged; the verdict and its table."""
    values = reference.values
    assert values is not None
    rtol, atol, precision, tolerance_note = tolerances(point, reference, options, values)
    error, allowed, failing = compare(point.yours, values, rtol, atol)
    kinks, met, settled, notes, unsure = _kinks_and_jumps(point, reference, failing, error, allowed)
    jumps = sorted(
        [*jumps, *(j for j in met if j.index not in {k.index for k in jumps})],
        key=lambda jump: jump.index,
    )
    kink_set = set(kinks.indices.tolist())
    apart = settled | {j.index for j in jumps} | set(kinks.indices[kinks.passed].tolist())
    # Where the reference has no value and nothing settled it, there is no verdict.
    unsure |= {int(i) for i in np.flatnonzero(~np.isfinite(values))} - apart
    unsure -= kink_set
    if not reference.confirmed:
        unsure |= {int(i) for i in failing}
    judged = np.ones(values.size, dtype=bool)
    judged[list(apart | unsure)] = False
    wrong = failing[judged[failing]]
    # Worst first; ties (NaN, read as infinite) keep no particular order.
    wrong = wrong[np.argsort(-error[wrong])] if wrong.size else wrong
    verdict = status(wrong.size, bool(unsure) or not reference.confirmed, len(jumps))
    if reference.numerical and reference.confirmed:
        notes.append(
            "judged against central differences (confirmed, not exact: accurate to about "
            "1e-8): an error near the tolerance may be theirs"
        )
    return GradientCheck(
        mode="full",
        flat=point.flat,
        yours=point.yours,
        reference=values,
        error=error,
        tolerance=allowed,
        reference_name=reference.name,
        reference_note=reference.note,
        confirmation=reference.confirmation,
        rtol=rtol,
        atol=atol,
        tolerance_note=tolerance_note,
        precision=precision,
        relative_difference=_relative(point.yours, values, apart | unsure),
        status=verdict,
        wrong=wrong,
        reason=_reason(verdict, reference, jumps, unsure, point),
        kinks=kinks,
        jumps=jumps,
        unconfirmed=np.array(sorted(unsure), dtype=int),
        notes=notes,
    )


def _relative(yours: np.ndarray, values: np.ndarray, apart: set[int]) -> float:
    """||g - ĝ|| / (||g|| + ||ĝ||) over the coordinates judged against the reference."""
    keep = np.ones(values.size, dtype=bool)
    keep[list(apart)] = False
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        difference = yours[keep] - values[keep]
        denominator = norm(yours[keep]) + norm(values[keep])
        relative = norm(difference) / denominator if denominator > 0 else 0.0
    return relative if np.isfinite(relative) else float("inf")


def _reason(
    verdict: str, reference: Reference, jumps: list[Jump], unsure: set[int], point: Point
) -> str | None:
    """Why there is no verdict, in one sentence (None when there is one)."""
    if verdict != "failed":
        return None
    if jumps:
        where = ", ".join(jump.label for jump in jumps[:3])
        more = f" and {len(jumps) - 3:,} more" if len(jumps) > 3 else ""
        return f"f jumps at {where}{more}: no derivative exists there; pick a point off the jump"
    if not reference.confirmed:
        return f"the reference could not be confirmed: {reference.confirmation}"
    where = ", ".join(point.flat.describe(i) for i in sorted(unsure)[:3])
    more = f" and {len(unsure) - 3:,} more" if len(unsure) > 3 else ""
    return (
        f"no confirmed reference value at {where}{more}: the reference is not a number there, "
        "or one-sided differences dispute it (see the notes)"
    )
