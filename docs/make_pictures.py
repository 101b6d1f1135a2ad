"""Regenerate the README's pictures from the commands printed under them.

    python docs/make_pictures.py            # from the repository root: rewrites docs/images/

Under each picture the README says what drew it, in one line:

    ![alt text](docs/images/NAME.png)
    <sub>drawn by `diffmagic "EXPR" OPTIONS --save docs/images/NAME.png`</sub>

A `diffmagic ...` line is run as the command line runs it (`diffmagic.frontends.cli.main`,
which shares its options and its figure with `%%differentiate`); a `diffmagic.NAME(...)` line is
a Python expression whose value is a matplotlib Figure, or the text of an SVG (`.svg()` of a
computational graph or an expression tree, linked as a .svg picture).
tests/test_readme_pictures.py regenerates every picture into a temporary folder and compares
it with the committed one (pixels of a PNG, the text of an SVG), so a picture can only show what
its command draws. The panel's screenshot comes from the browser test
(tests/test_panel_browser.py saves it in artifacts/browser/); run that test first to refresh it.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re
import shlex
import sys
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
IMAGES = ROOT / "docs" / "images"
#: A picture and the line under it that says what drew it.
PICTURE = re.compile(
    r"^[ \t]*!\[[^\]]*\]\((?P<path>docs/images/[\w.-]+\.(?:png|svg))\)\n+"
    r"^[ \t]*<sub>drawn by `(?P<command>[^`]+)`[^<\n]*</sub>",
    re.M,
)
#: Figures are written as `--save` writes them (100 dpi), so the command's file is the picture.
DPI = 100


@dataclass(frozen=True)
class Picture:
    path: str  # as the README links it, relative to the repository root
    command: str  # exactly as the README prints it


def pictures(readme: str | None = None) -> list[Picture]:
    """Every picture of the README with the command printed under it."""
    text = README.read_text(encoding="utf-8") if readme is None else readme
    return [Picture(m["path"], m["command"].strip()) for m in PICTURE.finditer(text)]


def draw(picture: Picture, out_dir: pathlib.Path) -> pathlib.Path:
    """Run the picture's command, writing its figure into `out_dir` under the same name."""
    target = out_dir / pathlib.Path(picture.path).name
    if picture.command.startswith("diffmagic "):
        import diffmagic.frontends.cli

        argv = shlex.split(picture.command)[1:]
        if "--save" not in argv or argv[argv.index("--save") + 1] != picture.path:
            raise ValueError(f"{picture.command!r} must end in --save {picture.path}")
        argv[argv.index("--save") + 1] = str(target)
        with contextlib.redirect_stdout(io.StringIO()):
            status = diffmagic.frontends.cli.main(argv)
        if status not in (0, 1):  # 1: a method failed, which the picture shows
            raise RuntimeError(f"{picture.command!r} exited with {status}")
    elif picture.command.startswith("diffmagic."):
        import diffmagic

        drawn = eval(picture.command, {"diffmagic": diffmagic})
        if isinstance(drawn, str):  # an SVG of diffmagic's own (the computational graph)
            target.write_text(drawn, encoding="utf-8")
        else:
            drawn.savefig(target, dpi=DPI)
    else:
        raise ValueError(f"not a diffmagic command or expression: {picture.command!r}")
    return target


def main(out_dir: pathlib.Path = IMAGES) -> list[pathlib.Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [draw(picture, out_dir) for picture in pictures()]
    _panel_screenshot(out_dir)
    return written


def _panel_screenshot(out_dir: pathlib.Path) -> None:
    screenshot = ROOT / "artifacts" / "browser" / "lab" / "02-page-after.png"
    if not screenshot.exists():
        print("no panel screenshot: run tests/test_panel_browser.py first", file=sys.stderr)
        return
    from PIL import Image

    page = Image.open(screenshot)
    width, height = page.size
    page.crop((290, 330, min(width, 1360), min(height, 1560))).save(out_dir / "panel.png")


if __name__ == "__main__":
    for path in main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES):
        print(path)
