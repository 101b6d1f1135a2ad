"""Exceptions turned into one line a learner understands.

A method that fails becomes a row with a reason, never a traceback. The reason names what in the
user's code caused it (their line, not ours) and, where there is one, the fix.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import traceback
from typing import Any

_LIBRARY_MARKERS = (os.sep + "site-packages" + os.sep, os.sep + "diffmagic" + os.sep, "<frozen ")


class MethodFailure(Exception):
    """A method could not produce a derivative; the message is shown to the user as is."""


class RefusedInF(ValueError):
    """diffmagic's own refusal raised while f runs (a reduction along an axis of one number, a
    SymPy function NumPy has no counterpart for): it already says what is wrong and how to fix
    it, so it is shown as it is, with the user's line, never as "f raised ..."."""


def _is_users(frame: traceback.FrameSummary) -> bool:
    filename = frame.filename or ""
    return not any(marker in filename for marker in _LIBRARY_MARKERS) and not filename.startswith(
        os.path.dirname(os.__file__)
    )


def _user_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of the traceback that belongs to the user's code."""
    user_frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _is_users(frame)]
    return user_frames[-1] if user_frames else None


def where(error: BaseException) -> str:
    """` (line 3: return 1/x)` for the user's line that raised, or ''."""
    frame = _user_frame(error)
    if frame is None:
        return ""
    line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
    if len(line) > 60:
        line = line[:57] + "..."
    name = f"in {frame.name}, " if frame.name not in ("<module>", "<lambda>") else ""
    return f" ({name}line {frame.lineno}: {line})" if line else f" ({name}line {frame.lineno})"


def _text(value: Any) -> str:
    """str(value), even for an exception whose own __str__ raises."""
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__} whose message cannot be shown>"


def one_line(text: Any, limit: int = 200) -> str:
    """First line of a message, cut to `limit` characters."""
    stripped = _text(text).strip()
    first = stripped.splitlines()[0] if stripped else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


def user_error(function_name: str, error: BaseException) -> str:
    """`f raised ZeroDivisionError: division by zero (line 2: return 1/x)`.

    diffmagic's own refusals raised inside f (a reduction along an axis of one number) already
    say what is wrong and how to fix it: they are shown as they are, with the user's line.
    """
    if isinstance(error, RefusedInF):
        return f"{one_line(error)}{where(error)}"
    if writes_into_argument(error):
        return in_place(function_name, error)
    return f"{function_name} raised {type(error).__name__}: {one_line(error, 120)}{where(error)}"


def writes_into_argument(error: BaseException) -> bool:
    """NumPy's read-only grid, a SymPy symbol or a JAX array refusing an in-place write."""
    return _mentions(error, "read-only", "does not support item assignment", "are immutable")


def in_place(function_name: str, error: BaseException) -> str:
    own = _own_array_written(error)
    if own is not None:
        return (
            f"{function_name} writes into an array it made{where(error)}: JAX cannot change "
            f"arrays in place; build `{own}` whole (np.array([...])) or use {own}.at[i].set(v)"
        )
    return (
        f"{function_name} modifies its argument in place{where(error)}: write `x = x * 2` "
        "instead of `x *= 2`, or np.where(x < 0, 0, x) instead of `x[x < 0] = 0`"
    )


