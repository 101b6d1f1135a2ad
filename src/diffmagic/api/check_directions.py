"""Directions mode: your gradient along random directions (g·v), when asked for or when nothing
cheaper than 2n calls of f gives a reference per coordinate (no JAX, many parameters).

A directional derivative cannot say which coordinate is wrong, so once a direction disagrees
the wrong coordinates are located all the same: from the confirmed reference gradient when
there is one, else by halving blocks of coordinates (yours along the block's part of the
direction against differences of f along it), a few calls of f per level.
"""

from __future__ import annotations

import numpy as np

from diffmagic.analysis.check_reference import CENTRAL, INFORMATIVE, Reference, gradient_scale
from diffmagic.analysis.check_verdict import (
    compare,
    default_atol,
    default_rtol,
    finite,
    largest,
    status,
)
from diffmagic.analysis.kinks import Jump, probe_kink
from diffmagic.methods.directional import Estimate, along, norm
from diffmagic.results.check import GradientCheck
from diffmagic.running.check_inputs import Options, Point, UserCodeFailure

#: Wrong coordinates located at most (each costs about 12 log2(n) calls of f without JAX).
LOCATED = 5
ALONG_DIRECTIONS = "central differences along each direction (Richardson, two step sizes)"


def _directions(point: Point, count: int) -> np.ndarray:
    vectors = point.rng.standard_normal((count, point.flat.size))
    vectors /= np.sqrt(np.sum(np.square(vectors), axis=1, keepdims=True))
    return vectors


def _both(point: Point, direction: np.ndarray) -> Estimate:
    """The derivative along `direction`; its error covers both Richardson sequences' gap."""
    return point.run(
        lambda: along(point.of_flat, point.flat.values, direction, 0.0, point.widths["f"])
    )


def _reference_along(
    point: Point, reference: Reference | None, vectors: np.ndarray
) -> tuple[np.ndarray, str, str, bool, str | None]:
    """(reference g·v per direction, its name, what confirms it, confirmed, note)."""
    if reference is not None and reference.confirmed and reference.values is not None:
        values = vectors @ finite(reference.values)
        return values, reference.name, reference.confirmation, True, reference.note
    estimates = [_both(point, v) for v in vectors]
    values = np.array([e.value for e in estimates])
    scale = max(gradient_scale(values, point.f0), 1e-300)
    worst = max(e.error for e in estimates)
    confirmed = worst <= INFORMATIVE * scale
    words = (
        f"each direction's two step sequences agree (to {worst / scale:.0e})"
        if confirmed
        else f"central differences cannot tell (error {worst:.2g} beside {scale:.2g})"
    )
    note = "; ".join(point.passed_over) or None
    return values, ALONG_DIRECTIONS, words, confirmed, note


def _locate_from(reference: Reference, point: Point, rtol: float) -> str | None:
    """The worst coordinates by the confirmed reference gradient, in words."""
    values = reference.values
    assert values is not None
    atol = default_atol(rtol, largest(values), point.f0)
    error, _, wrong = compare(point.yours, values, rtol, atol)
    if wrong.size == 0:
        return None
    ranked = wrong[np.argsort(-error[wrong], kind="stable")][:LOCATED]
    places = ", ".join(
        f"{point.flat.describe(int(i))} (yours {point.yours[i]:.6g}, reference {values[i]:.6g})"
        for i in ranked
    )
    more = f" and {wrong.size - ranked.size:,} more" if wrong.size > ranked.size else ""
    return f"located with {reference.name}'s full gradient: {places}{more}"


def _locate_by_blocks(point: Point, rtol: float) -> str | None:
    """Wrong coordinates found by halving blocks along which yours and f's differences
    disagree (at most LOCATED of them), in words; None if no block disagrees."""
    base = point.rng.standard_normal(point.flat.size)
    found: list[int] = []
    blocks = [np.arange(point.flat.size)]
    while blocks and len(found) < LOCATED:
        block = blocks.pop()
        part = np.zeros_like(base)
        part[block] = base[block]
        estimate = _both(point, part)
        claimed = float(point.yours @ part)
        slack = rtol * norm(point.yours[block]) * norm(part)
        if estimate.agrees(claimed, slack):
            continue
        if block.size == 1:
            found.append(int(block[0]))
            continue
        middle = block.size // 2
        blocks.extend([block[middle:], block[:middle]])
    if not found:
        return None
    return "located by halving blocks of coordinates (central differences along each): " + (
        ", ".join(point.flat.describe(i) for i in found)
    )


