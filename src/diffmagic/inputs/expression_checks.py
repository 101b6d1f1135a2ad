"""Check a parsed math expression node by node before anything compiles it.

:mod:`diffmagic.inputs.expression` parses the text; this module decides whether the tree is plain
math: numbers, variables, arithmetic, one comparison at a time, and calls of the functions
in :mod:`diffmagic.inputs.vocabulary`. Anything else is refused with a one-line message that quotes
the offending text and says what to write instead, so a learner can fix the expression
without reading a traceback. The depth limit lives here too: it is what keeps every
recursive walker after these checks (CPython's compiler, a backend's) from overflowing.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import keyword
import re

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.vocabulary import CONSTANT_NAMES, FUNCTION_NAMES, MODULE_NAMES

MAX_NESTING_DEPTH = 50
"""Deeper trees are refused so no recursive walker (ours, CPython's compiler or a
backend's) can overflow. A chain ``a + b + c + ...`` nests one level per term."""

MAX_VARIABLE_NAME_LENGTH = 32

_SNIPPET_LENGTH = 40
_ALLOWED_HINT = "only numbers, x, operators and functions like sin(x) are allowed"
_WHERE_HINT = "use where(condition, value_if_true, value_if_false) instead"
_EXAMPLE_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "where")
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_PYTHON_BUILTIN_NAMES = frozenset(dir(builtins))

_ALLOWED_BINARY_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_ALLOWED_UNARY_OPERATORS = (ast.UAdd, ast.USub)
_ALLOWED_COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Not: "not",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_OPERATOR_HINTS: dict[type[ast.AST], str] = {
    ast.BitXor: "write x**2 for powers",
    ast.MatMult: "write * for multiplication",
}
# Operators and load/store markers are checked by the node that holds them.
_CHECKED_BY_PARENT_TYPES = (ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)

_CONSTRUCT_DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Lambda: "a lambda",
    ast.IfExp: "a conditional expression",
    ast.BoolOp: "the logical operator",
    ast.Subscript: "indexing",
    ast.Slice: "a slice",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment",
    ast.Starred: "unpacking",
}
_CONSTRUCT_HINTS: dict[type[ast.AST], str] = {
    ast.IfExp: _WHERE_HINT,
    ast.BoolOp: _WHERE_HINT,
}


def free_variable_names(tree: ast.Expression, source: str) -> set[str]:
    """Check every node against the whitelist and collect the variable names.

    ``ast.walk`` is iterative, so this is safe before the depth check. A call or an
    attribute vouches for the nodes it is made of (the ``sin`` in ``sin(x)``, the
    ``np`` in ``np.pi``); those nodes are then skipped instead of being refused as
    a bare function name or a bare module.
    """
    vouched_node_ids: set[int] = set()
    variable_names: set[str] = set()
    for node in ast.walk(tree.body):
        if id(node) in vouched_node_ids or isinstance(node, _CHECKED_BY_PARENT_TYPES):
            continue
        if isinstance(node, ast.Name):
            if _is_variable(node):
                variable_names.add(node.id)
        elif isinstance(node, ast.Call):
            vouched_node_ids.update(_check_call(node, source))
        elif isinstance(node, ast.Attribute):
            vouched_node_ids.update(_check_constant_attribute(node, source))
        elif isinstance(node, ast.Constant):
            _check_number(node, source)
        elif isinstance(node, ast.BinOp):
            _check_operator(node.op, _ALLOWED_BINARY_OPERATORS)
        elif isinstance(node, ast.UnaryOp):
            _check_operator(node.op, _ALLOWED_UNARY_OPERATORS)
        elif isinstance(node, ast.Compare):
            _check_comparison(node, source)
        else:
            raise _construct_error(node, source)
    return variable_names


def check_parameter_name(variable: str) -> None:
    """Refuse a ``variable`` argument that could not be a parameter of ``f``."""
    for kind, reserved_names in (
        ("function", FUNCTION_NAMES),
        ("constant", CONSTANT_NAMES),
        ("module", MODULE_NAMES),
    ):
        if variable in reserved_names:
            raise DiffMagicError(
                f"cannot use `{variable}` as the variable: it is a {kind} name; "
                "pick another name, like x or t"
            )
    problem = _variable_name_problem(variable)
    if problem is not None:
        raise DiffMagicError(problem)


