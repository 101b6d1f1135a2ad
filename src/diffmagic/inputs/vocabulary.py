"""The math names diffmagic understands, listed once.

The expression parser decides from these lists which names in a string such as
``"exp(-2*x) + a*sin(x)"`` are functions, which are constants and which are
variables; every backend (NumPy, JAX, SymPy, ...) builds the namespace it runs a
function in from the same lists. Keeping a single list means the parser can never
accept a name that a backend then fails to supply, and a backend can never grow a
name that the parser silently treats as a variable.
"""

FUNCTION_NAMES: frozenset[str] = frozenset(
    {
        # trigonometric and their inverses (NumPy spelling and the short spelling)
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "arctan2",
        "asin",
        "acos",
        "atan",
        # hyperbolic and their inverses
        "sinh",
        "cosh",
        "tanh",
        "arcsinh",
        "arccosh",
        "arctanh",
        "asinh",
        "acosh",
        "atanh",
        # exponentials and logarithms
        "exp",
        "exp2",
        "expm1",
        "log",
        "log2",
        "log10",
        "log1p",
        # powers and roots
        "sqrt",
        "cbrt",
        "power",
        "square",
        "hypot",
        # pieces, kinks and steps
        "abs",
        "absolute",
        "fabs",
        "sign",
        "maximum",
        "minimum",
        "where",
        "clip",
        "heaviside",
        "floor",
        "ceil",
        # the activations of machine learning (kinks shown with each backend's convention)
        "relu",
        "sigmoid",
        "softplus",
        # the spelling of the natural logarithm that calculus courses use
        "ln",
        # reductions (`max` and `min` called with two or more values are pointwise, as in
        # Python: max(x, 0) is relu; called with one array they reduce it, as np.max does)
        "sum",
        "mean",
        "prod",
        "max",
        "min",
    }
)
"""Names that may be called in an expression: ``sin(x)``, ``np.exp(x)``."""

CONSTANT_NAMES: frozenset[str] = frozenset({"pi", "e", "inf", "nan"})
"""Names that stand for a number, bare (``pi``) or as an attribute (``np.pi``)."""

MODULE_NAMES: frozenset[str] = frozenset({"np", "numpy", "jnp", "math"})
"""Module spellings allowed before a function or constant: ``np.sin``, ``math.pi``.

Backends bind each of these to a namespace of their own, so ``np.sin`` means the
backend's sine, not necessarily NumPy's.
"""
