"""`%%differentiate` and `%differentiate`: thin IPython front ends over `diffmagic.compare()`.

The cell runs as a normal cell in the user's namespace (its definitions stay; nothing else is
added unless `-o NAME`), then the function it defined last (never one named by --yours) goes to
`report.build_report`, which the command line uses too. Misuse is a one-line `UsageError`; a
method that fails is a row of the table, never a traceback.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Collection
from typing import Any

from IPython.core.error import InputRejected, UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from diffmagic.errors import DiffMagicError
from diffmagic.frontends.option_checks import check_options
from diffmagic.frontends.options import OPTIONS, parse_point, to_request
from diffmagic.frontends.report import build_report, html_page
from diffmagic.frontends.report_result import write_file
from diffmagic.inputs.expression import expression_to_function, looks_like_expression
from diffmagic.inputs.target import chosen_function, defined_functions
from diffmagic.inputs.vocabulary import CONSTANT_NAMES, FUNCTION_NAMES
from diffmagic.limits.guard import describe_error
from diffmagic.limits.internal import debug_while
from diffmagic.methods.yours import resolve as resolve_yours

#: Bare names line mode reads as an expression rather than as a variable of the user's.
_EXPRESSION_NAMES = {"x"} | CONSTANT_NAMES | FUNCTION_NAMES


def _with_shared_options(function: Any) -> Any:
    """Apply the shared OPTIONS as magic_arguments decorators (last applied shows first)."""
    for flags, keywords in reversed(OPTIONS):
        function = argument(*flags, **keywords)(function)
    return function


def _unquoted(token: str) -> str:
    """IPython's argument splitter keeps quotes on Linux; `"x**2"` means the text x**2."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return token


def _check_output_name(name: str | None) -> None:
    """`-o NAME` must be a name the user can type afterwards: not `1abc`, not `class`."""
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise DiffMagicError(f"-o takes a Python variable name such as result, not {name!r}")


