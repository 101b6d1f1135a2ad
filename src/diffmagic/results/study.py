"""The outcome of `parameter_study()`: one gradient's cost against n, per method."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class ParameterStudy:
    """Seconds of one gradient per method and size, with f's own seconds at each size."""

    def __init__(self, name: str, sizes: list[int], methods: tuple[str, ...], budget_s: float):
        self.name = name
        self.sizes = sizes
        #: Seconds of one warm gradient, aligned with `sizes`; None where not measured.
        self.seconds: dict[str, list[float | None]] = {m: [None] * len(sizes) for m in methods}
        #: Setup (SymPy's derivation, JAX's compile) per size, apart from `seconds`.
        self.setup_seconds: dict[str, list[float | None]] = {
            m: [None] * len(sizes) for m in methods
        }
        self.f_seconds: list[float | None] = [None] * len(sizes)
        self.time_budget_s = budget_s
        #: Why each method stopped early, if it did.
        self.stopped: dict[str, str] = {}
        self.notes: list[str] = []
        self.interrupted = False
        self.elapsed_s = 0.0

    @property
    def slopes(self) -> dict[str, float | None]:
        """The fitted log-log slope of (seconds / f_seconds) against n, per method (None with
        fewer than two measured sizes)."""
        found: dict[str, float | None] = {}
        for key, seconds in self.seconds.items():
            points = [
                (math.log(n), math.log(s / f))
                for n, s, f in zip(self.sizes, seconds, self.f_seconds, strict=True)
                if s is not None and f and s > 0
            ]
            if len({x for x, _ in points}) < 2:
                found[key] = None
                continue
            xs, ys = np.array(points).T
            found[key] = float(np.polyfit(xs, ys, 1)[0])
        return found

    @property
    def failures(self) -> dict[str, str]:
        """Methods that measured no size at all, with the reason they stopped."""
        return {
            key: self.stopped.get(key, "not measured")
            for key, seconds in self.seconds.items()
            if all(s is None for s in seconds)
        }

    def cost_in_f(self, key: str) -> list[float | None]:
        """One gradient by method `key` as a multiple of one f, at each size.

        Parameters
        ----------
        key : str
            A method's key, as `seconds` has it ("reverse", "symbolic", ...).

        Returns
        -------
        list of float or None
            Aligned with `sizes`; None where the method or f was not measured.
        """
        return [
            None if s is None or not f else s / f
            for s, f in zip(self.seconds[key], self.f_seconds, strict=True)
        ]

    def caption(self) -> str:
        """One line: what was measured, over which sizes, the budget and the time it took."""
        return (
            f"parameter study of {self.name}: one gradient as a multiple of one f, "
            f"n = {self.sizes[0]:,} to {self.sizes[-1]:,} (budget {self.time_budget_s:g} s "
            f"per method, {self.elapsed_s:.1f} s in all)"
        )

    def figure(self) -> Any:
        """A matplotlib Figure: each method's cost in f against n, log-log, with its slope."""
        from diffmagic.views.gradients import study_figure

        return study_figure(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary: sizes, seconds per method, slopes, why methods stopped."""
        return {
            "kind": "parameter_study",
            "function": self.name,
            "sizes": list(self.sizes),
            "f_seconds": list(self.f_seconds),
            "seconds": {k: list(v) for k, v in self.seconds.items()},
            "setup_seconds": {k: list(v) for k, v in self.setup_seconds.items()},
            "slopes": self.slopes,
            "stopped": dict(self.stopped),
            "notes": list(self.notes),
            "interrupted": self.interrupted,
            "time_budget_s": self.time_budget_s,
            "elapsed_s": self.elapsed_s,
        }

    def _repr_html_(self) -> str:
        from diffmagic.views.gradients import study_html

        return study_html(self)

    def __str__(self) -> str:
        from diffmagic.views.gradients import study_text

        return study_text(self)

    __repr__ = __str__
