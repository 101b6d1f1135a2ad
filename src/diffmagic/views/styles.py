"""How each row of the comparison is drawn, and which rows are drawn at all.

One table of styles for the figure's curves, their errors and their tangents, so that a method
keeps its colour and marker in every part of the figure and in every figure that shows it.
"""

from __future__ import annotations

from typing import Any

#: How each method is drawn: symbolic a line, np.gradient dots as in the lab, JAX dashed.
STYLES: dict[str, dict[str, Any]] = {
    "symbolic": {"color": "C0", "linestyle": "-", "linewidth": 2.2},
    "numerical": {"color": "C1", "linestyle": "none", "marker": "o", "markersize": 3.5},
    "finite_difference": {"color": "C2", "linestyle": "none", "marker": "x", "markersize": 4},
    "automatic": {"color": "C3", "linestyle": "--", "linewidth": 1.6},
    "yours": {"color": "C5", "linestyle": "-", "linewidth": 1.3, "alpha": 0.9},
}
#: Rows compiled by JAX draw like their NumPy twin, in a lighter, dotted variant.
ENGINE_VARIANT: dict[str, dict[str, Any]] = {
    "symbolic@jax": {"color": "C9", "linestyle": ":", "linewidth": 2.0},
    "finite_difference@jax": {"color": "C8", "linestyle": "none", "marker": "+", "markersize": 5},
    "numerical@jax": {"color": "C6", "linestyle": "none", "marker": "s", "markersize": 3},
    # Automatic differentiation on other engines: dashed like JAX's, each its own colour.
    "automatic@eager": {"color": "C3", "linestyle": (0, (1, 2)), "linewidth": 1.6},
    "autograd": {"color": "tab:olive", "linestyle": (0, (5, 2)), "linewidth": 1.5},
    "torch": {"color": "tab:brown", "linestyle": (0, (3, 1, 1, 1)), "linewidth": 1.5},
    "mygrad": {"color": "tab:pink", "linestyle": (0, (2, 2)), "linewidth": 1.5},
}
#: A row this module does not know yet (a new method or engine) still draws, never raises.
UNKNOWN_STYLE: dict[str, Any] = {"color": "C7", "linestyle": "-.", "linewidth": 1.4}


def style_for(key: str) -> dict[str, Any]:
    """How row `key` is drawn: its own style, its method's (for a new engine), or a fallback."""
    method = key.partition("@")[0].partition(":")[0]
    return dict(ENGINE_VARIANT.get(key) or STYLES.get(method) or UNKNOWN_STYLE)


#: Curves that are not rows of the comparison (the panel's difference quotient of a chosen
#: step): one style, apart from every method's.
EXTRA_STYLE: dict[str, Any] = {"color": "C4", "linestyle": ":", "linewidth": 1.6}
#: Tangents overlap when the methods agree: the first is drawn widest, each next one narrower
#: on top of it, so every method's colour stays visible as a stripe.
TANGENT_WIDTHS = (6.0, 4.4, 2.8, 1.4, 1.0, 0.8, 0.6)
#: Where f' does not exist at x0 (a corner), f's two one-sided slopes as half-lines instead of
#: tangents: a colour no method, curve or point marker uses, dashed over f's black line.
SIDES_STYLE: dict[str, Any] = {"color": "magenta", "linestyle": "--", "linewidth": 2.0}


def drawn(result: Any) -> bool:
    """Rows with values are drawn: ok ones, and the wrong-but-flagged ones (their legend entry
    says "inaccurate" or "wrong"); a failed row has nothing to draw."""
    return result.values is not None and (result.ok or result.status in ("inaccurate", "wrong"))
