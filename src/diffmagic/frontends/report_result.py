"""What one run of the options produced (`Report`), and the one way its files are written.

Kept apart from `report.py`, which builds reports, so that the builders of special reports
(`many_parameters` for a loss of many parameters) can make one without importing the builder.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diffmagic.errors import DiffMagicError
from diffmagic.frontends.options import figure_format
from diffmagic.limits.explain import one_line
from diffmagic.views.figure import figure_bytes

if TYPE_CHECKING:
    from diffmagic.results.comparison import Comparison


@dataclass
class Report:
    """Everything one run of the options produced."""

    comparison: Comparison | None = None
    gradient: Any = None
    step_study: Any = None
    #: The cost study of `--sizes` (a `ParameterStudy`), beside the gradient at `--at NAME`.
    study: Any = None
    figure: Any = None
    #: Why the figure could not be built, when it could not.
    figure_error: str | None = None
    bundles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def result(self) -> Any:
        """What `-o NAME` stores: the comparison, or the gradient table with --gradient."""
        return self.gradient if self.gradient is not None else self.comparison

    @property
    def ok(self) -> bool:
        if self.comparison is not None:
            return self.comparison.ok
        return not (self.gradient and self.gradient.failures)

    def save_figure(self, path: str) -> None:
        """Write the figure to `path` (.png, .svg or .pdf), for --save in either front end."""
        fmt = figure_format(path)
        if self.figure is None:
            reason = self.figure_error or "there is none (remove --no-plot)"
            raise DiffMagicError(f"--save cannot write the figure: {reason}")
        try:
            data = figure_bytes(self.figure, fmt)
        except Exception as error:
            raise DiffMagicError(f"the figure cannot be drawn: {one_line(error)}") from None
        write_file(path, data)


def write_file(path: str, data: bytes | str) -> None:
    """Write a figure, JSON or HTML file; a path that cannot be written is one line, not a trace."""
    target = pathlib.Path(path).expanduser()
    try:
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    except OSError as error:
        raise DiffMagicError(f"cannot write {target}: {error.strerror}") from None
