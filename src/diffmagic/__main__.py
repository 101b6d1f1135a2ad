"""`python -m diffmagic "EXPR"`: the command line."""

from diffmagic.cli import run

run()
