"""Many parameters: gradients of a loss f: R^n -> R (and Jacobians), by every method.

`pytree` flattens a point (an array, or a dict / list / tuple of arrays) to one float64 vector;
`reference` gives the exact gradient (SymPy + mpmath) and central differences. Nothing here
imports JAX until a JAX method runs.
"""
