"""Every combination of options that cannot be honoured, refused in one line before any work.

The magic (cell, line and `--panel`) and the command line call `check_options` first, so a
learner who asks for something diffmagic would drop or could only refuse after a comparison of
several seconds hears about it at once. An option is never silently dropped: what a path does
not show is refused, with the option to remove or the one to add.
"""

from __future__ import annotations

from typing import Any

from diffmagic.errors import DiffMagicError
from diffmagic.frontends.options import OPTIONS, figure_format, parse_point

#: Options of a function of one variable: meaningless for the gradient of a loss at `--at NAME`
#: or for `--sizes`, so refused there unless they keep their default.
ONE_VARIABLE_ONLY = (
    "domain",
    "points",
    "order",
    "engines",
    "yours",
    "extrema",
    "gradient",
    "step_study",
    "graph",
    "graph_mode",
    "timing_points",
    "wrt",
)


def default_of(dest: str) -> Any:
    """The default the shared OPTIONS give `dest` (the one place each default is written)."""
    for flags, keywords in OPTIONS:
        if keywords.get("dest", flags[-1].lstrip("-").replace("-", "_")) == dest:
            if "default" in keywords:
                return keywords["default"]
            return False if keywords.get("action") == "store_true" else None
    raise KeyError(dest)


def flag_of(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def wants_many_parameters(options: Any) -> bool:
    """True for `--at NAME` (a name, not a number) or `--sizes`."""
    at = getattr(options, "at", None)
    named = isinstance(at, str) and at.strip().isidentifier()
    return named or bool(getattr(options, "sizes", None))


def check_options(options: Any, *, panel: bool = False) -> None:
    """Refuse, as a one-line `DiffMagicError`, any combination the run could not honour."""
    _check_save(options)
    if panel and (getattr(options, "html", None) or getattr(options, "format", "png") != "png"):
        raise DiffMagicError("--html and --format write a static report: remove --panel")
    if wants_many_parameters(options):
        _check_many_parameters(options)
        return
    point = parse_point(getattr(options, "at", None))
    if panel:
        _check_panel(options, point)
    _check_point(options, point)
    _check_graph(options, point, panel)
    if getattr(options, "step_study", False) and (point is None or isinstance(point, dict)):
        raise DiffMagicError("--step-study studies f' at one point: add --at X0, e.g. --at 1")
    if getattr(options, "step_study", False) and getattr(options, "order", 1) != 1:
        raise DiffMagicError("--step-study studies the first derivative: remove --order")


def _check_save(options: Any) -> None:
    if getattr(options, "save", None):
        figure_format(options.save)
        if getattr(options, "no_plot", False):
            raise DiffMagicError("--save writes the figure: remove --no-plot")


def _check_point(options: Any, point: Any) -> None:
    gradient = getattr(options, "gradient", False)
    if gradient and not isinstance(point, dict):
        raise DiffMagicError("--gradient needs the point as NAME=VALUE pairs, e.g. --at x=1,y=2")
    if isinstance(point, dict) and not gradient:
        raise DiffMagicError("--at takes one number here; NAME=VALUE pairs go with --gradient")
    if isinstance(point, float):
        low, high = getattr(options, "domain", None) or default_of("domain")
        if not low <= point <= high:
            raise DiffMagicError(
                f"--at {point:g} is outside the domain [{low:g}, {high:g}]: pick a point inside, "
                "or widen --domain"
            )


def _check_graph(options: Any, point: Any, panel: bool) -> None:
    """--graph draws one point of a function of one variable (the panel's x0 slider picks it)."""
    if not getattr(options, "graph", False):
        return
    if getattr(options, "gradient", False):
        raise DiffMagicError("--graph draws a function of one variable: remove --gradient")
    if point is None and not panel:
        raise DiffMagicError("--graph draws f's graph at one point: add --at X0, e.g. --at 1")
    if getattr(options, "order", 1) != 1:
        raise DiffMagicError("--graph shows how f' is computed: use it with --order 1")


def _check_many_parameters(options: Any) -> None:
    """`--at NAME` / `--sizes` compare gradients of a loss: one-variable options are refused."""
    for dest in ONE_VARIABLE_ONLY:
        value = getattr(options, dest, None)
        default = default_of(dest)
        if value is None or value == default:
            continue
        raise DiffMagicError(
            f"{flag_of(dest)} is for functions of one variable: remove it with "
            "--at NAME or --sizes (the gradient of a loss of many parameters)"
        )
    at = (getattr(options, "at", None) or "").strip()
    if at and not at.isidentifier():
        raise DiffMagicError(f"--at {at}: with --sizes, give the NAME of a vector or nothing")
    if getattr(options, "panel", False) and not getattr(options, "sizes", None):
        raise DiffMagicError(
            "the panel shows --sizes for a loss of many parameters: add --sizes 10,100,1000 "
            "or remove --panel"
        )


def _check_panel(options: Any, point: Any) -> None:
    """What the panel cannot show is refused, never dropped without a word."""
    if getattr(options, "gradient", False):
        raise DiffMagicError(
            "--gradient draws the gradient field of a function of two variables, which the "
            "panel does not show: remove --panel"
        )
    if getattr(options, "step_study", False):
        raise DiffMagicError(
            "the panel's step h, scheme and precision controls are its step study: remove "
            "--step-study (or --panel for the static study)"
        )
    if getattr(options, "no_plot", False):
        raise DiffMagicError("the panel is drawn around its figure: remove --no-plot")
    if isinstance(point, dict):
        raise DiffMagicError("--panel takes --at as one number, the tangent point")