def _own_array_written(error: BaseException) -> str | None:
    """The name of the array the user's line writes into (`out[0] = ...`) when it is not one
    of the function's arguments (nor the same object), else None."""
    import ast

    tb, frame = error.__traceback__, None
    while tb is not None:
        if not any(marker in tb.tb_frame.f_code.co_filename for marker in _LIBRARY_MARKERS):
            frame = tb.tb_frame
        tb = tb.tb_next
    summary = _user_frame(error)
    if frame is None or summary is None or not summary.line:
        return None
    try:
        statement = ast.parse(summary.line.strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    targets = getattr(statement, "targets", None) or [getattr(statement, "target", None)]
    target = targets[0]
    if not isinstance(target, ast.Subscript) or not isinstance(target.value, ast.Name):
        return None
    name = target.value.id
    code = frame.f_code
    arguments = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    written = frame.f_locals.get(name)
    if name in arguments or any(frame.f_locals.get(a) is written for a in arguments):
        return None
    return name


def _mentions(error: BaseException, *fragments: str) -> bool:
    text = _text(error)
    return any(fragment in text for fragment in fragments)


def explain_symbolic(function_name: str, error: BaseException) -> str:
    """Why SymPy could not trace the function, and what to write instead."""
    if writes_into_argument(error):
        return in_place(function_name, error)
    if isinstance(error, RecursionError):
        return f"{function_name} recurses too deeply for SymPy to trace"
    if isinstance(error, TypeError) and _mentions(error, "truth value of Relational"):
        return (
            f"uses Python `if`, `and`/`or` or a comparison on {function_name}'s variable"
            f"{where(error)}: SymPy cannot follow branches; use np.where(cond, a, b)"
        )
    if isinstance(error, TypeError) and _mentions(
        error, "convert expression to", "Cannot convert", "can't convert"
    ):
        return (
            f"turns the variable into a plain number (float(), int(), a NumPy scalar)"
            f"{where(error)}: SymPy needs it to stay a symbol"
        )
    if isinstance(error, TypeError | AttributeError) and _mentions(
        error, "loop of ufunc", "no callable"
    ):
        return (
            f"calls a NumPy function that SymPy has no counterpart for{where(error)}: "
            "use functions such as np.sin, np.exp, np.where, np.maximum"
        )
    if isinstance(error, AttributeError) and _mentions(error, "backend has no"):
        return (
            f"uses {one_line(error, 80).replace('sympy backend has no', 'a function SymPy lacks:')}"
        )
    return foreign(function_name, error, "SymPy") or user_error(function_name, error)


def explain_jax(function_name: str, error: BaseException) -> str:
    """Why JAX could not trace the function."""
    if writes_into_argument(error):
        return in_place(function_name, error)
    kind = type(error).__name__
    if kind in ("TracerBoolConversionError", "ConcretizationTypeError"):
        return (
            f"uses Python `if` or a comparison on the variable{where(error)}: "
            "JAX cannot compile branches on traced values; use jnp.where or jax.lax.cond"
        )
    if kind == "TracerIntegerConversionError" or (
        isinstance(error, TypeError) and _mentions(error, "only length-1 arrays", "convert")
    ):
        return (
            f"turns the variable into a Python number (float(), int(), math on a NumPy scalar)"
            f"{where(error)}: JAX needs it to stay an array"
        )
    if isinstance(error, TypeError) and _mentions(error, "Gradient only defined for scalar"):
        return f"{function_name} returns an array, not one number: it must return a scalar"
    return foreign(function_name, error, "JAX") or user_error(function_name, error)


# --- foreign exception texts, in words -----------------------------------------------------
# What a library says when it meets another library's value ("'Mul' object has no attribute
# 'dtype'", NumPy's "ufunc 'ndtr' not supported for the input types", JAX's
# TracerArrayConversionError) describes its own internals, not the learner's code. Such an
# error is recognised by where it was raised (inside a library, on the backend's value) or by
# its kind, and said as: which construct of f the backend cannot trace, and what to write.

#: What to write instead, by backend.
_FIXES = {
    "SymPy": "write it with np.sin, np.exp, np.where and the like (the other methods still run)",
    "JAX": "use its jax.numpy or jax.scipy version (jax.scipy.special.ndtr, ...)",
}
#: Array methods that have a traceable spelling, and that spelling.
_ARRAY_METHOD_FIXES = {
    "astype": "write np.where(x > 0, 1.0, 0.0) instead of (x > 0).astype(float)",
    "reshape": "return one number per x instead of reshaping x",
    "item": "return the expression itself instead of .item()",
    "tolist": "return the expression itself instead of .tolist()",
}


def foreign(function_name: str, error: BaseException, backend: str) -> str | None:
    """One line in words for an error that only a library's internals explain, else None.

    `backend` ("SymPy", "JAX") is what was tracing f: its value is what the library met.
    """
    fix = _FIXES[backend]
    here = where(error)
    owner = type(getattr(error, "obj", None)).__module__ or ""
    if isinstance(error, AttributeError) and owner.startswith(("sympy", "jax")):
        attribute = getattr(error, "name", None) or "an attribute"
        if _raised_in_users_code(error):
            return (
                f"{function_name} uses `.{attribute}` on its variable{here}, a NumPy array's; "
                f"under {backend} the variable is no NumPy array: "
                f"{_ARRAY_METHOD_FIXES.get(attribute, fix)}"
            )
        construct = _library_function(error) or "a function that needs NumPy arrays"
        return f"{backend} cannot trace {construct}{here}: it works on NumPy arrays only; {fix}"
    ufunc = re.search(r"ufunc '(\w+)'", _text(error))
    if isinstance(error, TypeError) and ufunc is not None:
        construct = _ufunc_spelling(ufunc.group(1))
        return f"{backend} cannot trace {construct}{here}, a NumPy ufunc: {fix}"
    kind = type(error).__name__
    if (
        backend == "SymPy"
        and isinstance(error, TypeError | ValueError)
        and "sympy." in _text(error).lower()
    ):
        # Another library met SymPy's symbol ("Argument 'x' of type <class 'sympy.core.
        # symbol.Symbol'> is not a valid JAX type"); JAX hides its own frames.
        return (
            f"SymPy cannot trace {function_name}{here}: it hands SymPy's symbol to code that "
            f"needs numbers or arrays ({kind}); {fix}"
        )
    if type(error).__module__.startswith("jax"):
        if kind == "TracerArrayConversionError":
            return (
                f"{function_name} hands JAX's traced variable to a function that needs a NumPy "
                f"array{here}: {fix}"
            )
        return f"JAX cannot trace {function_name}{here} ({kind}): {fix}"
    # JAX's own TypeErrors name the fix ("norm requires ndarray or scalar arguments, got
    # list"); NumPy's, met by a SymPy symbol deep inside it, never do.
    if (
        backend == "SymPy"
        and isinstance(error, TypeError | AttributeError | ValueError | IndexError)
        and not _raised_in_users_code(error)
    ):
        construct = _library_function(error)
        if construct is not None:
            return f"{backend} cannot trace {construct}{here} ({kind} inside it): {fix}"
    return None


def _raised_in_users_code(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and _is_users(frames[-1])


def _library_function(error: BaseException) -> str | None:
    """`np.sinc`: the library function the user's innermost line called, which raised."""
    frames = traceback.extract_tb(error.__traceback__)
    users = [index for index, frame in enumerate(frames) if _is_users(frame)]
    if not users or users[-1] + 1 >= len(frames):
        return None
    called = frames[users[-1] + 1]
    path = (called.filename or "").replace(os.sep, "/")
    numpy = sys.modules.get("numpy")
    if "/numpy/" in path and numpy is not None and hasattr(numpy, called.name):
        return f"np.{called.name}"
    for package, spelling in (("jax", "jax"), ("scipy", "scipy"), ("numpy", "np")):
        if f"/{package}/" in path:
            parts = path.split(f"/{package}/", 1)[1].split("/")[:-1]
            public = [part for part in parts if not part.startswith("_")][:1]
            return ".".join([spelling, *public, called.name])
    return None


def _ufunc_spelling(name: str) -> str:
    """`np.logaddexp` or `scipy.special.ndtr`: where a ufunc of that name comes from."""
    import numpy as np

    if hasattr(np, name):
        return f"np.{name}"
    special = sys.modules.get("scipy.special")
    if special is not None and hasattr(special, name):
        return f"scipy.special.{name}"
    return f"the ufunc {name}"
