"""`python -m diffmagic "EXPR"`: the command line."""

from diffmagic.frontends.cli import run

run()
