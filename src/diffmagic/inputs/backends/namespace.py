"""What a backend is: a module-like object that answers for `np`, `jnp`, `math` and bare `sin`.

The name is looked up in the backend's own table first, then in the backend's array module,
and only then in the module the user imported, so rarely used names (`math.factorial`) still
work where they can. Each backend builds its table in its own module: `numpy_backend`,
`jax_backend`, `sympy_backend`.
"""

from __future__ import annotations

from typing import Any


class Namespace:
    """A module-like object whose attributes are one backend's versions of maths names."""

    def __init__(
        self, backend: str, table: dict[str, Any], primary: Any, fallback: Any = None
    ) -> None:
        self._backend = backend
        self._table = table
        self._primary = primary
        self._fallback = fallback

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._table:
            return self._table[name]
        for source in (self._primary, self._fallback):
            if source is not None and hasattr(source, name):
                return getattr(source, name)
        raise AttributeError(f"{self._backend} backend has no `{name}`")

    def lookup(self, name: str) -> Any:
        """The backend's value for a bare name, or None when it has none."""
        try:
            return getattr(self, name)
        except AttributeError:
            return None

    def __repr__(self) -> str:
        return f"<diffmagic {self._backend} namespace>"
