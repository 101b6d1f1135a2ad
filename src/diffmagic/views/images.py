"""A drawn figure as bytes and as a MIME bundle: what every front end and every figure shows.

PNG or SVG, an `<img>` with alt text that says what the figure shows (JupyterLab's own image
renderer and nbconvert's lab template give a bare PNG no alt text at all), and the alt text as
the `text/plain` twin a terminal prints. Light to import: matplotlib is only used through the
figure handed over.
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from diffmagic.limits.explain import one_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: MIME type of each figure format the notebook can show.
IMAGE_MIME = {"png": "image/png", "svg": "image/svg+xml"}


def figure_bytes(figure: Figure, fmt: str = "png", dpi: int = 100) -> bytes:
    """The figure encoded as PNG, SVG or PDF."""
    buffer = io.BytesIO()
    # Ticks of a symmetric-log axis near float64's limit overflow harmlessly while drawn.
    with np.errstate(over="ignore"):
        figure.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def image_bundle(figure: Any, alt: str, fmt: str = "png") -> dict[str, Any]:
    """A figure as PNG (or SVG), an `<img>` with `alt` for HTML, and `alt` as its text twin."""
    try:
        data = figure_bytes(figure, fmt)
    except Exception as error:
        # A figure that cannot be drawn must not take the table, which says why, down with it.
        return {"text/plain": f"<no figure: {one_line(error, 120)}>"}
    mime = IMAGE_MIME[fmt]
    encoded = base64.b64encode(data).decode("ascii")
    return {
        mime: data.decode("utf-8") if fmt == "svg" else encoded,
        "text/html": image_html(encoded, alt, mime),
        "text/plain": f"<figure: {alt}>",
    }


def image_html(encoded: str, alt: str, mime: str = "image/png") -> str:
    """An embedded image with its alt text; the figure's own white background reads anywhere."""
    return (
        f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{encoded}" '
        'style="max-width:100%;height:auto">'
    )
