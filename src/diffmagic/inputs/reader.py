"""Who reads diffmagic's messages, and so how a message spells the fix it names.

The same advice has two spellings: a reader in Python passes keywords (`compare(f,
timing=True)`, `params={'y': 1.0}`), a reader of the magic or the command line types options
(`--timing`, `--param y=1.0`). Telling each the other's spelling, or both, sends them looking
for a keyword their front end does not have. The front end says who reads when it builds its
`Request` (`reader`); a message that names a fix is written in both spellings (`spelled`) and
the reader's is shown.
"""

from __future__ import annotations

#: A reader in Python: `compare()`, `check_gradient()` and the other functions' keywords.
PYTHON = "python"
#: A reader of `%%differentiate` or the `diffmagic` command: their --options.
OPTIONS = "options"
READERS = (PYTHON, OPTIONS)


def spelled(reader: str, *, python: str, options: str) -> str:
    """The message as `reader` needs it: `options` for the magic and the command line."""
    return options if reader == OPTIONS else python
