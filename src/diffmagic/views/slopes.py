"""The panel's table of slopes at x0: each method's f'(x0), the secant's, the quotient's."""

from __future__ import annotations

import math

from diffmagic.views.tables import html_row


def _number(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.12g}"


def slopes_html(x0: float, derivative_name: str, slopes: dict[str, float | None]) -> str:
    """An HTML table of `slopes` by label; a dash where a method has no finite value."""
    header = html_row([f"slope at x0 = {x0:.4g}", f"{derivative_name}(x0)"], tag="th")
    rows = "".join(html_row([label, _number(value)]) for label, value in slopes.items())
    return f"<table class='diffmagic-table'>{header}{rows}</table>"


def slopes_text(slopes: dict[str, float | None]) -> str:
    """The same slopes as plain text, a line each."""
    return "\n".join(f"{label}: {value}" for label, value in slopes.items())