def check_nesting_depth(tree: ast.Expression) -> None:
    """Refuse trees deeper than MAX_NESTING_DEPTH, measured without recursion."""
    pending_nodes: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while pending_nodes:
        node, depth = pending_nodes.pop()
        if depth > MAX_NESTING_DEPTH:
            raise DiffMagicError(
                f"expression is nested more than {MAX_NESTING_DEPTH} levels deep (each "
                "term of a+b+c+... counts as a level): define a function in a cell instead"
            )
        pending_nodes.extend(
            (child, depth + 1)
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, _CHECKED_BY_PARENT_TYPES)
        )


def _is_variable(node: ast.Name) -> bool:
    """True for a variable name, False for a constant; refuse everything else."""
    name = node.id
    if name in CONSTANT_NAMES:
        return False
    if name in FUNCTION_NAMES:
        raise DiffMagicError(f"`{name}` is a function: call it, like {name}(x)")
    if name in MODULE_NAMES:
        raise DiffMagicError(
            f"`{name}` on its own is not a number: use it as {name}.sin(x) or {name}.pi"
        )
    problem = _variable_name_problem(name)
    if problem is not None:
        raise DiffMagicError(problem)
    return True


def _variable_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a variable, or None when it can."""
    if name.startswith("_"):
        return f"name `{name}` starts with an underscore: variable names must start with a letter"
    if not _PLAIN_IDENTIFIER.fullmatch(name):
        return (
            f"variable name `{name}` is not allowed: use ASCII letters, digits and "
            "underscores, starting with a letter"
        )
    if len(name) > MAX_VARIABLE_NAME_LENGTH:
        return (
            f"variable name `{name[:MAX_VARIABLE_NAME_LENGTH]}...` is {len(name)} characters "
            f"long; the limit is {MAX_VARIABLE_NAME_LENGTH}: use a shorter name"
        )
    if keyword.iskeyword(name):
        return f"`{name}` is a Python keyword, not a variable: use another name"
    if name in _PYTHON_BUILTIN_NAMES:
        return f"`{name}` is a Python built-in name, not a variable: use another name"
    return None


def _check_call(node: ast.Call, source: str) -> list[int]:
    """Allow ``sin(...)`` and ``np.sin(...)``; return the ids of the callee's nodes."""
    if node.keywords:
        raise _keyword_error(node.keywords[0])
    callee = node.func
    if isinstance(callee, ast.Name):
        return _check_called_name(callee)
    if isinstance(callee, ast.Attribute):
        return _check_called_attribute(callee, source)
    raise DiffMagicError(
        f"cannot call `{snippet(callee, source)}`: only functions like sin(x) can be called"
    )


def _check_called_name(callee: ast.Name) -> list[int]:
    """Allow a bare function name from the vocabulary as a callee."""
    name = callee.id
    if name in FUNCTION_NAMES:
        return [id(callee)]
    if name in CONSTANT_NAMES:
        raise DiffMagicError(
            f"`{name}` is a constant, not a function: write {name}*(...) to multiply"
        )
    raise _unknown_function_error(name, multiply_hint=_variable_name_problem(name) is None)


def _check_called_attribute(callee: ast.Attribute, source: str) -> list[int]:
    """Allow ``np.NAME`` / ``math.NAME`` / ... with NAME a known function."""
    module = callee.value
    if isinstance(module, ast.Name) and module.id in MODULE_NAMES:
        qualified_name = f"{module.id}.{callee.attr}"
        if callee.attr in FUNCTION_NAMES:
            return [id(callee), id(module)]
        if callee.attr in CONSTANT_NAMES:
            raise DiffMagicError(
                f"`{qualified_name}` is a constant, not a function: "
                f"write {qualified_name}*(...) to multiply"
            )
        raise _unknown_function_error(qualified_name, multiply_hint=False)
    dotted_name = _dotted_name(callee)
    if dotted_name is not None and dotted_name.split(".")[0] in MODULE_NAMES:
        raise _unknown_function_error(dotted_name, multiply_hint=False)
    raise _construct_error(callee, source)


