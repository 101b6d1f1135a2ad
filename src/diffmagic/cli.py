"""The `diffmagic` command: the same comparison as the magic, in a terminal.

    diffmagic "exp(-2*x) + 3*sin(3*x)"
    diffmagic path/to/file.py:f --order 2 --save f.png --json f.json --html f.html

Exit status: 0 when every method asked for worked, 1 when one failed (the table says which),
2 on misuse.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from diffmagic.comparison import Comparison, compare
from diffmagic.errors import DiffMagicError
from diffmagic.options import add_to_parser, figure_format, to_compare_kwargs

EXAMPLES = """examples:
  diffmagic "exp(-2*x) + 3*sin(3*x)"
  diffmagic "abs(x)" --no-timing --at 0.5
  diffmagic lab.py:f_polynomial --domain -1 1.5 --save poly.png
  diffmagic "2*x**2 - x*y" --wrt y --param x=2 --json out.json --html report.html
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffmagic",
        description="Differentiate a function symbolically (SymPy), numerically (NumPy, SciPy) "
        "and automatically (JAX), and compare the results against a high-precision reference.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "function",
        metavar="EXPR|FILE.py[:NAME]",
        help="an expression in x, or a Python file and the function in it (default: the last)",
    )
    add_to_parser(parser)
    parser.add_argument("--json", metavar="PATH", help="write the comparison as JSON")
    parser.add_argument("--html", metavar="PATH", help="write a self-contained HTML report")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table (default: when the terminal supports it)",
    )
    return parser


def _source(argument: str, func: str | None) -> tuple[str, str | None]:
    """The text to compare and the function to pick: a file's code, or the expression itself."""
    path_text, _, name = argument.partition(".py:")
    if name or argument.endswith(".py"):
        path = pathlib.Path(path_text + ".py" if name else argument)
        try:
            return path.read_text(encoding="utf-8"), (name or func)
        except OSError as error:
            raise DiffMagicError(f"cannot read {path}: {error.strerror}") from None
    return argument, func


def _use_colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def html_report(comparison: Comparison, at: float | None = None) -> str:
    """One self-contained page: formula, figure (embedded PNG) and table."""
    import html

    from diffmagic.views.notebook import figure_bundle

    png = figure_bundle(comparison, at)["image/png"]
    formula = comparison.latex()
    formula_html = (
        f"<p>LaTeX: <code>{html.escape(formula)}</code></p>"
        if formula
        else "<p>No symbolic form: SymPy could not trace the function.</p>"
    )
    title = html.escape(f"diffmagic: {comparison.target.label}")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif'><h1>{title}</h1>{formula_html}"
        f"<img alt='f and its derivatives' src='data:image/png;base64,{png}'>"
        f"{comparison._repr_html_()}</body></html>"
    )


def _write(path: str, data: bytes | str) -> None:
    target = pathlib.Path(path).expanduser()
    try:
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    except OSError as error:
        raise DiffMagicError(f"cannot write {target}: {error.strerror}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        if options.save:
            figure_format(options.save)
        source, func = _source(options.function, options.func)
        comparison = compare(source, func=func, **to_compare_kwargs(options))
        from diffmagic.views.text import text_table

        print(text_table(comparison, colour=_use_colour(options.color)))
        if options.at is not None:
            from diffmagic.views.notebook import tangent_bundle

            print()
            print(tangent_bundle(comparison, options.at)["text/plain"])
        if options.save:
            from diffmagic.views.figure import figure_bytes

            figure = comparison.figure(at=options.at)
            _write(options.save, figure_bytes(figure, figure_format(options.save)))
        if options.json:
            _write(options.json, json.dumps(comparison.to_dict(), indent=1))
        if options.html:
            _write(options.html, html_report(comparison, options.at))
    except DiffMagicError as error:
        parser.exit(2, f"diffmagic: error: {error}\n")
    except KeyboardInterrupt:
        parser.exit(130, "diffmagic: interrupted\n")
    return 0 if comparison.ok else 1


def run() -> Any:
    sys.exit(main())
