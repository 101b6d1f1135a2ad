"""Difference quotients with a step the user chooses: what the course's limit definition means.

`(f(x + h) - f(x)) / h` tends to f'(x) as h shrinks, until round-off takes over: in float64 the
best forward step is near eps**(1/2), the best central step near eps**(1/3). These functions
compute the quotients in float32 or float64 so a learner can watch both errors trade places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SCHEMES = ("central", "forward", "backward")
DTYPES = {"float64": np.float64, "float32": np.float32}

#: Secant widths listed by default: 1, 0.1, ... 1e-15.
SECANT_WIDTHS = tuple(10.0**-k for k in range(16))


def difference_quotient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    step: float,
    scheme: str = "central",
    dtype: str = "float64",
) -> np.ndarray:
    """f' by one difference quotient of step `step`, computed in `dtype` throughout."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    kind = DTYPES[dtype]
    x = np.asarray(x, dtype=kind)
    h = kind(step)
    with np.errstate(all="ignore"):
        if scheme == "forward":
            values = (_in(f, x + h, kind) - _in(f, x, kind)) / h
        elif scheme == "backward":
            values = (_in(f, x, kind) - _in(f, x - h, kind)) / h
        else:
            values = (_in(f, x + h, kind) - _in(f, x - h, kind)) / (kind(2) * h)
    return values.astype(np.float64)


def _in(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, kind: type) -> np.ndarray:
    """f(x) rounded to `kind`, as if f had been computed in that precision."""
    return np.asarray(f(x)).astype(kind)


def secant_slopes(
    f: Callable[[np.ndarray], np.ndarray],
    x0: float,
    widths: tuple[float, ...] = SECANT_WIDTHS,
) -> list[tuple[float, float]]:
    """(dx, (f(x0 + dx) - f(x0)) / dx) for each width: the secants that tend to the tangent."""
    dx = np.asarray(widths, dtype=np.float64)
    with np.errstate(all="ignore"):
        values = np.asarray(f(np.concatenate(([x0], x0 + dx))), dtype=np.float64)
        slopes = (values[1:] - values[0]) / dx
    return [(float(d), float(s)) for d, s in zip(dx, slopes, strict=True)]


@dataclass
class StepStudy:
    """The error of difference quotients at x0 against the step h, per scheme and precision.

    Numbers only: `Comparison.step_study` hands back a `results.steps.StepStudyResult`, whose
    `figure()` draws them (`views.step_figure`).
    """

    x0: float
    exact: float
    steps: np.ndarray
    errors: dict[str, np.ndarray] = field(default_factory=dict)

    def best_step(self, label: str) -> float:
        """The step with the smallest error for `label` ("central float64", ...)."""
        errors = np.where(np.isfinite(self.errors[label]), self.errors[label], np.inf)
        return float(self.steps[int(np.argmin(errors))])

    @staticmethod
    def textbook_step(scheme: str, dtype: str) -> float:
        """eps**(1/2) for one-sided quotients, eps**(1/3) for central ones."""
        eps = float(np.finfo(DTYPES[dtype]).eps)
        return eps ** (1 / 3) if scheme == "central" else eps ** (1 / 2)

    def summary(self) -> list[str]:
        lines = []
        for label in self.errors:
            scheme, dtype = label.split()
            best = self.best_step(label)
            textbook = self.textbook_step(scheme, dtype)
            error = float(np.nanmin(self.errors[label]))
            lines.append(
                f"{label}: best h = {best:.1e} (error {error:.1e}); textbook {textbook:.1e}"
            )
        return lines


def step_study(
    f: Callable[[np.ndarray], np.ndarray],
    x0: float,
    exact: float,
    steps: np.ndarray | None = None,
    schemes: tuple[str, ...] = ("forward", "central"),
    dtypes: tuple[str, ...] = ("float64", "float32"),
) -> StepStudy:
    """Errors of each scheme in each precision at x0, for steps from 1e-16 to 1."""
    hs = np.logspace(-16, 0, 65) if steps is None else np.asarray(steps, dtype=np.float64)
    study = StepStudy(x0=x0, exact=exact, steps=hs)
    point = np.array([x0])
    for scheme in schemes:
        for dtype in dtypes:
            values = np.array([difference_quotient(f, point, h, scheme, dtype)[0] for h in hs])
            study.errors[f"{scheme} {dtype}"] = np.abs(values - exact)
    return study


def secant_table(
    f: Callable[[np.ndarray], np.ndarray],
    x0: float,
    exact: float | None,
    widths: tuple[float, ...] = SECANT_WIDTHS,
) -> list[tuple[float, float, float | None]]:
    """(dx, secant slope, |slope - exact|) for dx = 1, 0.1, ... 1e-15 (or `widths`; negative
    ones are secants from the left); `exact` is f'(x0), or one side's slope at a corner."""
    return [
        (dx, slope, None if exact is None else float(abs(slope - exact)))
        for dx, slope in secant_slopes(f, x0, widths)
    ]
