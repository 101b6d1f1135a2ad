"""Errors diffmagic raises for input it cannot use."""


class DiffMagicError(ValueError):
    """Input diffmagic cannot use: a one-line message that says what to change."""
