"""The options of `%%differentiate` and of the `diffmagic` command, defined once.

Both front ends read the same `OPTIONS` list: the magic turns each entry into an
`IPython.core.magic_arguments.argument` decorator, the command line into
`argparse.ArgumentParser.add_argument`. They cannot drift apart, and `to_request` turns the
parsed options into the checked `Request` that `diffmagic.compare()` builds from its keywords.
The defaults are `Request`'s own, written once in `running/request.py`.
"""

from __future__ import annotations

import argparse
import ast
import re
from typing import Any

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.reader import OPTIONS as OPTIONS_READER
from diffmagic.running.request import (
    DEFAULT_DOMAIN,
    DEFAULT_METHODS,
    DEFAULT_POINTS,
    DEFAULT_TIMING_POINTS,
    Request,
)


def whole_number(text: str) -> int:
    """An option's whole number as typed: `100`, `1_000`, `1e6` and `100.0` all mean one."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number such as 100")
    return int(value)


#: (flags, argparse keyword arguments), in the order help shows them.
OPTIONS: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (
        ("--func",),
        {
            "default": None,
            "metavar": "NAME",
            "help": "the function to differentiate when the cell defines several "
            "(default: the last)",
        },
    ),
    (
        ("--wrt",),
        {
            "default": None,
            "metavar": "VAR",
            "help": "the parameter to differentiate with respect to (default: the first)",
        },
    ),
    (
        ("--param",),
        {
            "action": "append",
            "default": [],
            "metavar": "NAME=VALUE",
            "help": "a fixed value for another parameter, e.g. --param y=2 (repeatable)",
        },
    ),
    (
        ("--domain",),
        {
            "nargs": 2,
            "type": float,
            "default": list(DEFAULT_DOMAIN),
            "metavar": ("LO", "HI"),
            "help": "the interval of x to plot and compare on "
            f"(default: {DEFAULT_DOMAIN[0]:g} {DEFAULT_DOMAIN[1]:g})",
        },
    ),
    (
        ("-n", "--points"),
        {
            "type": whole_number,
            "default": DEFAULT_POINTS,
            "metavar": "N",
            "help": f"grid points in the domain (default: {DEFAULT_POINTS}, as in the course lab)",
        },
    ),
    (
        ("-m", "--methods"),
        {
            "default": ",".join(DEFAULT_METHODS),
            "metavar": "LIST",
            "help": "comma-separated methods: symbolic, numerical (np.gradient and SciPy's finite "
            "differences), finite_difference, automatic (default: all); also automatic@eager "
            "(JAX without jit) and the optional engines autograd, torch, mygrad",
        },
    ),
    (
        ("--order",),
        {
            "type": whole_number,
            "default": 1,
            "metavar": "K",
            "help": "which derivative: 1 for f', 2 for f'' ... (default: 1)",
        },
    ),
    (
        ("--engines",),
        {
            "default": "numpy",
            "metavar": "LIST",
            "help": "where SymPy's derivative and finite differences run: numpy (as in the lab), "
            "jax (compiled with jit), or numpy,jax for both rows (default: numpy)",
        },
    ),
    (
        ("--at",),
        {
            "default": None,
            "metavar": "X0",
            "help": "list each method's f'(X0), draw its tangent and list the secants at X0; "
            "with --gradient, the point as NAME=VALUE pairs: --at x=1,y=2; "
            "the NAME of a vector or pytree the cell defines (--at w0): the gradient of a loss "
            "by symbolic, numerical, forward and reverse mode",
        },
    ),
    (
        ("--sizes",),
        {
            "default": None,
            "metavar": "LIST",
            "help": "for f of a parameter vector: the cost of one gradient per method against n, "
            "e.g. --sizes 10,100,1000,10000 (a log-log figure with fitted slopes)",
        },
    ),
    (
        ("--extrema",),
        {
            "action": "store_true",
            "help": "find where f' = 0 (and corners) in the domain: minimum, maximum or neither",
        },
    ),
    (
        ("--gradient",),
        {
            "action": "store_true",
            "help": "every partial derivative at the point --at x=1,y=2, by each method "
            "(and the gradient field over contours for two variables)",
        },
    ),
    (
        ("--step-study",),
        {
            "action": "store_true",
            "help": "the error of forward and central differences at --at X0 against the step h, "
            "in float32 and float64, with the best h",
        },
    ),
    (
        ("--timing",),
        {
            "nargs": "?",
            "const": "quick",
            "default": "quick",
            "choices": ("quick", "full", "off"),
            "help": "time each method: quick (about a second in all, the default), full "
            "(%%timeit-grade) or off",
        },
    ),
    (
        ("--no-timing",),
        {
            "dest": "timing",
            "action": "store_const",
            "const": "off",
            "help": "do not time the methods (same as --timing off)",
        },
    ),
    (
        ("--timing-points",),
        {
            "type": whole_number,
            "default": DEFAULT_TIMING_POINTS,
            "metavar": "N",
            "help": f"points at which each derivative is timed (default: {DEFAULT_TIMING_POINTS})",
        },
    ),
    (
        ("--no-plot",),
        {"action": "store_true", "help": "show no figure"},
    ),
    (
        ("--save",),
        {
            "default": None,
            "metavar": "PATH",
            "help": "also write the figure to PATH (.png, .svg or .pdf)",
        },
    ),
    (
        ("--yours",),
        {
            "action": "append",
            "default": [],
            "metavar": "NAME",
            "help": "your own derivative, checked against the reference: a function the cell "
            "defines (--yours dfdx), or an expression in x on the command line (--yours '2*x'); "
            "repeatable",
        },
    ),
    (
        ("--graph",),
        {
            "action": "store_true",
            "help": "draw f's computational graph at --at X0: each JAX step with its value and "
            "its tangent (forward mode) or adjoint (reverse mode)",
        },
    ),
    (
        ("--graph-mode",),
        {
            "default": "reverse",
            "choices": ("forward", "reverse"),
            "metavar": "MODE",
            "help": "which derivative values --graph shows: forward tangents or reverse adjoints "
            "(default: reverse)",
        },
    ),
    (
        ("--html",),
        {
            "default": None,
            "metavar": "PATH",
            "help": "also write everything shown as one self-contained HTML page to PATH",
        },
    ),
    (
        ("--format",),
        {
            "default": "png",
            "choices": ("png", "svg"),
            "metavar": "FMT",
            "help": "the format of the figures shown and in the --html page: png or svg "
            "(default: png)",
        },
    ),
    (
        ("--debug",),
        {
            "action": "store_true",
            "help": "show the traceback of an internal error in diffmagic (for a bug report) "
            "instead of its one-line reason",
        },
    ),
]

#: Formats `--save` can write, by file suffix.
FIGURE_FORMATS = ("png", "svg", "pdf")


def parse_params(assignments: list[str]) -> dict[str, Any]:
    """`["y=2", "a=[1, 2]"]` as `{"y": 2, "a": [1, 2]}`; values are Python literals only."""
    params: dict[str, Any] = {}
    for assignment in assignments or []:
        name, sep, text = assignment.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise DiffMagicError(
                f"--param takes NAME=VALUE, such as --param y=2, not {assignment!r}"
            )
        try:
            params[name] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            raise DiffMagicError(
                f"--param {name}: {text.strip()!r} is not a number or a list of numbers"
            ) from None
    return params


def parse_point(text: str | None) -> float | dict[str, float] | None:
    """`"1.5"` as 1.5; `"x=1,y=2"` as {"x": 1.0, "y": 2.0}; None as None."""
    if text is None:
        return None
    text = str(text).strip()
    if "=" not in text:
        try:
            return float(text)
        except ValueError:
            raise DiffMagicError(f"--at takes a number such as 1.5, not {text!r}") from None
    point: dict[str, float] = {}
    for pair in text.split(","):
        name, _, value = pair.partition("=")
        try:
            point[name.strip()] = float(value)
        except ValueError:
            raise DiffMagicError(
                f"--at takes NAME=VALUE pairs such as x=1,y=2, not {text!r}"
            ) from None
        if not re.fullmatch(r"[A-Za-z_]\w*", name.strip()):
            raise DiffMagicError(f"--at takes NAME=VALUE pairs such as x=1,y=2, not {text!r}")
    return point


def figure_format(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in FIGURE_FORMATS:
        raise DiffMagicError(f"--save writes .png, .svg or .pdf files, not {path!r}")
    return suffix


def to_request(options: Any, *, func: str | None = None, yours: Any = None) -> Request:
    """The parsed options of the magic or the command line as the checked `Request`.

    The magic (cell and `--panel`) and the command line call this one function, so each flag
    means what the same keyword means to `compare()`.
    """
    timing = getattr(options, "timing", "quick") or "quick"
    return Request.checked(
        tuple(options.domain),
        options.points,
        options.methods,
        options.order,
        options.wrt,
        parse_params(options.param),
        timing != "off",
        options.timing_points,
        func=func,
        timing_mode="quick" if timing == "off" else timing,
        engines=options.engines,
        extrema=options.extrema,
        yours=yours,
        reader=OPTIONS_READER,
    )


def add_to_parser(parser: Any) -> Any:
    """Register every option on an `argparse.ArgumentParser`."""
    for flags, keywords in OPTIONS:
        parser.add_argument(*flags, **keywords)
    return parser


def options_markdown(extra: list[tuple[tuple[str, ...], dict[str, Any]]] | None = None) -> str:
    """The options as a Markdown table, for the README (a test keeps the two in step)."""
    rows = ["| option | what it does |", "|---|---|"]
    for flags, keywords in [*OPTIONS, *(extra or [])]:
        metavar = keywords.get("metavar")
        if isinstance(metavar, tuple):
            metavar = " ".join(metavar)
        shown = ", ".join(f"`{flag}{' ' + metavar if metavar else ''}`" for flag in flags)
        text = keywords.get("help", "").replace("%%", "%").replace("|", "\\|")
        rows.append(f"| {shown} | {text} |")
    return "\n".join(rows)
