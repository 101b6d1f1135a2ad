"""The outcome of `compare_gradient()`: a row per method, the reference, f's own cost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.methods import gradients as gradient_methods
from diffmagic.results.jsonable import finite_or_none
from diffmagic.results.point import GradientResult, MethodTable

if TYPE_CHECKING:
    from diffmagic.analysis.exact_gradient import ExactGradient
    from diffmagic.inputs.pytree import Flat


class GradientComparison(MethodTable[GradientResult]):
    """The outcome of `compare_gradient()`: one row per method, the reference, f's cost.

    Index it by method (`g["reverse"]`, or an alias: `g["jax"]`, `g["automatic"]`); display it
    in a notebook for the table, `print(g)` for text, `g.figure()` for the error per coordinate.
    """

    def __init__(
        self,
        *,
        name: str,
        at: Any,
        flat: Flat,
        f_value: float,
        f_seconds: float,
        results: dict[str, GradientResult],
        reference: str,
        reference_values: np.ndarray | None,
        exact: ExactGradient | None,
        notes: list[str],
    ) -> None:
        self.name = name
        #: The point, as given.
        self.at = at
        self.flat = flat
        self.f_value = f_value
        #: One evaluation of f at `at` under NumPy, measured in the same run.
        self.f_seconds = f_seconds
        self.results = results
        #: Which method the errors are measured against, in words.
        self.reference = reference
        self.reference_values = reference_values
        self.exact = exact
        self.notes = notes

    @property
    def size(self) -> int:
        """The number of parameters: the length of the gradient."""
        return self.flat.size

    @property
    def exact_reference(self) -> bool:
        """True when errors are measured against SymPy's exact gradient (30 digits)."""
        return self.exact is not None and self.reference_values is self.exact.values

    def __contains__(self, name: object) -> bool:
        try:
            return gradient_methods.method_key(name) in self.results
        except DiffMagicError:
            return False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary: f, the point's shapes, the reference, a dict per row."""
        return {
            "kind": "gradient",
            "function": self.name,
            "parameters": self.size,
            "shapes": self.flat.shape_text(),
            "f_value": finite_or_none(self.f_value),
            "f_seconds": self.f_seconds,
            "reference": self.reference,
            "exact_reference": self.exact_reference,
            "symbolic_ops": None if self.exact is None else self.exact.expr_ops,
            "notes": list(self.notes),
            "methods": {key: row.to_dict() for key, row in self.results.items()},
        }

    def figure(self) -> Any:
        """A matplotlib Figure: each method's absolute error per coordinate (log scale)."""
        from diffmagic.views.gradients import gradient_figure

        return gradient_figure(self)

    def _repr_html_(self) -> str:
        from diffmagic.views.gradients import gradient_html

        return gradient_html(self)

    def __str__(self) -> str:
        from diffmagic.views.gradients import gradient_text

        return gradient_text(self)
