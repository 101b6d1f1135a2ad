"""What the user handed over, made into one function of one variable.

`compare()` accepts a callable, the text of a notebook cell, or an expression string. All three
end up as a `Target`: the user's function (never modified), the parameter that is differentiated
(`wrt`) and fixed values for the others. `Target.under(backend)` gives the one-variable function
as it runs under SymPy, NumPy or JAX.
"""

from __future__ import annotations

import ast
import collections
import hashlib
import inspect
import linecache
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffmagic.errors import DiffMagicError
from diffmagic.inputs.expression import expression_to_function, looks_like_expression
from diffmagic.inputs.reader import PYTHON, spelled
from diffmagic.inputs.rebind import rebind
from diffmagic.limits import bounds
from diffmagic.limits.guard import Failure, guarded

#: How many cells' texts stay registered with linecache (older ones are dropped).
CELLS_KEPT = 256
#: The linecache names of the cells registered, oldest first.
_registered_cells: collections.OrderedDict[str, None] = collections.OrderedDict()


@dataclass(frozen=True)
class Target:
    """The function to differentiate, with everything needed to call it on one variable."""

    function: Callable[..., Any]
    name: str
    parameters: tuple[str, ...]
    wrt: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None
    keyword_only: frozenset[str] = frozenset()

    def under(
        self, backend: str, convert: Callable[[Any], Any] | None = None
    ) -> Callable[[Any], Any]:
        """The function of `wrt` alone as it runs under `backend`.

        `convert` turns each fixed value into the backend's kind of number (SymPy wants
        `Float(2.0)`, not a NumPy scalar).
        """
        twin = rebind(self.function, backend)
        fixed = {
            name: (convert(value) if convert is not None else value)
            for name, value in self.fixed.items()
        }
        positional_names = [name for name in self.parameters if name not in self.keyword_only]
        keyword_fixed = {name: fixed[name] for name in self.keyword_only if name in fixed}
        wrt = self.wrt
        wrt_is_keyword = wrt in self.keyword_only

        def of_wrt(value: Any) -> Any:
            positional = [value if name == wrt else fixed[name] for name in positional_names]
            if wrt_is_keyword:
                return twin(*positional, **keyword_fixed, **{wrt: value})
            return twin(*positional, **keyword_fixed)

        of_wrt.__name__ = self.name
        return of_wrt

    @property
    def label(self) -> str:
        """How the function is called in headings: `f(x)` or `f(x; y=2)`."""
        if not self.fixed:
            return f"{self.name}({self.wrt})"
        fixed = ", ".join(f"{name}={_short(value)}" for name, value in self.fixed.items())
        return f"{self.name}({self.wrt}; {fixed})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 20 else text[:17] + "..."


