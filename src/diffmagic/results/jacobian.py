"""The outcome of `compare_jacobian()`: a row per method, and which mode was cheaper here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diffmagic.results.point import JacobianResult, MethodTable

if TYPE_CHECKING:
    from diffmagic.analysis.exact_gradient import ExactJacobian
    from diffmagic.inputs.pytree import Flat


class JacobianComparison(MethodTable[JacobianResult]):
    """The outcome of `compare_jacobian()`; index by method, display for the table."""

    def __init__(
        self,
        *,
        name: str,
        at: Any,
        flat: Flat,
        shape: tuple[int, int],
        f_seconds: float,
        results: dict[str, JacobianResult],
        reference: str,
        exact: ExactJacobian | None,
        notes: list[str],
    ) -> None:
        self.name = name
        self.at = at
        self.flat = flat
        #: (m, n): outputs by inputs.
        self.shape = shape
        self.f_seconds = f_seconds
        self.results = results
        self.reference = reference
        self.exact = exact
        self.notes = notes

    @property
    def cheaper_mode(self) -> str | None:
        """ "forward" or "reverse", whichever took less time here (None if either failed)."""
        forward, reverse = self.results.get("forward"), self.results.get("reverse")
        if not (forward and reverse and forward.ok and reverse.ok):
            return None
        assert forward.timing is not None and reverse.timing is not None
        return "forward" if forward.timing.eval_s <= reverse.timing.eval_s else "reverse"

    @property
    def verdict(self) -> str:
        """One line: which mode was cheaper here, and whether the shape predicts it (forward
        needs n JVPs, reverse m VJPs)."""
        m, n = self.shape
        shape = "tall (m > n)" if m > n else "wide (n > m)" if n > m else "square"
        cheaper = self.cheaper_mode
        if cheaper is None:
            return f"shape {m} x {n}, {shape}: forward and reverse were not both measured"
        forward = self.results["forward"].timing
        reverse = self.results["reverse"].timing
        assert forward is not None and reverse is not None
        ratio = max(forward.eval_s, reverse.eval_s) / max(
            min(forward.eval_s, reverse.eval_s), 1e-12
        )
        expected = "forward" if m > n else "reverse" if n > m else "either"
        agrees = "as the shape predicts" if expected in (cheaper, "either") else "against the shape"
        return (
            f"measured: {cheaper} mode is {ratio:.2g}x cheaper for this {shape} Jacobian "
            f"({agrees}: forward needs n = {n:,} JVPs, reverse m = {m:,} VJPs)"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary: f, the shape, the reference, the verdict, each row."""
        return {
            "kind": "jacobian",
            "function": self.name,
            "shape": list(self.shape),
            "f_seconds": self.f_seconds,
            "reference": self.reference,
            "cheaper_mode": self.cheaper_mode,
            "verdict": self.verdict,
            "notes": list(self.notes),
            "methods": {key: row.to_dict() for key, row in self.results.items()},
        }

    def _repr_html_(self) -> str:
        from diffmagic.views.gradients import jacobian_html

        return jacobian_html(self)

    def __str__(self) -> str:
        from diffmagic.views.gradients import jacobian_text

        return jacobian_text(self)
