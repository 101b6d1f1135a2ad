"""Progress for long work: a bar in a notebook, a line of text in a terminal.

Long work (a scaling sweep, a depth study, timing at many points) reports
`progress(fraction, label)`; where it is shown is decided here, once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[float, str], None]


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def text_progress(stream: TextIO | None = None, width: int = 24) -> Progress:
    """`[#######.........] 42% label` rewritten in place on a terminal."""
    out = stream or sys.stderr

    def report(fraction: float, label: str) -> None:
        filled = round(width * fraction)
        end = "\n" if fraction >= 1 else ""
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {label:<40}{end}")
        out.flush()

    return report


def widget_progress(description: str = "working") -> Progress:
    """An ipywidgets progress bar, displayed now and filled as work goes."""
    import ipywidgets as widgets
    from IPython.display import display

    bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=description)
    label = widgets.Label(value="")
    display(widgets.HBox([bar, label]))

    def report(fraction: float, text: str) -> None:
        bar.value = min(max(fraction, 0.0), 1.0)
        label.value = text
        if fraction >= 1:
            bar.bar_style = "success"

    return report


def default_progress(description: str = "working") -> Progress:
    """A widget bar inside a Jupyter kernel, text on stderr elsewhere."""
    if _in_kernel():
        try:
            return widget_progress(description)
        except ImportError:
            pass
    return text_progress()
