"""Why an eager automatic-differentiation engine (Autograd, PyTorch, MyGrad) could not run f.

Each engine meets a learner's NumPy function with its own values (Autograd's boxes, PyTorch's
tensors) and says what went wrong in its own internals' words ("'ArrayBox' object has no
attribute", "element 0 of tensors does not require grad"). Here those become one line naming
the construct of f and what to write instead; an error f raises itself keeps its own words.
"""

from __future__ import annotations

import re
import traceback

from diffmagic.limits.explain import (
    _is_users,
    _mentions,
    _raised_in_users_code,
    in_place,
    user_error,
    where,
    writes_into_argument,
)

#: What to write instead, for every engine.
FIX = "write f with np.sin, np.exp, np.where and the like (the other methods still run)"
#: Exceptions whose text is the learner's own (a domain error, a division by zero in f).
_USERS_OWN = (ZeroDivisionError, OverflowError, RecursionError, NameError, AssertionError)


def _engine_function(error: BaseException, engine: str) -> str | None:
    """`np.sinc`: the name f called on its innermost line, when the engine has no such name."""
    text = str(error)
    marker = "backend has no `"
    if marker in text:
        return "np." + text.split(marker, 1)[1].split("`", 1)[0]
    return None


def explain_engine(function_name: str, error: BaseException, engine: str) -> str:
    """One line for why `engine` ("Autograd", "PyTorch", "MyGrad") could not run f."""
    here = where(error)
    if writes_into_argument(error) or _mentions(error, "in-place operation", "a leaf Variable"):
        return in_place(function_name, error)
    if _mentions(error, "truth value", "Boolean value of Tensor"):
        return (
            f"{function_name} uses Python `if` on x{here}: {engine} cannot branch on a whole "
            "array of x; use np.where"
        )
    if _mentions(
        error,
        "only one element tensors",
        "only length-1 arrays",
        "float() argument",
        "__float__",
        "setting an array element with a sequence",
    ):
        return (
            f"{function_name} turns x into a Python number (float(), int(), math on one value)"
            f"{here}: {engine} needs x to stay its own array"
        )
    if isinstance(error, TypeError) and _mentions(error, "bad operand type for abs()"):
        return f"{engine}'s arrays have no Python abs(){here}: write np.abs(x)"
    missing = _engine_function(error, engine)
    if missing is not None:
        return f"{engine} has no counterpart of {missing}{here}: {FIX}"
    ufunc = re.search(r"ufunc '(\w+)'", str(error))
    if ufunc is not None:
        return f"{engine} cannot differentiate np.{ufunc.group(1)}{here}: {FIX}"
    if isinstance(error, NotImplementedError) or _mentions(
        error, "VJP of", "JVP of", "is not implemented"
    ):
        return f"{engine} has no derivative for a function {function_name} calls{here}: {FIX}"
    if isinstance(error, _USERS_OWN) or (
        _raised_in_users_code(error) and not isinstance(error, AttributeError | TypeError)
    ):
        return user_error(function_name, error)
    frames = traceback.extract_tb(error.__traceback__)
    inside = "" if frames and _is_users(frames[-1]) else f" ({type(error).__name__} inside it)"
    return f"{engine} cannot run {function_name}{here}{inside}: {FIX}"
