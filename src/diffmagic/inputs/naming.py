"""How the course writes derivatives: f', f'', f''', then f^(4)."""

from __future__ import annotations


def derivative_name(order: int, name: str = "f") -> str:
    """`f` for order 0, primes up to three, then `name^(n)`."""
    if order == 0:
        return name
    return name + "'" * order if order <= 3 else f"{name}^({order})"
