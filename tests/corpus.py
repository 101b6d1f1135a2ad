"""A corpus of learner-style functions with hand-written derivatives.

Every case holds

* ``source``: the text of a notebook cell defining the function, with its own
  imports, written the way a learner writes it (``np.*``, ``jnp.*``,
  ``math.*``, bare names from ``from numpy import *``, Python ``abs``/``max``/
  ``min``, loops, helper functions);
* ``derivative``: the requested derivative (of order ``order``, with respect to
  ``wrt`` with the other parameters fixed by ``params``) written BY HAND with
  numpy -- never computed by SymPy;
* ``mp_function``: the same function written by hand with mpmath, with the
  parameters bound, as a function of the ``wrt`` variable alone.  The
  soundness test (``test_corpus_is_sound.py``) checks that the cell and
  ``mp_function`` agree, and that ``derivative`` agrees with ``mpmath.diff`` of
  ``mp_function`` at 40 digits, so the hand derivatives can be trusted as the
  ground truth for diffmagic;
* ``kinks``: the points of the domain where the derivative does not exist.
  None of them is a point of ``np.linspace(*domain, POINTS)``.

This module must not import diffmagic.
"""

from __future__ import annotations

import ast
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
from mpmath import mp

POINTS = 100  # the grid size the corpus tests use


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    derivative: Callable[[np.ndarray], np.ndarray]
    domain: tuple[float, float]
    params: dict[str, float] | None = None
    wrt: str | None = None
    order: int = 1
    func: str | None = None
    mp_function: Callable[[Any], Any] | None = field(default=None, repr=False)
    kinks: tuple[float, ...] = ()

    @property
    def grid(self) -> np.ndarray:
        return np.linspace(self.domain[0], self.domain[1], POINTS)


# ---------------------------------------------------------------------------
# Helpers shared by the tests (they do not use diffmagic)
# ---------------------------------------------------------------------------


def function_name(case: Case) -> str:
    """The function diffmagic should pick: ``func`` or the last top-level def."""
    if case.func is not None:
        return case.func
    defs = [n.name for n in ast.parse(case.source).body if isinstance(n, ast.FunctionDef)]
    return defs[-1]


def wrt_name(case: Case) -> str:
    """The variable of differentiation: ``wrt`` or the function's first parameter."""
    if case.wrt is not None:
        return case.wrt
    namespace: dict[str, Any] = {}
    exec(compile(case.source, f"<corpus {case.id}>", "exec"), namespace)
    return next(iter(inspect.signature(namespace[function_name(case)]).parameters))


def cell_function(case: Case) -> Callable[[Any], Any]:
    """Run the cell with plain numpy and return f as a function of ``wrt`` alone."""
    namespace: dict[str, Any] = {"__name__": f"corpus_{case.id}"}
    exec(compile(case.source, f"<corpus {case.id}>", "exec"), namespace)
    fn = namespace[function_name(case)]
    wrt = wrt_name(case)
    params = dict(case.params or {})

    def bound(t: Any) -> Any:
        return fn(**{**params, wrt: t})

    return bound


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


# ---------------------------------------------------------------------------
# Hand-written derivatives (numpy) and mpmath versions of the functions
# ---------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _mp_sigmoid(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _composed_poly_derivative(x: Any) -> np.ndarray:
    # f = p(p(p(x))) with p(u) = 2u^3 - 3u^2 + 5, p'(u) = 6u^2 - 6u.
    # Chain rule, following the lab's loop: slope *= p'(value); value = p(value).
    value = _arr(x).copy()
    slope = np.ones_like(value)
    for _ in range(3):
        slope = slope * (6 * value**2 - 6 * value)
        value = 2 * value**3 - 3 * value**2 + 5
    return slope


def _mp_composed_poly(x: Any) -> Any:
    for _ in range(3):
        x = 2 * x**3 - 3 * x**2 + 5
    return x


def _mp_sum_kxk(x: Any) -> Any:
    return mpmath.fsum(k * x**k for k in range(1, 6))


def _d_sum_kxk(x: Any) -> np.ndarray:
    x = _arr(x)
    total = np.zeros_like(x)
    for k in range(1, 6):
        total = total + k * k * x ** (k - 1)
    return total


