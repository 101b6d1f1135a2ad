"""What is shown about x0 (`--at X0`): f(x0), each method's number there, and the secants.

Where f' exists, each method's f'(x0) and the secants (f(x0+dx) - f(x0))/dx closing in on it,
their error falling until round-off takes over. Where it does not (the course's |x| at 0), the
block says so first, with the two one-sided slopes of a corner; each method's number there is
labelled as that method's convention, and the secants come from both sides, each side measured
against its own slope (a corner) or against nothing, with the reason (a jump, an infinite
slope): never an error against a derivative that does not exist, never a "closest" to it.
Plain text (the terminal, the CLI) and HTML (a notebook) say the same.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from diffmagic.analysis.at_point import AtPoint
    from diffmagic.results.comparison import Comparison

Secant = tuple[float, float, float | None]

#: Why secants at such a point are listed with no error column.
NO_SLOPE = {
    "jump": (
        "f jumps at x0, so there is no slope for them to approach: across the jump they grow "
        "without bound as dx shrinks"
    ),
    "cusp": "f's slope is infinite at x0: they grow without bound as dx shrinks",
    "vertical tangent": "f's slope is infinite at x0: they grow without bound as dx shrinks",
}
SMOOTH_INTRO = (
    "secants (f(x0+dx) - f(x0))/dx; <- the closest; * round-off has taken over "
    "(the error grows again as dx shrinks)"
)
SMOOTH_HTML_INTRO = (
    "secants through x0 and x0 + dx: their slopes tend to the derivative until round-off takes "
    "over (bold: the closest; *: round-off has taken over)"
)


def tangent_bundle(comparison: Comparison, point: AtPoint) -> dict[str, str]:
    """Each method's number at x0, then the secants (f(x0+dx) - f(x0))/dx closing in on it."""
    lines, parts = _values(comparison, point)
    for intro, rows in _secant_groups(point):
        group_lines, group_html = _secant_rows(rows)
        said = SMOOTH_HTML_INTRO if intro == SMOOTH_INTRO else intro
        if intro != SMOOTH_INTRO and any(secant_marks([error for _, _, error in rows])):
            intro += "; <- the closest; * round-off has taken over"
            said += " (bold: the closest; *: round-off has taken over)"
        lines.append(f"  {intro}")
        lines.extend(group_lines)
        parts.append(f"<p>{html.escape(said)}</p>{group_html}")
    return {"text/html": "".join(parts), "text/plain": "\n".join(lines)}


def _values(comparison: Comparison, point: AtPoint) -> tuple[list[str], list[str]]:
    """The title, why f' does not exist at x0 (where it does not), and each method's number."""
    x0, f0, slopes, missing = point.x0, point.f0, point.slopes, point.missing
    name = comparison.derivative_name
    function = comparison.target.name
    if f0 is not None:
        title = f"at x0 = {x0:g}: {function}(x0) = {f0:.10g}"
    elif missing is not None and missing.kind == "undefined":
        title = f"at x0 = {x0:g}: {function}(x0) has no value"
    else:
        title = f"at x0 = {x0:g}"
    rows = [
        (r.label, "—" if slopes.get(r.key) is None else f"{slopes[r.key]:.15g}") for r in comparison
    ]
    if missing is None:
        lines = [title, *(f"  {label:<28} {name}(x0) = {value}" for label, value in rows)]
        said = [title]
        column = f"{name}(x0)"
    else:
        sentence = missing.describe(comparison, x0)
        if missing.kind == "undefined":
            sentence += ": no tangent, and no secant through (x0, f(x0))"
        convention = (
            f"each method's number at x0 is its own convention there, not a slope of {function}"
        )
        lines = [title, f"  {sentence}", f"  {convention}:"]
        lines += [f"  {label:<28} returns {value}" for label, value in rows]
        said = [title, sentence, convention]
        column = "returns at x0 (its convention)"
    table = "".join(f"<tr><td>{html.escape(a)}</td><td>{b}</td></tr>" for a, b in rows)
    parts = [
        "".join(f"<p>{html.escape(text)}</p>" for text in said) + "<table class='diffmagic-table'>"
        f"<tr><th>method</th><th>{html.escape(column)}</th></tr>{table}</table>"
    ]
    return lines, parts


def _secant_groups(point: AtPoint) -> list[tuple[str, list[Secant]]]:
    """(what the rows are and what they are measured against, the rows) for each side."""
    right = [row for row in point.secants if row[0] > 0]
    left = [row for row in point.secants if row[0] < 0]
    missing = point.missing
    if missing is None:
        return [(SMOOTH_INTRO, point.secants)] if point.secants else []
    if not point.secants:
        return []
    if missing.slopes is None:
        why = NO_SLOPE.get(missing.kind, "no slope exists at x0 for them to approach")
        return [
            (f"secants (f(x0+dx) - f(x0))/dx from each side, with no error: {why}", right + left)
        ]
    slope_left, slope_right = missing.slopes
    right_intro = "secants from the right (dx > 0), against the slope from the right, "
    right_intro += f"{slope_right:.6g}"
    left_intro = (
        f"secants from the left (dx < 0), against the slope from the left, {slope_left:.6g}"
    )
    return [(right_intro, right), (left_intro, left)]


def _secant_rows(secants: list[Secant]) -> tuple[list[str], str]:
    """The rows as text lines and as an HTML table; an error column only where there are errors."""
    with_errors = any(error is not None for _, _, error in secants)
    marks = secant_marks([error for _, _, error in secants])
    lines, rows = [], []
    for (dx, slope, error), mark in zip(secants, marks, strict=True):
        slope += 0.0  # (0 - 0) / -dx is -0.0: shown as 0
        if not with_errors:
            lines.append(f"    dx={dx:<8.0e} slope={slope:.15g}")
            rows.append(f"<tr><td>{dx:.0e}</td><td>{slope:.15g}</td></tr>")
            continue
        shown = "—" if error is None else f"{error:.1e}"
        suffix = {"closest": " <- closest", "round-off": " *"}.get(mark, "")
        lines.append(f"    dx={dx:<8.0e} slope={slope:<22.15g} error={shown}{suffix}")
        weight = " style='font-weight:bold'" if mark == "closest" else ""
        words = {"closest": "closest", "round-off": "* round-off"}.get(mark, "")
        rows.append(
            f"<tr{weight}><td>{dx:.0e}</td><td>{slope:.15g}</td><td>{shown}</td>"
            f"<td>{words}</td></tr>"
        )
    header = "<tr><th>dx</th><th>slope</th>"
    header += "<th>error</th><th></th></tr>" if with_errors else "</tr>"
    return lines, f"<table class='diffmagic-table'>{header}{''.join(rows)}</table>"


def secant_marks(errors: list[float | None]) -> list[str]:
    """ "closest" for the smallest error, "round-off" for each smaller dx whose error is larger.

    Widths shrink down the list. Down to the closest secant the error is truncation, falling
    with dx; below it, cancellation in f(x0 + dx) - f(x0) makes it grow: round-off has taken
    over. An empty string for the rows before the closest (and rows without an error); no
    marks at all when every error is the same (|x| from one side: every secant is exact).
    """
    finite = [(i, e) for i, e in enumerate(errors) if e is not None and np.isfinite(e)]
    marks = [""] * len(errors)
    if not finite or (len(finite) > 1 and len({e for _, e in finite}) == 1):
        return marks
    best_index, best = min(finite, key=lambda pair: pair[1])
    marks[best_index] = "closest"
    for index, error in finite:
        if index > best_index and error > best:
            marks[index] = "round-off"
    return marks
