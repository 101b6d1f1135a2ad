"""The README as a newcomer reads it: its commands, its options table and its pictures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diffmagic.frontends.options import options_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _first_bash_block() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block, "the README starts with a bash block of commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_the_readme_starts_with_the_main_job_and_the_test_command() -> None:
    main_job, tests = _first_bash_block()
    assert "pip install" in main_job and "examples/01_course_lab.ipynb" in main_job
    assert "pip install" in tests and "pytest" in tests


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    _, tests = _first_bash_block()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_the_options_table_is_the_shared_definition() -> None:
    section = re.search(r"<!-- options:start -->\n(.*?)\n<!-- options:end -->", README, re.S)
    assert section, "the README has the generated options table"
    assert section.group(1) == options_markdown()


def test_the_options_only_one_front_end_has_are_documented() -> None:
    for flag in ("-o NAME", "-q", "--panel", "--json PATH", "--html PATH", "--color"):
        assert flag in README, flag


def test_every_picture_the_readme_shows_exists() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert len(pictures) >= 5
    for picture in pictures:
        path = ROOT / picture
        assert path.exists(), picture
        if picture.endswith(".svg"):
            assert path.read_text(encoding="utf-8").startswith("<svg "), picture
        else:
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture


@pytest.mark.slow
def test_the_readmes_python_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    plain = [block for block in blocks if not block.lstrip().startswith("%")]
    assert plain, "the README shows the Python API"
    for block in plain:
        exec(compile(block, "README.md", "exec"), {})
