"""The README's pictures are what the commands printed under them draw.

docs/make_pictures.py reads each picture's command from the README and runs it; this test runs
it into a temporary folder and compares every picture with the committed one, pixel by pixel
(decoded PNGs, so compression settings do not matter), with a small tolerance for font
rasterisation on another machine.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Pictures that are screenshots of a browser, or timings of one benchmark run: measured, not
#: drawn by a command (each says what made it).
SCREENSHOTS = {"docs/images/panel.png", "docs/images/parameter_study.png"}
#: A pixel counts as different beyond this (0..1 per channel); at most this share may differ.
PIXEL_TOLERANCE = 0.1
SHARE_TOLERANCE = 0.005


def _make_pictures():
    spec = importlib.util.spec_from_file_location(
        "make_pictures", ROOT / "docs" / "make_pictures.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_every_drawn_picture_of_the_readme_says_which_command_drew_it() -> None:
    linked = set(re.findall(r"!\[[^\]]*\]\((docs/images/[\w.-]+\.(?:png|svg))\)", README))
    commands = {picture.path for picture in _make_pictures().pictures()}
    assert linked - SCREENSHOTS == commands
    for picture in _make_pictures().pictures():
        if picture.command.startswith("diffmagic "):
            assert picture.command.endswith(f"--save {picture.path}"), picture.command


@pytest.mark.slow
def test_the_readme_pictures_regenerate_from_their_commands(tmp_path) -> None:
    make_pictures = _make_pictures()
    for picture in make_pictures.pictures():
        if picture.path.endswith(".svg"):  # diffmagic's own SVG text: the same, exactly
            drawn_text = make_pictures.draw(picture, tmp_path).read_text(encoding="utf-8")
            assert drawn_text == (ROOT / picture.path).read_text(encoding="utf-8"), picture.path
            continue
        drawn = imread(make_pictures.draw(picture, tmp_path))
        committed = imread(ROOT / picture.path)
        assert drawn.shape == committed.shape, (picture.path, drawn.shape, committed.shape)
        differing = np.abs(drawn - committed).max(axis=-1) > PIXEL_TOLERANCE
        share = float(differing.mean())
        assert share <= SHARE_TOLERANCE, (
            f"{picture.path} is not what `{picture.command}` draws: {share:.2%} of its pixels "
            "differ; run python docs/make_pictures.py"
        )


def test_the_comparison_sees_a_changed_picture(tmp_path) -> None:
    """The tolerance is not so loose that another function's figure passes."""
    exp_sin = imread(ROOT / "docs" / "images" / "exp_sin.png")
    corner = imread(ROOT / "docs" / "images" / "abs_corner.png")
    assert exp_sin.shape == corner.shape
    differing = np.abs(exp_sin - corner).max(axis=-1) > PIXEL_TOLERANCE
    assert differing.mean() > 10 * SHARE_TOLERANCE