def _kink_notes(
    point: Point, vectors: np.ndarray, failing: np.ndarray, yours: np.ndarray, allowed: np.ndarray
) -> list[str]:
    """Along a direction through kinks a wrong gradient lies between the two slopes as easily
    as a right one: said in words, never taken as a pass."""
    notes = []
    for index in failing[:3]:
        outcome = point.run(
            lambda i=int(index): probe_kink(
                point.of_flat,
                point.flat.values,
                vectors[i],
                i,
                f"direction {i}",
                point.f0,
                2.2e-16,
                float(yours[i]),
                float("nan"),
                float(allowed[i]),
                0.0,
            )
        )
        if outcome is not None and outcome[0] == "kink":
            kink = outcome[1]
            side = "lies" if kink.passed else "does not lie"
            notes.append(
                f"{kink.label}: f has a kink along it (one-sided slopes {kink.left:.6g} and "
                f"{kink.right:.6g}); yours {kink.yours:.6g} {side} between them, which along a "
                "direction proves nothing — mode='full' checks each coordinate"
            )
    return notes


def directions_check(
    point: Point, reference: Reference | None, options: Options, count: int, jumps: list[Jump]
) -> GradientCheck:
    """g·v against the reference along `count` random directions; wrong coordinates located."""
    vectors = _directions(point, count)
    yours = vectors @ point.yours
    values, name, confirmation, confirmed, note = _reference_along(point, reference, vectors)
    numerical = name == ALONG_DIRECTIONS or (reference is not None and reference.name == CENTRAL)
    rtol, precision, tolerance_note = default_rtol(point.widths, numerical)
    if options.rtol is not None:
        rtol, tolerance_note = options.rtol, f"rtol {options.rtol:.0e} as given"
    rms = float(np.sqrt(np.mean(values**2)))
    atol = options.atol if options.atol is not None else default_atol(rtol, rms, point.f0)
    given = options.atol is not None
    tolerance_note += f", atol {atol:.2g}" + (" as given" if given else " (rtol × rms |g·v|)")
    error, allowed, failing = compare(yours, values, rtol, atol)
    notes = [str(jump) for jump in jumps]
    wrong = failing[np.argsort(-error[failing], kind="stable")] if confirmed else failing[:0]
    if wrong.size:
        try:
            notes += _kink_notes(point, vectors, wrong, yours, allowed)
            located = (
                _locate_from(reference, point, rtol)
                if reference is not None and reference.confirmed
                else _locate_by_blocks(point, rtol)
            )
        except UserCodeFailure as failure:
            if failure.timed_out:
                raise
            located = None
        notes += [located] if located else []
    verdict = status(wrong.size, not confirmed, len(jumps))
    reason = None
    if verdict == "failed":
        reason = (
            f"f jumps at {jumps[0].label}: no derivative exists there"
            if jumps
            else f"the reference could not be confirmed: {confirmation}"
        )
    return GradientCheck(
        mode="directions",
        flat=point.flat,
        yours=yours,
        reference=values,
        error=error,
        tolerance=allowed,
        reference_name=name,
        reference_note=note,
        confirmation=confirmation,
        rtol=rtol,
        atol=atol,
        tolerance_note=tolerance_note,
        precision=precision,
        relative_difference=_relative(yours, values),
        status=verdict,
        wrong=wrong,
        reason=reason,
        jumps=jumps,
        unconfirmed=np.arange(count) if not confirmed else np.empty(0, dtype=int),
        notes=notes,
        directions=vectors,
    )


def _relative(yours: np.ndarray, values: np.ndarray) -> float:
    denominator = norm(yours) + norm(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = norm(yours - values) / denominator if denominator else 0.0
    return relative if np.isfinite(relative) else float("inf")