@magics_class
class DifferentiateMagics(Magics):
    """Holds the magic; IPython instantiates it once per shell."""

    @magic_arguments()
    @argument(
        "expression",
        nargs="*",
        help="line mode: the name of a defined function, or an expression in x (quote it)",
    )
    @argument(
        "-o",
        "--output",
        default=None,
        metavar="NAME",
        help="store the Comparison in the variable NAME",
    )
    @argument("-q", "--quiet", action="store_true", help="display nothing (useful with -o)")
    @argument(
        "--panel",
        action="store_true",
        help="show an interactive panel (sliders for domain, points, x0, step...) instead",
    )
    @_with_shared_options
    @needs_local_scope
    @line_cell_magic
    def differentiate(self, line: str, cell: str | None = None, local_ns: Any = None) -> Any:
        """Differentiate a function symbolically (SymPy), numerically (NumPy, SciPy) and
        automatically (JAX), and show f', a comparison plot and a timing and error table.

        Cell mode differentiates the function the cell defines (the last one not named by
        --yours, or --func)::

            %%differentiate --domain -5 5 --at 1
            def f(x):
                return np.exp(-2*x) + 3*np.sin(3*x)

        Line mode takes a function already defined, or an expression in x::

            %differentiate f --order 2
            %differentiate "abs(x)" --no-timing
            %differentiate g --wrt y --param x=2 -o result -q

        The course's questions, one option each::

            %differentiate "2*x**3 - 3*x**2 + 5" --extrema        # minima and maxima
            %differentiate "2*x**2 - x*y" --gradient --at x=1,y=2  # every partial derivative
            %differentiate "sin(x)" --at 1 --step-study           # error against the step h
            %differentiate f --engines numpy,jax                  # method cost vs engine cost
            %differentiate f --panel                              # sliders: x0, dx, h, domain...
            %differentiate f --at 1 --graph --graph-mode forward  # JAX's steps with tangents

        A loss of many parameters, with the point (a vector or a dict of arrays) named::

            %%differentiate --at w0 --sizes 10,100,1000,10000
            w0 = np.zeros(10)
            def loss(w):
                return np.sum((X @ w - y)**2)

        The cell runs like a normal cell, so its definitions stay in the namespace; nothing
        else is added unless -o NAME.
        """
        options = self._options(line)
        with debug_while(options.debug):
            return self._run(options, cell, local_ns)

    def _run(self, options: Any, cell: str | None, local_ns: Any) -> None:
        """What `differentiate` does once its options are parsed."""
        try:
            check_options(options, panel=options.panel)
            _check_output_name(options.output)
            function = self._function(options, cell, local_ns)
            shown = self._show_panel(function, options) if options.panel else None
            report = None if options.panel else self._report(function, options)
        except DiffMagicError as error:
            raise UsageError(str(error)) from None
        except SystemExit as error:  # f called sys.exit(): a reason, never the kernel's end
            raise UsageError(describe_error("the function", error)) from None
        result = shown if report is None else report.result
        if options.output:
            self.shell.user_ns[options.output] = result
        if not options.quiet:
            for bundle in [] if report is None else report.bundles:
                display(bundle, raw=True)
            if shown is not None:
                display(shown)
        return None

    def _options(self, line: str) -> Any:
        """The magic's options parsed, or a one-line `UsageError`."""
        try:
            return parse_argstring(self.differentiate, line)
        except UsageError:
            raise
        except ValueError as error:  # shlex: `%differentiate "x**2` has no closing quote
            raise UsageError(
                f"the options have an unbalanced quote ({error}): close it, "
                'as in %differentiate "x**2"'
            ) from None
        except SystemExit:
            raise UsageError("invalid options; see %%differentiate?") from None

    @staticmethod
    def _report(function: Any, options: Any) -> Any:
        """The report the options ask for, with its figure and page written where asked."""
        report = build_report(function, options)
        if options.save:
            report.save_figure(options.save)
        if options.html:
            write_file(options.html, html_page(report))
        return report

    def _function(self, options: Any, cell: str | None, local_ns: Any) -> Any:
        """The function to differentiate: the cell's, a defined one, or an expression's text."""
        expression = " ".join(_unquoted(token) for token in options.expression).strip()
        if cell is None:
            if not expression:
                raise DiffMagicError(
                    "%differentiate needs a function name or an expression, e.g. %differentiate f"
                )
            namespace = {**self.shell.user_ns, **(local_ns or {})}
            if expression.isidentifier() and expression in namespace:
                if not callable(namespace[expression]):
                    raise DiffMagicError(f"`{expression}` is not a function")
                return namespace[expression]
            if expression.isidentifier() and expression not in _EXPRESSION_NAMES:
                raise DiffMagicError(
                    f"`{expression}` is not defined: run the cell that defines it first, "
                    'or quote an expression in x such as "x**2"'
                )
            if not looks_like_expression(expression):
                # Line mode holds an expression, never a cell: give the expression's reason.
                expression_to_function(expression)
            return expression
        if expression:
            raise DiffMagicError(
                f"in cell mode the function comes from the cell; remove {expression!r}"
            )
        return self._run_cell(cell, options.func, options.yours or ())

    def _show_panel(self, function: Any, options: Any) -> Any:
        """The panel the options ask for (checked by `check_options`), its figure saved."""
        if getattr(options, "sizes", None):
            from diffmagic.api.study import check_sizes
            from diffmagic.frontends.options import parse_params
            from diffmagic.frontends.study_panel import StudyPanel

            largest = max(check_sizes(options.sizes))
            return StudyPanel(
                function,
                params=parse_params(options.param),
                largest_power=min(max(len(str(largest)) - 1, 1), 6),
            )
        from diffmagic.frontends.panel import Panel

        # Every option of the magic means the same in the panel: the same checked Request.
        request = to_request(options, yours=resolve_yours(options.yours, function))
        shown = Panel(
            function,
            x0=parse_point(options.at),
            graph=options.graph,
            graph_mode=options.graph_mode,
            request=request,
        )
        if options.save:
            shown.save_figure(options.save)
        return shown

    def _run_cell(self, cell: str, wanted: str | None, yours: Collection[str] = ()) -> Any:
        """Run the cell in the user's namespace, as if the magic were not there; its function
        is `wanted`, else the last one not named by --yours."""
        if not cell.strip():
            raise DiffMagicError(
                "the cell is empty: write a function such as def f(x): return x**2"
            )
        tree = self._parsed(cell)
        code = self.shell.compile(tree, self.shell.compile.cache(cell), "exec")
        try:
            exec(code, self.shell.user_ns)
        except (Exception, SystemExit) as error:  # sys.exit() in the cell, or in its imports
            raise DiffMagicError(describe_error("the cell", error)) from None
        defined = defined_functions(tree)
        name = chosen_function(defined, wanted, [str(n).strip() for n in yours], "the cell")
        if name is None:
            raise DiffMagicError("the cell defines no function: write def f(x): return ...")
        function = self.shell.user_ns.get(name)
        if not callable(function):
            raise DiffMagicError(f"the cell defines no function `{name}`")
        return function

    def _parsed(self, cell: str) -> ast.Module:
        """The cell as IPython runs one (as `%%time` does): its input transformers (`%magics`,
        `!commands`), parsed once, then the shell's AST transformers."""
        source = self.shell.transform_cell(cell)
        try:
            tree = self.shell.compile.ast_parse(source)
        except SyntaxError as error:
            raise DiffMagicError(
                f"the cell is not valid Python: {error.msg} (line {error.lineno})"
            ) from None
        try:
            return self.shell.transform_ast(tree)
        except InputRejected as error:
            reason = f"the cell was rejected by an input transformer: {error}"
            raise DiffMagicError(reason) from None


def load(ipython: Any) -> None:
    """Register the magics; loading twice is harmless (IPython replaces the entry)."""
    ipython.register_magics(DifferentiateMagics)


def unload(ipython: Any) -> None:
    """Remove the magics that `load` registered."""
    magics = ipython.magics_manager.magics
    for kind in ("line", "cell"):
        magics[kind].pop("differentiate", None)
    registry = ipython.magics_manager.registry
    registry.pop("DifferentiateMagics", None)
