"""Turn a one-line math expression into a Python function without running it.

A user may write ``exp(-2*x) + 3*sin(3*x)`` instead of a ``def``. That text comes
from outside, so it never reaches ``eval``: it is parsed into a syntax tree, every
node is checked against a short whitelist (numbers, variables, arithmetic,
comparisons and calls of the functions in :mod:`diffmagic.inputs.vocabulary`; the checks and
their messages are in :mod:`diffmagic.inputs.expression_checks`), and only the checked tree
is compiled into ``def f(x, a, b): return <expression>``.

The function's globals hold nothing but an empty ``__builtins__``: even ``sin``,
``np`` and ``pi`` are unbound until a backend rebinds the globals to its own
namespace, so the same function runs under NumPy, JAX or SymPy.
"""

from __future__ import annotations

import ast
import types

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.expression_checks import (
    check_nesting_depth,
    check_parameter_name,
    free_variable_names,
)
from diffmagic.inputs.expression_numbers import check_constant_sizes

MAX_EXPRESSION_LENGTH = 2000
"""Longer text is refused before parsing, so hostile input costs nothing."""

FUNCTION_NAME = "f"

_CODE_FILENAME = "<diffmagic expression>"


def looks_like_expression(text: str) -> bool:
    """Tell a one-line expression from a cell of code, without running either.

    Callers use this to route text: an expression goes to
    :func:`expression_to_function`, anything else (a ``def``, statements) is handled
    as a cell. Parsing in ``eval`` mode accepts exactly one expression, so a cell
    with statements or several lines of code is rejected.
    """
    stripped_text = text.strip()
    if not stripped_text:
        return False
    try:
        ast.parse(stripped_text, mode="eval")
    except (MemoryError, RecursionError):
        # Too deep for the parser: no cell is like that; the expression checks say why.
        return "\n" not in stripped_text
    except (SyntaxError, ValueError):
        return False
    return True


def expression_to_function(text: str, variable: str = "x") -> types.FunctionType:
    """Compile a checked math expression into ``f(variable, *other_variables)``.

    Parameters come in the order backends call them: ``variable`` first (even when
    the expression does not use it, so ``f(x)`` works and its derivative is 0), then
    every other free variable in sorted order. An expression in one other letter only,
    such as ``"p**3 * (1 - p)"``, is a function of that letter. ``f.__globals__`` is a fresh
    ``{"__builtins__": {}}``; backends rebind it to supply ``sin``, ``np``, ``pi``.
    ``f.__diffmagic_source__`` keeps the original text for display.

    Raises :class:`~diffmagic.errors.DiffMagicError` with a one-line message that
    says what to change whenever the text is anything but plain math.
    """
    check_parameter_name(variable)
    source = _prepare_source(text)
    tree = _parse(source)
    variable_names = free_variable_names(tree, source)
    check_nesting_depth(tree)
    check_constant_sizes(tree, source)
    if variable not in variable_names and len(variable_names) == 1:
        variable = next(iter(variable_names))
    parameter_names = [variable, *sorted(variable_names - {variable})]
    function = _compile_function(tree.body, parameter_names)
    function.__diffmagic_source__ = text
    return function


def _prepare_source(text: str) -> str:
    """Refuse empty or over-long text before any parsing, and strip the rest."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise DiffMagicError(
            f"expression is {len(text)} characters long; the limit is "
            f"{MAX_EXPRESSION_LENGTH}: define a function in a cell instead"
        )
    source = text.strip()
    if not source:
        raise DiffMagicError("the expression is empty: write something like `x**2`")
    return source


def _parse(source: str) -> ast.Expression:
    """Parse one expression, turning Python's errors into one-line messages."""
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise DiffMagicError(
            f"expression is not valid Python: {error.msg}{_error_position(error)}"
        ) from None
    except ValueError:  # Python 3.11 reports null bytes as ValueError
        raise DiffMagicError(
            "expression is not valid Python: it contains a null character; remove it"
        ) from None
    except (MemoryError, RecursionError):
        raise DiffMagicError(
            "expression is nested too deeply to parse: define a function in a cell instead"
        ) from None


def _error_position(error: SyntaxError) -> str:
    """Where a syntax error is, as ``" at column N"`` (with the line if not the first)."""
    if error.offset is None:
        return ""
    if error.offset == 0:  # Python's way of saying the text ended too early
        return " at the end: something is missing"
    column = error.offset
    if error.lineno is not None and error.lineno > 1:
        return f" at line {error.lineno}, column {column}"
    return f" at column {column}"


def _compile_function(body: ast.expr, parameter_names: list[str]) -> types.FunctionType:
    """Build ``def f(<parameters>): return <body>`` from the checked tree.

    The module is compiled but never executed: the function's code object is taken
    from the module's constants and bound to fresh, empty globals.
    """
    optional_fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    definition = ast.FunctionDef(
        name=FUNCTION_NAME,
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=name) for name in parameter_names],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=[ast.Return(value=body)],
        decorator_list=[],
        returns=None,
        **optional_fields,
    )
    module = ast.fix_missing_locations(ast.Module(body=[definition], type_ignores=[]))
    module_code = compile(module, _CODE_FILENAME, "exec", dont_inherit=True)
    function_code = next(
        constant for constant in module_code.co_consts if isinstance(constant, types.CodeType)
    )
    return types.FunctionType(function_code, {"__builtins__": {}}, FUNCTION_NAME)