def defined_functions(tree: ast.Module) -> list[str]:
    """Names of the functions a cell defines at its top level (`def`, or `name = lambda`)."""
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    names += [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    return names


def _registered(text: str) -> str:
    """A file name for the cell's code, registered with linecache so that error messages quote
    the user's line. Named by the text itself: a cell rerun a thousand times is one entry, and
    only the last CELLS_KEPT cells stay (each entry holds the cell's whole text)."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    filename = f"<diffmagic cell {digest[:16]}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    _registered_cells[filename] = None
    _registered_cells.move_to_end(filename)
    while len(_registered_cells) > CELLS_KEPT:
        dropped, _ = _registered_cells.popitem(last=False)
        linecache.cache.pop(dropped, None)
    return filename


def _compile_cell(
    text: str, origin: str = "the cell", seconds: float = bounds.METHOD_SECONDS
) -> tuple[dict[str, Any], list[str]]:
    """Run the code in a fresh namespace; return it and the names of the functions it defines.

    `origin` names the code in messages: "the cell", or a file's path. The code's top level
    runs under the one guard (`guard.guarded`): a cell that sleeps, loops or blocks in one C
    call before its `def` is stopped after `seconds` with a line naming it, on any thread.
    `SystemExit` is let through for the command line to word (a file's `sys.exit()`).
    """
    filename = _registered(text)
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as error:
        where = f" (line {error.lineno})" if error.lineno else ""
        raise DiffMagicError(f"{origin} is not valid Python: {error.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise DiffMagicError(f"{origin} is nested too deeply for Python to read") from None
    defined = defined_functions(tree)
    namespace: dict[str, Any] = {"__name__": "__diffmagic_cell__"}
    code = compile(tree, filename, "exec")
    ran = guarded(
        lambda: exec(code, namespace),
        seconds=seconds,
        name=origin,
        explain=_running_raised,
        describe_timeout=lambda limit: (
            f"running {origin} took longer than {limit:g} s: its top-level code (outside "
            "any def) sleeps, loops or waits; move that work into a function, or raise "
            "the time limit"
        ),
        passthrough=(DiffMagicError, SystemExit),
    )
    if isinstance(ran, Failure):
        raise DiffMagicError(ran.reason)
    return namespace, defined


def _running_raised(origin: str, error: BaseException) -> str:
    return f"running {origin} raised {type(error).__name__}: {error}"


def chosen_function(
    defined: list[str], func: str | None, skip: Collection[str], origin: str
) -> str | None:
    """The name of the function to differentiate: `func`, else the last one not in `skip`.

    `skip` holds the names given as yours (`--yours dfdx`, `yours=dfdx`): the lab defines `f`
    and then `dfdx`, and the learner's derivative is never the function differentiated.
    None when the code defines nothing to choose from.
    """
    skipped = set(skip)
    if func is not None:
        if func in skipped:
            raise DiffMagicError(
                f"`{func}` is named both as the function to differentiate and as yours: "
                "name another function with func (--func)"
            )
        return func
    left = [name for name in defined if name not in skipped]
    if left:
        return left[-1]
    if defined:
        names = ", ".join(f"`{name}`" for name in dict.fromkeys(defined))
        raise DiffMagicError(
            f"{origin} defines only {names}, named as yours: define the function to "
            "differentiate too, e.g. def f(x): return x**2"
        )
    return None


def function_from_cell(
    text: str,
    func: str | None = None,
    origin: str = "the cell",
    skip: Collection[str] = (),
    seconds: float = bounds.METHOD_SECONDS,
) -> Callable[..., Any]:
    """The function code defines: the one named `func`, else the last one not named in `skip`
    (the names given as yours); its top-level code stops after `seconds`."""
    namespace, defined = _compile_cell(text, origin, seconds)
    name = chosen_function(defined, func, skip, origin)
    if func is not None:
        if func not in namespace:
            known = ", ".join(defined) or "nothing"
            raise DiffMagicError(f"{origin} defines no `{func}`; it defines {known}")
        return namespace[func]
    if name is None:
        raise DiffMagicError(
            f"{origin} defines no function: write `def f(x): return ...` "
            "or give an expression such as `x**2`"
        )
    return namespace[name]


def resolve_function(
    source: Any,
    func: str | None = None,
    skip: Collection[str] = (),
    seconds: float = bounds.METHOD_SECONDS,
) -> tuple[Callable[..., Any], str | None]:
    """The callable behind a callable, a cell text or an expression, and its source text.

    `skip`: names given as yours, never chosen as the function of a cell's text; `seconds`:
    how long a cell's top-level code may run (the caller's method time limit).
    """
    if isinstance(source, str):
        text = source.strip()
        if not text:
            raise DiffMagicError("nothing to differentiate: the text is empty")
        if looks_like_expression(text):
            return expression_to_function(text), text
        return function_from_cell(text, func, skip=skip, seconds=seconds), text
    if callable(source):
        if func is not None:
            raise DiffMagicError("`func` picks a function from cell text; pass the function itself")
        return source, None
    raise DiffMagicError(
        f"cannot differentiate a {type(source).__name__}: "
        "pass a function, a cell's text or an expression such as 'x**2'"
    )


def _check_is_plain_function(function: Any, name: str) -> inspect.Signature:
    if inspect.isclass(function):
        raise DiffMagicError(f"`{name}` is a class, not a function: pass a function of x")
    if inspect.isgeneratorfunction(function):
        raise DiffMagicError(f"`{name}` is a generator (it uses `yield`): return a number instead")
    if inspect.iscoroutinefunction(function):
        raise DiffMagicError(f"`{name}` is async: differentiate a plain `def` function")
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        raise DiffMagicError(f"cannot read the parameters of `{name}`") from None


def _parameters(
    signature: inspect.Signature, name: str
) -> tuple[list[str], set[str], dict[str, Any]]:
    """(names in order, the keyword-only ones, defaults) of a function of named parameters."""
    parameters: list[str] = []
    keyword_only: set[str] = set()
    defaults: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise DiffMagicError(
                f"`{name}` takes *args or **kwargs: name each parameter, e.g. def {name}(x, a)"
            )
        parameters.append(parameter.name)
        if parameter.kind is parameter.KEYWORD_ONLY:
            keyword_only.add(parameter.name)
        if parameter.default is not parameter.empty:
            defaults[parameter.name] = parameter.default
    return parameters, keyword_only, defaults


def make_target(
    source: Any,
    *,
    func: str | None = None,
    wrt: str | None = None,
    params: Mapping[str, Any] | None = None,
    skip: Collection[str] = (),
    unnamed: str = "f",
    reader: str = PYTHON,
    seconds: float = bounds.METHOD_SECONDS,
) -> Target:
    """Check what the user handed over and fix everything but the variable.

    `skip`: the names given as yours, which a cell's text never offers as the function.
    `unnamed`: what to call a function without a name of its own (a lambda) in messages.
    `reader`: who reads a refusal (`inputs.reader`): it names keywords or --options.
    `seconds`: how long a cell's top-level code may run.
    """
    function, text = resolve_function(source, func, skip, seconds)
    name = getattr(function, "__name__", None) or unnamed
    if name == "<lambda>":
        name = unnamed
    if isinstance(function, np.ufunc):
        # np.sin's signature lists out=, where=, dtype=...: its inputs are what is meant.
        if function.nin != 1 or wrt not in (None, "x"):
            raise DiffMagicError(
                f"np.{name} takes {function.nin} inputs: wrap it, "
                f"e.g. def f(x): return np.{name}(x)"
            )
        return Target(function=function, name=name, parameters=("x",), wrt="x", source=text)
    parameters, keyword_only, defaults = _parameters(_check_is_plain_function(function, name), name)
    if not parameters:
        raise DiffMagicError(f"`{name}` takes no arguments: give it a variable, e.g. def {name}(x)")

    chosen = wrt if wrt is not None else parameters[0]
    if chosen not in parameters:
        raise DiffMagicError(
            f"`{name}` has no parameter `{chosen}`: its parameters are {', '.join(parameters)}"
        )
    if params is not None and not isinstance(params, Mapping):
        raise DiffMagicError(
            f"params must be a dict of fixed values such as {{'a': 1.0}}, not {params!r:.40}"
        )
    given = dict(params or {})
    if not all(isinstance(key, str) for key in given):
        raise DiffMagicError("params must be keyed by parameter names such as 'a'")
    unknown = [key for key in given if key not in parameters]
    if unknown:
        raise DiffMagicError(
            f"`{name}` has no parameter `{unknown[0]}`: its parameters are {', '.join(parameters)}"
        )
    if chosen in given:
        raise DiffMagicError(
            f"`{chosen}` is the variable being differentiated: it cannot also have a fixed value"
        )
    fixed = {p: given.get(p, defaults.get(p)) for p in parameters if p != chosen}
    missing = [p for p in fixed if p not in given and p not in defaults]
    if missing:
        raise DiffMagicError(_needs_values(name, chosen, missing, parameters, wrt is None, reader))
    return Target(
        function=function,
        name=name,
        parameters=tuple(parameters),
        wrt=chosen,
        fixed=fixed,
        source=text,
        keyword_only=frozenset(keyword_only),
    )


def _needs_values(
    name: str,
    chosen: str,
    missing: list[str],
    parameters: list[str],
    wrt_chosen_by_default: bool,
    reader: str,
) -> str:
    """`f(x, y)` with no value for y: fix y to differentiate in x, or (when the variable was
    not named) take every partial derivative, spelt for the reader."""
    values = ", ".join(f"'{parameter}': 1.0" for parameter in missing)
    options = " ".join(f"--param {parameter}=1.0" for parameter in missing)
    named = [f"`{parameter}`" for parameter in missing]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    head = f"`{name}` needs a value for {listed}"
    if not wrt_chosen_by_default:
        return head + spelled(
            reader, python=f": pass params={{{values}}}", options=f": add {options}"
        )
    point = {parameter: 1.0 for parameter in parameters}
    return head + spelled(
        reader,
        python=f": pass params={{{values}}} to differentiate in {chosen}, or "
        f"diffmagic.partial_derivatives({name}, {point}) for every partial derivative",
        options=f": --wrt {chosen} {options} differentiates in {chosen}; --gradient --at "
        f"{','.join(f'{parameter}=1' for parameter in parameters)} gives every partial "
        "derivative",
    )
