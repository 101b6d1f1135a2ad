"""One row of a comparison: what a method got, how wrong it is, what it cost (`MethodResult`).

The row type of every table: `compare()`'s rows, and (as `results.point.PointResult`) the rows
of a gradient or a Jacobian. Plain data, judged once by `verdicts.judge` (`take`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.analysis import verdicts
from diffmagic.methods.base import Prepared, Work
from diffmagic.results.jsonable import finite_or_none
from diffmagic.running import timing as timing_harness


@dataclass
class MethodResult:
    """One row of the comparison: what a method got, how wrong it is, what it cost."""

    key: str
    label: str
    ok: bool
    error: str | None = None
    engine: str = ""
    values: np.ndarray | None = None
    derivative: Callable[[np.ndarray], np.ndarray] | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    timing: timing_harness.Timing | None = None
    setup_s: float | None = None
    notes: list[str] = field(default_factory=list)
    #: SymPy's derivative (symbolic row only).
    expr: Any = None
    #: What the method returns at each point where f' does not exist.
    at_singularities: dict[float, Any] = field(default_factory=dict)
    #: This row stands in as the reference (no exact derivative was available).
    is_reference: bool = False
    #: Grid points where the method gave NaN or inf although the reference is finite.
    nonfinite: int = 0
    pointwise: bool = False
    #: The derivative was prepared by an earlier call (setup_s is what it cost then).
    cached: bool = False
    #: The derivative's size in the method's unit (operations, jaxpr equations, f per point).
    work: Work | None = None
    #: What the method prepared; kept so the comparison can be timed later (the panel's button).
    prepared: Prepared | None = field(default=None, repr=False)
    #: The floating-point type this row's f computes in ("float32" for a jitted f without x64).
    precision: str = "float64"
    #: Seconds its evaluation on the grid took (sizes the quick timing of slow rows).
    grid_seconds: float | None = field(default=None, repr=False)
    #: x values where a hand-written derivative ("yours") is wrong.
    wrong_at: np.ndarray | None = field(default=None, repr=False)
    #: The notes the last timing added (timing again replaces them).
    timing_notes: list[str] = field(default_factory=list, repr=False)

    #: Where the largest error is: a flat index on a grid (a gradient or a Jacobian names the
    #: place its own way).
    worst: Any = field(default=None, repr=False)
    #: The status the verdict gave (`verdicts.judge`); None before the row is judged.
    judged: str | None = field(default=None, repr=False)

    def take(self, verdict: verdicts.Verdict) -> None:
        """The verdict's status, reason and errors, in this row (the pipeline judges each row
        once, with `verdicts.judge`).

        Parameters
        ----------
        verdict : Verdict
            What `verdicts.judge` found for this row's values.

        Returns
        -------
        None
        """
        self.ok = verdict.ok
        self.judged = verdict.status
        self.error = verdict.reason
        self.max_abs_error, self.max_rel_error = verdict.max_abs_error, verdict.max_rel_error
        self.worst = verdict.worst
        self.nonfinite = verdict.nonfinite

    @property
    def status(self) -> str:
        """ "ok" only for a derivative of NumPy's own f that is finite and within its method's
        accuracy of a reference that is exact or confirmed; otherwise the word of
        `verdicts` that says why not ("inaccurate", "reference", "no derivative", "failed"...).
        """
        if not self.ok and self.values is None:
            return verdicts.FAILED
        word = self.judged
        if word is None or (word == verdicts.OK and not self.ok):
            word = verdicts.OK if self.ok else self._not_ok_word()
        if word not in verdicts.VOUCHED:
            return word
        qualifiers = []
        if self.pointwise:
            qualifiers.append("slow fallback")
        if self.precision != "float64":
            qualifiers.append(self.precision)
        return f"{word} ({', '.join(qualifiers)})" if qualifiers else word

    def _not_ok_word(self) -> str:
        return verdicts.WRONG if self.key.startswith("yours") else verdicts.INACCURATE

    def __repr__(self) -> str:
        kind = type(self).__name__
        if not self.ok:
            return f"<{kind} {self.key}: {self.status}: {self.error}>"
        error = "—" if self.max_abs_error is None else f"{self.max_abs_error:.3g}"
        return f"<{kind} {self.key}: {self.status}, max abs error {error}>"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the row (numbers that are NaN or infinite become None)."""
        return {
            "key": self.key,
            "label": self.label,
            "ok": self.ok,
            "error": self.error,
            "engine": self.engine,
            "status": self.status,
            "precision": self.precision,
            "max_abs_error": finite_or_none(self.max_abs_error),
            "max_rel_error": finite_or_none(self.max_rel_error),
            "setup_s": self.setup_s,
            "timing": self.timing.to_dict() if self.timing else None,
            "notes": list(self.notes),
            "expr": None if self.expr is None else str(self.expr),
            "at_singularities": {
                str(point): _jsonable(value) for point, value in self.at_singularities.items()
            },
            "is_reference": self.is_reference,
            "cached": self.cached,
            "work": None if self.work is None else self.work.to_dict(),
            "nonfinite": self.nonfinite,
            "values": None if self.values is None else [finite_or_none(v) for v in self.values],
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return finite_or_none(value)
