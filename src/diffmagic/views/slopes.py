"""The panel's table of slopes at x0: each method's f'(x0), the secant's, the quotient's."""

from __future__ import annotations

import html
import math


def slopes_html(x0: float, derivative_name: str, slopes: dict[str, float | None]) -> str:
    """An HTML table of `slopes` by label; a dash where a method has no finite value."""
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>"
        f"{'—' if value is None or not math.isfinite(value) else f'{value:.12g}'}</td></tr>"
        for label, value in slopes.items()
    )
    return (
        f"<table class='diffmagic-table'><tr><th>slope at x0 = {x0:.4g}</th>"
        f"<th>{html.escape(derivative_name)}(x0)</th></tr>{rows}</table>"
    )


def slopes_text(slopes: dict[str, float | None]) -> str:
    """The same slopes as plain text, a line each."""
    return "\n".join(f"{label}: {value}" for label, value in slopes.items())