def _check_constant_attribute(node: ast.Attribute, source: str) -> list[int]:
    """Allow ``np.pi`` and friends outside a call; return the id of the module name."""
    module = node.value
    if not (isinstance(module, ast.Name) and module.id in MODULE_NAMES):
        raise _construct_error(node, source)
    qualified_name = f"{module.id}.{node.attr}"
    if node.attr in CONSTANT_NAMES:
        return [id(module)]
    if node.attr in FUNCTION_NAMES:
        raise DiffMagicError(f"`{qualified_name}` is a function: call it, like {qualified_name}(x)")
    raise DiffMagicError(
        f"unknown constant `{qualified_name}`: use one of "
        + ", ".join(f"{module.id}.{name}" for name in sorted(CONSTANT_NAMES))
    )


def _check_number(node: ast.Constant, source: str) -> None:
    """Allow int and float literals only (not bool, complex, text or None)."""
    if type(node.value) in (int, float):
        return
    if isinstance(node.value, (str, bytes)):
        kind = "text"
    elif isinstance(node.value, complex):
        kind = "the complex number"
    else:
        kind = "the constant"
    raise DiffMagicError(
        f"cannot use {kind} `{snippet(node, source)}` in an expression: {_ALLOWED_HINT}"
    )


def _check_operator(operator: ast.AST, allowed_types: tuple[type[ast.AST], ...]) -> None:
    """Refuse operators outside arithmetic and comparison, naming the symbol."""
    if isinstance(operator, allowed_types):
        return
    symbol = _OPERATOR_SYMBOLS.get(type(operator), type(operator).__name__)
    hint = _OPERATOR_HINTS.get(type(operator), _ALLOWED_HINT)
    raise DiffMagicError(f"operator `{symbol}` is not allowed in an expression: {hint}")


def _check_comparison(node: ast.Compare, source: str) -> None:
    """Allow one plain comparison such as ``x > 0``; chains misbehave on arrays."""
    if len(node.ops) > 1:
        raise DiffMagicError(
            f"chained comparison `{snippet(node, source)}` is not allowed: compare two "
            "values at a time, like where(x > 0, x, 0)"
        )
    _check_operator(node.ops[0], _ALLOWED_COMPARISONS)


def _dotted_name(node: ast.expr) -> str | None:
    """``np.linalg.inv`` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _unknown_function_error(name: str, *, multiply_hint: bool) -> DiffMagicError:
    """The message for a call of a name outside the vocabulary.

    For ``np.linalg.inv`` the examples keep the module, as in ``np.sin``.
    """
    module, dot, bare = name.partition(".")
    prefix = module + dot if dot else ""
    close = difflib.get_close_matches(bare or module, sorted(FUNCTION_NAMES), n=1, cutoff=0.8)
    if close:
        # A misspelling of a name that works: say that name, not a list.
        return DiffMagicError(f"unknown function `{name}`: did you mean {prefix}{close[0]}?")
    examples = ", ".join(prefix + example for example in _EXAMPLE_FUNCTIONS)
    message = f"unknown function `{name}`: use one of {examples}, ..."
    if multiply_hint:
        message += f" (to multiply by a variable, write {name}*(...))"
    return DiffMagicError(message)


def _keyword_error(argument: ast.keyword) -> DiffMagicError:
    """The message for ``sin(x, out=y)`` or ``f(**kwargs)``."""
    written = f"{argument.arg}=" if argument.arg is not None else "**"
    return DiffMagicError(
        f"keyword argument `{written}` is not allowed in an expression: "
        "pass arguments by position, like clip(x, 0, 1)"
    )


def _construct_error(node: ast.AST, source: str) -> DiffMagicError:
    """The message for a construct outside the whitelist, quoting the offending text."""
    description = _CONSTRUCT_DESCRIPTIONS.get(type(node), f"`{type(node).__name__}`")
    hint = _CONSTRUCT_HINTS.get(type(node), _ALLOWED_HINT)
    return DiffMagicError(
        f"cannot use {description} `{snippet(node, source)}` in an expression: {hint}"
    )


def snippet(node: ast.AST, source: str) -> str:
    """The source text of ``node`` on one short line, for quoting in a message."""
    text = ast.get_source_segment(source, node) or type(node).__name__
    one_line_text = " ".join(text.split())
    if len(one_line_text) > _SNIPPET_LENGTH:
        return one_line_text[: _SNIPPET_LENGTH - 3] + "..."
    return one_line_text
