"""The figure every `figure()` of diffmagic returns: a matplotlib Figure that shows itself.

Figures are built with `matplotlib.figure.Figure`, not `pyplot`, so nothing is registered with
a backend and nothing is shown twice. But IPython only draws a bare `Figure` after
`%matplotlib inline` has taught it how; in a fresh kernel `cmp.figure()` printed
`<Figure size 950x600 with 2 Axes>`. A `ShownFigure` is that same Figure (`savefig`, `axes`
and every use of a Figure work as before) with its own `_repr_mimebundle_`: PNG, an `<img>`
with its alt text, and the alt text for a terminal, in any frontend and with any backend.

Imports matplotlib: import this module inside the function that draws, never at the top of a
module a front end imports.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from diffmagic.views.images import image_bundle

#: What a figure says of itself when whoever drew it gave no words.
DEFAULT_ALT = "a diffmagic figure"


class ShownFigure(Figure):
    """A matplotlib Figure that displays itself as PNG with its alt text (`diffmagic_alt`)."""

    def __init__(self, *args: Any, alt: str = DEFAULT_ALT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.diffmagic_alt = alt

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return image_bundle(self, self.diffmagic_alt or DEFAULT_ALT)
