"""The reference of a comparison on a grid: exact, or a stand-in confirmed by a witness.

The steps of `pipeline.Comparer` that decide what every row is measured against, kept apart so
each module stays short: SymPy's f' at 30 digits (with limits from both sides where its closed
form has no value), SymPy's f read at 30 digits when its float64 evaluation loses digits, the
scale floor, and the choice itself (`reference_choice.choose_reference`), with a witness
computed on a few points when no row of the table can confirm a stand-in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffmagic.analysis import fidelity, grid_verdicts, reference, singular, verdicts
from diffmagic.analysis.reference_choice import choose_reference
from diffmagic.limits.guard import Failure
from diffmagic.methods import ROWS
from diffmagic.methods.base import Prepared
from diffmagic.methods.precision import resolvable
from diffmagic.results.method_result import MethodResult
from diffmagic.running.bounded import bounded_outcome, on_grid

#: Grid points a witness (a method not asked for, run to confirm a stand-in) is evaluated at.
WITNESS_POINTS = 41
#: Points whose f is read again at 30 digits, at most (evenly spread over those that differ).
MAX_RECHECKED_POINTS = 2_000


class ReferenceSteps:
    """The reference's steps of `Comparer` (which holds the attributes they read)."""

    grid: np.ndarray
    f_values: np.ndarray
    order: int
    precision: str
    target: Any
    results: dict[str, MethodResult]
    numpy_function: Any
    symbolic_seconds: float

    def _exact_reference(self, symbolic: Prepared | None) -> tuple[np.ndarray | None, str, str]:
        """(SymPy's f' at 30 digits or None, its label, why there is none), under SymPy's
        limit; where its closed form has no value but f has one, the limit from both sides."""
        if symbolic is None:
            return None, "", "SymPy cannot trace f"
        import sympy as sp

        symbol = sp.Symbol(self.target.wrt, real=True)

        def evaluate() -> np.ndarray:
            indices = reference.sample_indices(self.grid.size)
            values = reference.high_precision(symbolic.expr, symbol, self.grid, indices)
            worst = self._worst_indices(symbolic, indices)
            if worst.size:
                values[worst] = reference.high_precision(symbolic.expr, symbol, self.grid, worst)[
                    worst
                ]
                indices = np.union1d(indices, worst)
            return reference.by_limits(
                values,
                symbolic.function_expr,
                symbol,
                self.grid,
                self.f_values,
                self.order,
                evaluated=indices,
            )

        values = bounded_outcome(evaluate, "symbolic", "the exact reference", self.symbolic_seconds)
        if isinstance(values, Failure):
            why = values.reason
            return None, "", f"evaluating it at {reference.DIGITS} digits failed: {why}"
        label = f"SymPy's exact derivative evaluated with {reference.DIGITS} digits (mpmath)"
        if values.size > reference.MAX_REFERENCE_POINTS:
            label += (
                f" at {reference.MAX_REFERENCE_POINTS:,} evenly spread points of the "
                f"{values.size:,} and at the {reference.WORST_POINTS_PER_ROW} where each row is "
                "furthest from it in float64: each max error is over all the points"
            )
        return values, label, ""

    def _worst_indices(self, symbolic: Prepared, sampled: np.ndarray) -> np.ndarray:
        """Grid indices, besides `sampled`, where some row is furthest from SymPy's f' in
        float64 (`reference.worst_indices`); none on a grid the sample covers whole."""
        if sampled.size == self.grid.size:
            return np.array([], dtype=int)
        computed = self.results.get("symbolic")
        approximate = computed.values if computed is not None else None
        if approximate is None:
            try:
                approximate = np.asarray(symbolic.derivative(self.grid), dtype=np.float64)
            except Exception:  # its float64 evaluation fails: the even sample stands alone
                return np.array([], dtype=int)
        rows = [result.values for result in self.results.values()]
        return reference.worst_indices(rows, np.broadcast_to(approximate, self.grid.shape), sampled)

    def _usable(self, singularities: list[singular.Singularity]) -> np.ndarray:
        return grid_verdicts.measurable(self.f_values, self.grid, [p.x for p in singularities])

    def _floor(self) -> float:
        """The smallest f^(order) NumPy's values of f can resolve on this grid."""
        finite = self.f_values[np.isfinite(self.f_values)]
        size = float(np.max(np.abs(finite))) if finite.size else 0.0
        x_size = float(np.max(np.abs(self.grid)))
        return resolvable(size, x_size, self.order, self.precision)

    def _reference(
        self,
        exact: np.ndarray | None,
        exact_label: str,
        why_not: str,
        singularities: list[singular.Singularity],
    ) -> tuple[verdicts.Reference | None, str]:
        """The reference every row is measured against, and its label; a witness is computed
        when no row of the table can confirm a stand-in."""
        usable = self._usable(singularities)
        candidates = [
            found
            for key, result in self.results.items()
            if (found := grid_verdicts.candidate(key, result)) is not None
        ]
        choose = lambda offered: choose_reference(  # noqa: E731
            exact,
            exact_label,
            offered,
            what="derivative",
            why_not=why_not,
            usable=usable,
            floor=self._floor(),
            order=self.order,
            preference=grid_verdicts.STAND_INS,
        )
        chosen, distrust, words = choose(candidates)
        if chosen is not None and not chosen.confirmed:
            witnesses = self._witnesses(chosen.stand_in)
            if witnesses:
                chosen, distrust, words = choose(candidates + witnesses)
        if distrust is not None:
            for key in ("symbolic", "symbolic@jax"):
                if key in self.results:
                    self.results[key].ok, self.results[key].values = False, None
                    self.results[key].error = f"SymPy: {distrust}"
        if chosen is None:
            return None, f"not measured, nothing to measure against: {words}"
        return chosen, chosen.label

    def _witnesses(self, stand_in: str | None) -> list[Any]:
        """Rows not asked for, evaluated on a few grid points only to confirm a stand-in: the
        other family's method (finite differences for JAX, JAX for finite differences)."""
        wanted = "finite_difference" if stand_in == "automatic" else "automatic"
        if wanted in self.results:
            return []
        outcome = self._prepare(wanted)
        if isinstance(outcome, Failure) or self._fidelity(wanted, outcome[0]) is not None:
            return []
        sample = np.unique(np.linspace(0, self.grid.size - 1, WITNESS_POINTS).astype(int))
        values = self._for_row(
            wanted, lambda: on_grid(outcome[0].derivative, self.grid[sample], "a witness")
        )
        if isinstance(values, Failure):
            return []
        full = np.full(self.grid.shape, np.nan)
        full[sample] = values
        witness = MethodResult(key=wanted, label=ROWS[wanted].label, ok=True, values=full)
        witness.precision = self._precision_of(wanted, outcome[0])
        found = grid_verdicts.candidate(wanted, witness)
        return [] if found is None else [found]

    def _faithful_at_30_digits(self, prepared: Prepared, values: np.ndarray) -> bool:
        """True when SymPy's f, read at 30 digits where its float64 values differ from NumPy's,
        agrees with NumPy's f within NumPy's own round-off there: the formula is f, only its
        float64 evaluation loses digits (then the reference, at 30 digits, is still exact)."""
        import sympy as sp

        differ = np.flatnonzero(
            fidelity.unfaithful(values, self.f_values, precision=self.precision)
        )
        if differ.size > MAX_RECHECKED_POINTS:
            differ = differ[np.linspace(0, differ.size - 1, MAX_RECHECKED_POINTS).astype(int)]
        points = self.grid[differ]
        symbol = sp.Symbol(self.target.wrt, real=True)
        exact = reference.high_precision(prepared.function_expr, symbol, points)
        noise = fidelity.float64_noise(self.numpy_function, points)
        numpy_values = self.f_values[differ]
        return not np.any(
            fidelity.unfaithful(exact, numpy_values, precision=self.precision, noise=noise)
        )
