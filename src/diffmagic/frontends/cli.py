"""The `diffmagic` command: the same comparison as the magic, in a terminal.

    diffmagic "exp(-2*x) + 3*sin(3*x)"
    diffmagic path/to/file.py:f --order 2 --save f.png --json f.json --html f.html

Exit status: 0 when every row is ok, 1 when one is not (failed, inaccurate, or your derivative
wrong: the table says which), 2 on misuse.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from diffmagic.errors import DiffMagicError
from diffmagic.frontends.option_checks import check_options
from diffmagic.frontends.options import add_to_parser
from diffmagic.frontends.report import build_report, html_page
from diffmagic.frontends.report_result import Report, write_file
from diffmagic.inputs.expression import expression_to_function
from diffmagic.inputs.target import function_from_cell
from diffmagic.limits.guard import describe_error
from diffmagic.limits.internal import debug_while
from diffmagic.views.text import text_table

EXAMPLES = """examples:
  diffmagic "exp(-2*x) + 3*sin(3*x)"
  diffmagic "abs(x)" --no-timing --at 0.5
  diffmagic lab.py:f_polynomial --domain -1 1.5 --save poly.png
  diffmagic "2*x**2 - x*y" --wrt y --param x=2 --json out.json --html report.html
  diffmagic "2*x**3 - 3*x**2 + 5" --extrema --no-timing
  diffmagic "2*x**2 - x*y" --gradient --at x=1,y=2
  diffmagic "sin(x)" --at 1 --step-study --save steps.png
"""


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints the whole usage before its error; the command's misuse is one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def installed_version() -> str:
    """The version pip installed (the package's metadata), else the one the code carries: a
    checkout run without installing has no metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("diffmagic")
    except PackageNotFoundError:
        import diffmagic

        return diffmagic.__version__


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="diffmagic",
        description="Differentiate a function symbolically (SymPy), numerically (NumPy, SciPy) "
        "and automatically (JAX), and compare the results against a high-precision reference.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"diffmagic {installed_version()}")
    parser.add_argument(
        "function",
        metavar="EXPR|FILE.py[:NAME]",
        help="an expression in x, or a Python file and the function in it (default: the last)",
    )
    add_to_parser(parser)
    parser.add_argument("--json", metavar="PATH", help="write the comparison as JSON")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table (default: when the terminal supports it)",
    )
    return parser


def _function(argument: str, func: str | None, yours: Sequence[str] = ()) -> Any:
    """A file's function (`file.py:name`, or its last not named by --yours), or the expression
    itself.

    Text that is neither is refused by the expression parser, never run: the command line
    takes expressions, not code.
    """
    path_text, _, name = argument.partition(".py:")
    if name or argument.endswith(".py"):
        path = pathlib.Path(path_text + ".py" if name else argument)
        try:
            code = path.read_text(encoding="utf-8")
        except OSError as error:
            raise DiffMagicError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise DiffMagicError(
                f"cannot read {path}: it is not a text file (UTF-8); give a Python file"
            ) from None
        try:
            skip = [str(given).strip() for given in yours]
            return function_from_cell(code, name or func, origin=str(path), skip=skip)
        except SystemExit as error:  # sys.exit() at the top of the file or in its imports
            raise DiffMagicError(
                f"running {path} raised {describe_error('it', error).partition(' raised ')[2]}: "
                "a file for diffmagic must not call sys.exit() outside a function"
            ) from None
    expression_to_function(argument)  # refuses, with the reason, anything but an expression
    return argument


def _use_colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    with debug_while(options.debug):
        return _run(parser, options)


def _run(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    """What `main` does once the options are parsed: 0, 1 (a method failed) or exit 2."""
    try:
        check_options(options)
        function = _function(options.function, options.func, options.yours or ())
        report = build_report(function, options)
        for bundle in report.bundles:
            # A figure's text is its alt text in brackets: the terminal skips it. A picture with
            # a real text twin (the computational graph's listing) is printed as text.
            if any(mime.startswith("image/") for mime in bundle) and bundle.get(
                "text/plain", ""
            ).startswith("<"):
                continue
            text = bundle.get("text/plain", "")
            if (
                bundle.get("text/html")
                and report.comparison is not None
                and (text == report.comparison.table())
            ):
                text = text_table(report.comparison, colour=_use_colour(options.color))
            print(text, end="\n\n")
        if options.save:
            report.save_figure(options.save)
        if options.json:
            write_file(options.json, json.dumps(_json(report), indent=1))
        if options.html:
            write_file(options.html, html_page(report))
    except DiffMagicError as error:
        parser.exit(2, f"diffmagic: error: {error}\n")
    except SystemExit as error:  # f called sys.exit() while diffmagic ran it
        parser.exit(2, f"diffmagic: error: {describe_error('the function', error)}\n")
    except KeyboardInterrupt:
        parser.exit(130, "diffmagic: interrupted\n")
    return 0 if report.ok else 1


def _json(report: Report) -> dict[str, Any]:
    if report.comparison is not None:
        return report.comparison.to_dict()
    table = report.gradient
    if report.study is not None and table is not report.study:  # --at NAME with --sizes
        return {"gradient": table.to_dict(), "study": report.study.to_dict()}
    if hasattr(table, "to_dict"):  # the gradient of a loss, or the cost study
        return table.to_dict()
    return {
        "point": table.point,
        "exact": table.exact,
        "partials": table.by_method,
        "failures": table.failures,
    }


def run() -> Any:
    sys.exit(main())