def _d_sum_sines(x: Any) -> np.ndarray:
    x = _arr(x)
    total = np.zeros_like(x)
    for k in range(1, 21):
        total = total + np.cos(k * x)
    return total


def _mp_sum_sines(x: Any) -> Any:
    return mpmath.fsum(mp.sin(k * x) / k for k in range(1, 21))


_A = [1.0, 2.5, -0.5, 4.0]


def _mp_square_loss(x: Any) -> Any:
    return mpmath.fsum((x - mp.mpf(a)) ** 2 for a in _A)


def _d_square_loss(x: Any) -> np.ndarray:
    x = _arr(x)
    return 2 * (len(_A) * x - sum(_A))


# ---------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------

NP = "import numpy as np\n\n"

CORPUS: list[Case] = [
    # --- polynomials and the lab's examples -------------------------------
    Case(
        id="lab_square",
        source=NP + "def f(x):\n    return x**2\n",
        derivative=lambda x: 2 * _arr(x),
        mp_function=lambda x: x**2,
        domain=(-5.0, 5.0),
    ),
    Case(
        id="lab_exp_sin",
        source=NP + "def f_composed(x):\n    return np.exp(-2*x) + 3*np.sin(3*x)\n",
        derivative=lambda x: -2 * np.exp(-2 * _arr(x)) + 9 * np.cos(3 * _arr(x)),
        mp_function=lambda x: mp.exp(-2 * x) + 3 * mp.sin(3 * x),
        domain=(-2.0, 4.0),
    ),
    Case(
        id="lab_cubic",
        source=NP + "def f_polynomial_simple(x):\n    return 2*x**3 - 3*x**2 + 5\n",
        derivative=lambda x: 6 * _arr(x) ** 2 - 6 * _arr(x),
        mp_function=lambda x: 2 * x**3 - 3 * x**2 + 5,
        domain=(-5.0, 5.0),
    ),
    Case(
        # The lab's composed polynomial: p applied three times in a loop.
        # It grows like x**27, so the domain is kept small (|f| <= ~2e6).
        id="lab_composed_polynomial",
        source=NP
        + "def f_polynomial_simple(x):\n"
        + "    return 2*x**3 - 3*x**2 + 5\n\n"
        + "def f_polynomial(x):\n"
        + "    for i in range(3):\n"
        + "        x = f_polynomial_simple(x)\n"
        + "    return x\n",
        derivative=_composed_poly_derivative,
        mp_function=_mp_composed_poly,
        domain=(-1.2, 1.2),
    ),
    Case(
        id="quintic",
        source=NP + "def f(x):\n    return x**5 - 4*x**3 + x - 7\n",
        derivative=lambda x: 5 * _arr(x) ** 4 - 12 * _arr(x) ** 2 + 1,
        mp_function=lambda x: x**5 - 4 * x**3 + x - 7,
        domain=(-2.5, 2.5),
    ),
    Case(
        id="negative_powers",
        source=NP + "def f(x):\n    return 1/x + x**-2\n",
        derivative=lambda x: -1 / _arr(x) ** 2 - 2 / _arr(x) ** 3,
        mp_function=lambda x: 1 / x + x**-2,
        domain=(0.5, 4.0),
    ),
    Case(
        id="real_power_and_exponential_base",
        source=NP + "def f(x):\n    return np.power(x, 2.5) + 2**x\n",
        derivative=lambda x: 2.5 * _arr(x) ** 1.5 + math.log(2) * 2 ** _arr(x),
        mp_function=lambda x: mp.power(x, mp.mpf("2.5")) + mp.power(2, x),
        domain=(0.1, 3.0),
    ),
    # --- trig, inverse trig, hyperbolic -----------------------------------
    Case(
        id="trig_product",
        source=NP + "def f(x):\n    return np.sin(x) * np.cos(2*x)\n",
        derivative=lambda x: (
            np.cos(_arr(x)) * np.cos(2 * _arr(x)) - 2 * np.sin(_arr(x)) * np.sin(2 * _arr(x))
        ),
        mp_function=lambda x: mp.sin(x) * mp.cos(2 * x),
        domain=(-5.0, 5.0),
    ),
    Case(
        id="tan",
        source=NP + "def f(x):\n    return np.tan(x)\n",
        derivative=lambda x: 1 / np.cos(_arr(x)) ** 2,
        mp_function=lambda x: mp.tan(x),
        domain=(-1.2, 1.2),
    ),
    Case(
        id="arcsin_arccos",
        source=NP + "def f(x):\n    return np.arcsin(x) + np.arccos(x/2)\n",
        derivative=lambda x: 1 / np.sqrt(1 - _arr(x) ** 2) - 0.5 / np.sqrt(1 - (_arr(x) / 2) ** 2),
        mp_function=lambda x: mp.asin(x) + mp.acos(x / 2),
        domain=(-0.9, 0.9),
    ),
    Case(
        id="arctan",
        source=NP + "def f(x):\n    return np.arctan(2*x) - x*np.arctan(x)\n",
        derivative=lambda x: (
            2 / (1 + 4 * _arr(x) ** 2) - np.arctan(_arr(x)) - _arr(x) / (1 + _arr(x) ** 2)
        ),
        mp_function=lambda x: mp.atan(2 * x) - x * mp.atan(x),
        domain=(-5.0, 5.0),
    ),
    Case(
        id="hyperbolic",
        source=NP + "def f(x):\n    return np.sinh(x) + 0.5*np.cosh(2*x) - np.tanh(3*x)\n",
        derivative=lambda x: (
            np.cosh(_arr(x)) + np.sinh(2 * _arr(x)) - 3 * (1 - np.tanh(3 * _arr(x)) ** 2)
        ),
        mp_function=lambda x: mp.sinh(x) + mp.cosh(2 * x) / 2 - mp.tanh(3 * x),
        domain=(-2.0, 2.0),
    ),
    # --- exp / log / sqrt on suitable domains -----------------------------
    Case(
        id="exp_log_positive",
        source=NP + "def f(x):\n    return np.log(x)*np.exp(-x) + np.log(x**2 + 1)\n",
        derivative=lambda x: (
            np.exp(-_arr(x)) / _arr(x)
            - np.log(_arr(x)) * np.exp(-_arr(x))
            + 2 * _arr(x) / (_arr(x) ** 2 + 1)
        ),
        mp_function=lambda x: mp.log(x) * mp.exp(-x) + mp.log(x**2 + 1),
        domain=(0.1, 5.0),
    ),
    Case(
        id="x_log_x",
        source=NP + "def f(x):\n    return x*np.log(x) - x\n",
        derivative=lambda x: np.log(_arr(x)),
        mp_function=lambda x: x * mp.log(x) - x,
        domain=(0.2, 10.0),
    ),
    Case(
        id="sqrt",
        source=NP + "def f(x):\n    return np.sqrt(x) + np.sqrt(1 + x**2)\n",
        derivative=lambda x: 0.5 / np.sqrt(_arr(x)) + _arr(x) / np.sqrt(1 + _arr(x) ** 2),
        mp_function=lambda x: mp.sqrt(x) + mp.sqrt(1 + x**2),
        domain=(0.1, 4.0),
    ),
    Case(
        id="log1p",
        source=NP + "def f(x):\n    return np.log1p(x**2) - np.log1p(x)\n",
        derivative=lambda x: 2 * _arr(x) / (1 + _arr(x) ** 2) - 1 / (1 + _arr(x)),
        mp_function=lambda x: mp.log(1 + x**2) - mp.log(1 + x),
        domain=(-0.5, 3.0),
    ),
    Case(
        id="expm1",
        source=NP + "def f(x):\n    return np.expm1(2*x)/2 - x\n",
        derivative=lambda x: np.exp(2 * _arr(x)) - 1,
        mp_function=lambda x: mp.expm1(2 * x) / 2 - x,
        domain=(-3.0, 2.0),
    ),
    # --- machine-learning functions ---------------------------------------
    Case(
        id="sigmoid",
        source=NP + "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n",
        derivative=lambda x: _sigmoid(_arr(x)) * (1 - _sigmoid(_arr(x))),
        mp_function=_mp_sigmoid,
        domain=(-6.0, 6.0),
    ),
    Case(
        id="softplus",
        source=NP + "def softplus(x):\n    return np.log(1 + np.exp(x))\n",
        derivative=lambda x: _sigmoid(_arr(x)),
        mp_function=lambda x: mp.log(1 + mp.exp(x)),
        domain=(-5.0, 5.0),
    ),
    Case(
        id="relu",
        source=NP + "def relu(x):\n    return np.maximum(0, x)\n",
        derivative=lambda x: np.where(_arr(x) > 0, 1.0, 0.0),
        mp_function=lambda x: x if x > 0 else mp.mpf(0),
        domain=(-5.0, 5.0),
        kinks=(0.0,),
    ),
    Case(
        # Logistic log-loss of a single example with label y, as a function of x.
        # d/dx = sigmoid(x) - y.
        id="logistic_log_loss",
        source=NP
        + "def sigmoid(z):\n"
        + "    return 1 / (1 + np.exp(-z))\n\n"
        + "def loss(x, y):\n"
        + "    return -(y*np.log(sigmoid(x)) + (1 - y)*np.log(1 - sigmoid(x)))\n",
        derivative=lambda x: _sigmoid(_arr(x)) - 0.3,
        mp_function=lambda x: (
            -(
                mp.mpf("0.3") * mp.log(_mp_sigmoid(x))
                + (1 - mp.mpf("0.3")) * mp.log(1 - _mp_sigmoid(x))
            )
        ),
        domain=(-6.0, 6.0),
        params={"y": 0.3},
    ),
    Case(
        id="square_loss_python_list",
        source=NP
        + "def f(x):\n"
        + "    a = [1.0, 2.5, -0.5, 4.0]\n"
        + "    total = 0\n"
        + "    for ai in a:\n"
        + "        total = total + (x - ai)**2\n"
        + "    return total\n",
        derivative=_d_square_loss,
        mp_function=_mp_square_loss,
        domain=(-5.0, 5.0),
    ),
    Case(
        # np.sum over a fixed array: only correct for a scalar x (on a grid
        # array x - a does not broadcast), so diffmagic has to evaluate it
        # point by point.
        id="square_loss_np_sum",
        source=NP
        + "def f(x):\n"
        + "    a = np.array([1.0, 2.5, -0.5, 4.0])\n"
        + "    return np.sum((x - a)**2)\n",
        derivative=_d_square_loss,
        mp_function=_mp_square_loss,
        domain=(-5.0, 5.0),
    ),
    # --- Python control structures that unroll -----------------------------
    Case(
        id="for_loop_sum_k_x_to_k",
        source=NP
        + "def f(x):\n"
        + "    total = 0\n"
        + "    for k in range(1, 6):\n"
        + "        total = total + k * x**k\n"
        + "    return total\n",
        derivative=_d_sum_kxk,
        mp_function=_mp_sum_kxk,
        domain=(-1.5, 1.5),
    ),
    Case(
        id="helper_function",
        source=NP
        + "def g(t):\n"
        + "    return t**2 + np.sin(t)\n\n"
        + "def f(x):\n"
        + "    return x * g(2*x)\n",
        # f = x*g(2x): f' = g(2x) + 2x*g'(2x) = 4x^2 + sin 2x + 2x(4x + cos 2x)
        derivative=lambda x: (
            12 * _arr(x) ** 2 + np.sin(2 * _arr(x)) + 2 * _arr(x) * np.cos(2 * _arr(x))
        ),
        mp_function=lambda x: x * ((2 * x) ** 2 + mp.sin(2 * x)),
        domain=(-3.0, 3.0),
    ),
    Case(
        id="sum_of_20_sines",
        source=NP + "def f(x):\n    return sum(np.sin(k*x)/k for k in range(1, 21))\n",
        derivative=_d_sum_sines,
        mp_function=_mp_sum_sines,
        domain=(0.0, 3.0),
    ),
    Case(
        id="pick_function_by_name",
        source=NP
        + "def f(x):\n"
        + "    return np.cos(x)**2\n\n"
        + "def g(x):\n"
        + "    return x**3\n",
        derivative=lambda x: -2 * np.cos(_arr(x)) * np.sin(_arr(x)),
        mp_function=lambda x: mp.cos(x) ** 2,
        domain=(-5.0, 5.0),
        func="f",
    ),
    # --- corners ------------------------------------------------------------
    Case(
        id="np_where_kink",
        source=NP + "def f(x):\n    return np.where(x > 0, x**2, -x)\n",
        derivative=lambda x: np.where(_arr(x) > 0, 2 * _arr(x), -1.0),
        mp_function=lambda x: x**2 if x > 0 else -x,
        domain=(-5.0, 5.0),
        kinks=(0.0,),
    ),
    Case(
        id="python_abs",
        source="def f(x):\n    return abs(x)\n",
        derivative=lambda x: np.sign(_arr(x)),
        mp_function=lambda x: abs(x),
        domain=(-5.0, 5.0),
        kinks=(0.0,),
    ),
    Case(
        id="np_abs_shifted",
        source=NP + "def f(x):\n    return np.abs(x - 1) + x**2\n",
        derivative=lambda x: np.sign(_arr(x) - 1) + 2 * _arr(x),
        mp_function=lambda x: abs(x - 1) + x**2,
        domain=(-5.0, 5.0),
        kinks=(1.0,),
    ),
    Case(
        # max(x, 0)**2 is differentiable at 0 (both one-sided slopes are 0);
        # min(x, 1) has a corner at 1.
        id="python_max_min",
        source="def f(x):\n    return max(x, 0.0)**2 + 3*min(x, 1.0)\n",
        derivative=lambda x: 2 * np.maximum(_arr(x), 0.0) + 3 * (_arr(x) < 1),
        mp_function=lambda x: max(x, mp.mpf(0)) ** 2 + 3 * min(x, mp.mpf(1)),
        domain=(-5.0, 5.0),
        kinks=(1.0,),
    ),
    # --- the many spellings of the same functions ----------------------------
    Case(
        id="math_sin_exp",
        source="import math\n\ndef f(x):\n    return math.sin(x) * math.exp(-x / 2)\n",
        derivative=lambda x: (np.cos(_arr(x)) - 0.5 * np.sin(_arr(x))) * np.exp(-_arr(x) / 2),
        mp_function=lambda x: mp.sin(x) * mp.exp(-x / 2),
        domain=(-3.0, 3.0),
    ),
    Case(
        id="math_sqrt_log_pi_cos",
        source="import math\n\n"
        + "def f(x):\n"
        + "    return math.sqrt(x) * math.log(x) + math.pi * math.cos(x)\n",
        derivative=lambda x: (
            np.log(_arr(x)) / (2 * np.sqrt(_arr(x)))
            + 1 / np.sqrt(_arr(x))
            - np.pi * np.sin(_arr(x))
        ),
        mp_function=lambda x: mp.sqrt(x) * mp.log(x) + mp.pi * mp.cos(x),
        domain=(0.5, 6.0),
    ),
    Case(
        id="from_numpy_import_star",
        source="from numpy import *\n\n"
        + "def f(x):\n"
        + "    return sin(x)**2 + exp(-x**2) + cos(3*x)\n",
        derivative=lambda x: (
            2 * np.sin(_arr(x)) * np.cos(_arr(x))
            - 2 * _arr(x) * np.exp(-(_arr(x) ** 2))
            - 3 * np.sin(3 * _arr(x))
        ),
        mp_function=lambda x: mp.sin(x) ** 2 + mp.exp(-(x**2)) + mp.cos(3 * x),
        domain=(-3.0, 3.0),
    ),
    Case(
        id="jax_numpy",
        source="import jax.numpy as jnp\n\n"
        + "def f(x):\n"
        + "    return jnp.sin(x) * jnp.exp(0.3 * x) + jnp.log(1 + x**2)\n",
        derivative=lambda x: (
            (np.cos(_arr(x)) + 0.3 * np.sin(_arr(x))) * np.exp(0.3 * _arr(x))
            + 2 * _arr(x) / (1 + _arr(x) ** 2)
        ),
        mp_function=lambda x: mp.sin(x) * mp.exp(mp.mpf("0.3") * x) + mp.log(1 + x**2),
        domain=(-4.0, 4.0),
    ),
    # --- several parameters -------------------------------------------------
    Case(
        id="two_params_wrt_y",
        source="def f(x, y):\n    return 2*x**2 - x*y\n",
        derivative=lambda y: np.full_like(_arr(y), -2.0),
        mp_function=lambda y: 2 * 2**2 - 2 * y,
        domain=(-5.0, 5.0),
        wrt="y",
        params={"x": 2.0},
    ),
    Case(
        id="two_params_default_wrt_first",
        source="def f(x, y):\n    return 2*x**2 - x*y\n",
        derivative=lambda x: 4 * _arr(x) - 3.0,
        mp_function=lambda x: 2 * x**2 - 3 * x,
        domain=(-5.0, 5.0),
        params={"y": 3.0},
    ),
    Case(
        id="default_parameter",
        source=NP + "def f(x, a=2.5):\n    return a*np.sin(x) + x**2/a\n",
        derivative=lambda x: 2.5 * np.cos(_arr(x)) + 2 * _arr(x) / 2.5,
        mp_function=lambda x: mp.mpf("2.5") * mp.sin(x) + x**2 / mp.mpf("2.5"),
        domain=(-5.0, 5.0),
    ),
    Case(
        id="default_parameter_overridden",
        source=NP + "def f(x, a=2.5):\n    return a*np.sin(x) + x**2/a\n",
        derivative=lambda x: 0.5 * np.cos(_arr(x)) + 4 * _arr(x),
        mp_function=lambda x: mp.mpf("0.5") * mp.sin(x) + x**2 / mp.mpf("0.5"),
        domain=(-5.0, 5.0),
        params={"a": 0.5},
    ),
    # --- higher orders --------------------------------------------------------
    Case(
        id="second_derivative_cube",
        source="def f(x):\n    return x**3\n",
        derivative=lambda x: 6 * _arr(x),
        mp_function=lambda x: x**3,
        domain=(-5.0, 5.0),
        order=2,
    ),
    Case(
        id="second_derivative_sin",
        source=NP + "def f(x):\n    return np.sin(2*x)\n",
        derivative=lambda x: -4 * np.sin(2 * _arr(x)),
        mp_function=lambda x: mp.sin(2 * x),
        domain=(-5.0, 5.0),
        order=2,
    ),
    Case(
        id="second_derivative_gaussian",
        source=NP + "def f(x):\n    return np.exp(-x**2)\n",
        derivative=lambda x: (4 * _arr(x) ** 2 - 2) * np.exp(-(_arr(x) ** 2)),
        mp_function=lambda x: mp.exp(-(x**2)),
        domain=(-3.0, 3.0),
        order=2,
    ),
    Case(
        id="second_derivative_log",
        source=NP + "def f(x):\n    return np.log(x)\n",
        derivative=lambda x: -1 / _arr(x) ** 2,
        mp_function=lambda x: mp.log(x),
        domain=(0.5, 5.0),
        order=2,
    ),
    Case(
        id="second_derivative_sigmoid",
        source=NP + "def f(x):\n    return 1 / (1 + np.exp(-x))\n",
        # s' = s(1-s), s'' = s(1-s)(1-2s)
        derivative=lambda x: (
            _sigmoid(_arr(x)) * (1 - _sigmoid(_arr(x))) * (1 - 2 * _sigmoid(_arr(x)))
        ),
        mp_function=_mp_sigmoid,
        domain=(-6.0, 6.0),
        order=2,
    ),
    Case(
        id="third_derivative_poly_sin",
        source=NP + "def f(x):\n    return x**4 + np.sin(x)\n",
        derivative=lambda x: 24 * _arr(x) - np.cos(_arr(x)),
        mp_function=lambda x: x**4 + mp.sin(x),
        domain=(-2.0, 2.0),
        order=3,
    ),
    Case(
        id="third_derivative_exp",
        source=NP + "def f(x):\n    return np.exp(-2*x)\n",
        derivative=lambda x: -8 * np.exp(-2 * _arr(x)),
        mp_function=lambda x: mp.exp(-2 * x),
        domain=(-1.0, 2.0),
        order=3,
    ),
]

CASES_BY_ID: dict[str, Case] = {case.id: case for case in CORPUS}


def sweep(cases: list[Case], fast: int = 6) -> list[Any]:
    """The cases as pytest parameters: the first `fast` in the inner loop (`-m "not slow"`),
    the rest marked slow, so a sweep over the whole corpus runs in CI without slowing the loop."""
    import pytest

    return [
        pytest.param(case, id=case.id, marks=() if index < fast else pytest.mark.slow)
        for index, case in enumerate(cases)
    ]
