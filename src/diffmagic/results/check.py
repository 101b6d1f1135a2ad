"""The outcome of a gradient check, and how it reads: the verdict in words, the table, HTML.

Apart from `diffmagic.api.check`, which computes it: how a check reads changes without touching how
it is made, and what shows one (the figure, `assert_gradient`'s message) needs only this type,
not the machinery that chose the reference and probed the kinks.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.analysis.kinks import Jump, KinkTable
from diffmagic.errors import DiffMagicError
from diffmagic.views.tables import aligned_table, html_row

if TYPE_CHECKING:
    from diffmagic.inputs.pytree import Flat

#: Coordinates listed in the table.
WORST_SHOWN = 8
#: Kinks and jumps described one by one below the table (the rest are counted).
LISTED = 8


@dataclass
class GradientCheck:
    """The user's gradient against the reference, per coordinate (or per random direction).

    In full mode `yours`, `reference` and `error` hold one entry per flat coordinate (in the
    order of `flat`); in directions mode one per random direction (the directional derivatives
    g·v), and `worst` is None: directions cannot say which coordinate is wrong.

    `status` is "ok" (passed), "wrong" (yours is off where a confirmed reference holds) or
    "failed" (no verdict: `reason` says why: the reference could not be confirmed, or f jumps
    at the point and has no gradient there).
    """

    mode: str
    flat: Flat
    yours: np.ndarray
    reference: np.ndarray
    error: np.ndarray
    tolerance: np.ndarray
    reference_name: str
    reference_note: str | None
    #: What vouches for the reference (or why nothing does).
    confirmation: str
    rtol: float
    atol: float
    tolerance_note: str
    #: The float width the check was judged at: "float64", "float32", "float16", "bfloat16".
    precision: str
    relative_difference: float
    status: str
    wrong: np.ndarray
    reason: str | None = None
    kinks: KinkTable = field(default_factory=lambda: KinkTable(*(np.empty(0),) * 5, describe=str))
    jumps: list[Jump] = field(default_factory=list)
    #: Entries where no confirmed reference value exists (no verdict there).
    unconfirmed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    notes: list[str] = field(default_factory=list)
    directions: np.ndarray | None = None

    @property
    def passed(self) -> bool:
        """True only for status "ok": never on an unconfirmed reference."""
        return self.status == "ok"

    # -- where ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of parameters."""
        return self.flat.size

    def _ranked(self) -> np.ndarray:
        """Flat indices, largest absolute error first (kinks that pass and jumps last)."""
        error = np.where(np.isfinite(self.error), self.error, np.inf)
        error = error.copy()
        error[self.kinks.indices[self.kinks.passed]] = -1.0
        if self.mode == "full":
            error[[jump.index for jump in self.jumps]] = -2.0
        return np.argsort(-error, kind="stable")

    @property
    def worst(self) -> Any:
        """Where yours is furthest off: a flat index, or (leaf key, flat index) for a pytree."""
        if self.mode != "full":
            return None
        return self.flat.location(int(self._ranked()[0]))

    @property
    def worst_few(self) -> list[Any]:
        """The next places after `worst`, in the same form (up to WORST_SHOWN - 1)."""
        if self.mode != "full":
            return []
        ranked = self._ranked()[1:WORST_SHOWN]
        return [self.flat.location(int(i)) for i in ranked if self.error[i] > 0]

    @property
    def wrong_locations(self) -> list[Any]:
        """Every failing coordinate, in the form of `worst`, worst first."""
        return [self.flat.location(int(i)) for i in self.wrong]

    def per_coordinate(self) -> dict[str, Any]:
        """{"yours", "reference", "error"}, each shaped like `at` (full mode only).

        Returns
        -------
        dict
            Your gradient, the reference and |yours - reference|, each as `at` is built (the
            same dict / list / tuple of arrays), to look at one coordinate where it lives.

        Raises
        ------
        DiffMagicError
            In directions mode: random directions compare g·v, not coordinates.
        """
        if self.mode != "full":
            raise DiffMagicError(
                "per-coordinate values need mode='full'; directions mode compares g·v only"
            )
        return {
            "yours": self.flat.unflatten(self.yours),
            "reference": self.flat.unflatten(self.reference),
            "error": self.flat.unflatten(self.error),
        }

    def label(self, index: int) -> str:
        """`W1[2, 3]` in full mode, `direction 4` in directions mode.

        Parameters
        ----------
        index : int
            A flat index into `yours`, `reference` and `error` (as `wrong` holds them).

        Returns
        -------
        str
            The coordinate as you name it in `at`, or the direction's number.

        Examples
        --------
        >>> import numpy as np, diffmagic
        >>> at = {"W": np.ones((2, 2)), "b": np.ones(2)}
        >>> def grad(p): return {"W": 2 * p["W"], "b": p["b"]}  # b's should be 0
        >>> check = diffmagic.check_gradient(lambda p: np.sum(p["W"] ** 2), grad, at)
        >>> [check.label(int(i)) for i in check.wrong]
        ['b[0]', 'b[1]']
        """
        return self.flat.describe(index) if self.mode == "full" else f"direction {index}"

    # -- words ---------------------------------------------------------------------------

    @property
    def reading(self) -> str:
        """The usual reading of the relative difference, with float32's thresholds shifted."""
        value = self.relative_difference
        # float64 with rtol 1e-7: fine below 1e-7, look closer below 1e-5, wrong above 1e-3;
        # a looser rtol (float32, central differences) shifts the lines with it.
        fine = max(self.rtol, 1e-12)
        wrong = max(1e-3, 100 * fine)
        closer = float(np.sqrt(fine * wrong))
        if not np.isfinite(value):
            return "not a number: yours or the reference holds NaN/inf"
        if value <= fine:
            return f"fine (at most {fine:.0e})"
        if value <= closer:
            return f"look closer (above {fine:.0e}, below {closer:.0e})"
        if value <= wrong:
            return f"probably wrong (above {closer:.0e})"
        return f"wrong (above {wrong:.0e})"

    def summary(self) -> str:
        """One line: passed, wrong (and where) or no verdict (and why)."""
        what = _count(self.size, "parameter")
        if self.mode != "full":
            what += f" along {_count(self.yours.size, 'random direction')}"
        if self.status == "failed":
            return f"gradient check gave NO VERDICT: {what}; {self.reason}"
        if self.passed:
            kinks = f", {len(self.kinks):,} at a kink" if len(self.kinks) else ""
            return f"gradient check passed: {what}, all within tolerance{kinks}"
        if self.mode != "full":
            return (
                f"gradient check FAILED: {what}, "
                f"{_count(self.wrong.size, 'directional derivative')} off "
                "(mode='full' says which coordinates)"
            )
        return (
            f"gradient check FAILED: {what}, {_count(self.wrong.size, 'coordinate')} wrong; "
            f"worst {self.flat.describe(int(self._ranked()[0]))}"
        )

    def _rows(self) -> list[list[str]]:
        ranked = self._ranked()[:WORST_SHOWN] if self.mode == "full" else np.argsort(-self.error)
        rows = []
        kinks = dict(zip(self.kinks.indices.tolist(), self.kinks.passed.tolist(), strict=True))
        # Jumps are coordinates; directions mode lists them below the table only.
        jumps = {jump.index for jump in self.jumps} if self.mode == "full" else set()
        unconfirmed = set(self.unconfirmed.tolist())
        for index in ranked[:WORST_SHOWN]:
            index = int(index)
            state = "ok" if self.error[index] <= self.tolerance[index] else "WRONG"
            if index in kinks:
                state = "kink, ok" if kinks[index] else "kink, WRONG"
            if index in jumps:
                state = "jump: no derivative"
            elif index in unconfirmed:
                state = "no verdict"
            rows.append(
                [
                    self.label(index),
                    f"{self.yours[index]:.10g}",
                    f"{self.reference[index]:.10g}",
                    f"{self.error[index]:.3g}",
                    state,
                ]
            )
        return rows

    def _header(self) -> list[str]:
        where = "coordinate" if self.mode == "full" else "direction"
        return [where, "yours", "reference", "abs error", "status"]

    def table(self) -> str:
        """The plain-text report: verdict, reference, tolerance, then the worst coordinates."""
        lines = [
            self.summary(),
            f"reference: {self.reference_name}"
            + (f" ({self.reference_note})" if self.reference_note else ""),
            f"confirmation: {self.confirmation}",
            f"relative difference ||g - ĝ|| / (||g|| + ||ĝ||) = {self.relative_difference:.2e}: "
            f"{self.reading}",
            f"tolerance: {self.tolerance_note}",
            "",
        ]
        lines.append(aligned_table(self._header(), self._rows()))
        lines.extend(self._listed())
        lines.extend(f"* {note}" for note in self.notes)
        return "\n".join(lines)

    def _listed(self) -> list[str]:
        """Jumps, then kinks that fail, then kinks that pass, LISTED at most; the rest counted."""
        order = np.argsort(self.kinks.passed, kind="stable")[:LISTED]  # failing kinks first
        ranked = [*self.jumps, *(self.kinks[int(i)] for i in order)][:LISTED]
        lines = [str(item) for item in ranked]
        total = len(self.jumps) + len(self.kinks)
        if total > LISTED:
            passing = int(np.count_nonzero(self.kinks.passed))
            lines.append(
                f"... and {total - LISTED:,} more ({len(self.kinks):,} kinks in all, "
                f"{passing:,} of them passing; {len(self.jumps):,} jumps)"
            )
        return lines

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        colour = (
            "var(--jp-success-color1, #2e7d32)"
            if self.passed
            else ("var(--jp-error-color1, #c62828)")
        )
        text = "var(--jp-ui-font-color1, #222)"
        head = html_row(self._header(), "th", "text-align:left")
        body = "".join(
            html_row(row, style="text-align:left;font-family:monospace") for row in self._rows()
        )
        items = [*self._listed(), *self.notes]
        extra = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
        return (
            f"<div class='diffmagic-check' style='color:{text}'>"
            f"<p style='color:{colour};font-weight:bold'>{html.escape(self.summary())}</p>"
            f"<p>reference: {html.escape(self.reference_name)}"
            + (f" ({html.escape(self.reference_note)})" if self.reference_note else "")
            + f"<br>confirmation: {html.escape(self.confirmation)}"
            + f"<br>relative difference ||g − ĝ|| / (||g|| + ||ĝ||) = "
            f"{self.relative_difference:.2e}: {html.escape(self.reading)}"
            f"<br>tolerance: {html.escape(self.tolerance_note)}</p>"
            f"<table class='diffmagic-table'>{head}{body}</table>"
            + (f"<ul>{extra}</ul>" if extra else "")
            + "</div>"
        )

    def figure(self) -> Any:
        """A matplotlib Figure: per-coordinate (or per-direction) absolute error on a log scale,
        worst ones labelled."""
        from diffmagic.views.check_figure import check_figure

        return check_figure(self)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
