"""The declared dependency floors are the versions CI tests: pyproject, constraints, README agree.

`.ci/lowest` installs `constraints/lowest.txt` and runs the fast tests with it; these tests keep
that file equal to the floors `pyproject.toml` declares, so a floor cannot be raised or lowered
in one place only.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.lower()] = version
    return pins


def _floors(requirements: list[str]) -> dict[str, str]:
    floors = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([0-9.]+)", requirement.strip())
        if match:
            floors[match.group(1).lower()] = match.group(3)
    return floors


def _same(pin: str, floor: str) -> bool:
    """`0.8.0` pins the floor `0.8`; `1.12` pins `1.12`."""
    return pin.split(".") == floor.split(".") + ["0"] * (
        len(pin.split(".")) - len(floor.split("."))
    )


def test_every_runtime_floor_is_pinned_in_the_constraints() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = _floors(project["dependencies"])
    pins = _pins()
    assert set(floors) <= set(pins), set(floors) - set(pins)
    assert {
        name: (pins[name], floor) for name, floor in floors.items() if not _same(pins[name], floor)
    } == {}


def test_pinned_extras_are_the_extras_floors() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors: dict[str, str] = {}
    for requirements in project["optional-dependencies"].values():
        floors.update(_floors(requirements))
    pins = _pins()
    for name in set(floors) & set(pins):
        assert _same(pins[name], floors[name]), (name, pins[name], floors[name])


def test_the_readme_states_the_floors_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(
        r"<!-- supported-versions:start -->\n(.*?)<!-- supported-versions:end -->", readme, re.S
    )
    assert section, "the README has a supported-versions section"
    text = section.group(1)
    python_floor = re.fullmatch(r">=\s*([0-9.]+).*", project["requires-python"]).group(1)
    assert f"Python {python_floor} or newer" in text
    names = {
        "jax": "JAX",
        "numpy": "NumPy",
        "scipy": "SciPy",
        "sympy": "SymPy",
        "mpmath": "mpmath",
        "numdifftools": "numdifftools",
        "matplotlib": "Matplotlib",
    }
    for name, floor in _floors(project["dependencies"]).items():
        assert f"{names[name]} {floor}+" in text, (name, floor)
