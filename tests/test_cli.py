"""The `diffmagic` command, the README and the wheel as a newcomer meets them.

Every test runs the installed console script (or `python -m diffmagic`) as a subprocess, the way
a user types it in a terminal, and checks what that user sees: the table on stdout, the files
written, the exit status (0 all methods worked, 1 one failed, 2 misuse) and, for a mistake, one
line on stderr without a traceback.

Starting Python and importing SymPy, JAX and matplotlib costs a second or two per command, so
the commands whose output several tests read run once, side by side, in a module-scoped fixture.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

import diffmagic.frontends.cli
from diffmagic.frontends.options import OPTIONS

DIFFMAGIC = Path(sys.executable).with_name("diffmagic")
PYTHON_M_DIFFMAGIC = (sys.executable, "-m", "diffmagic")
REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

EXP_SIN = "exp(-2*x) + 3*sin(3*x)"
ALL_ROWS = (
    "symbolic (SymPy)",
    "numerical (np.gradient)",
    "finite differences",
    "automatic (JAX)",
)
ANSI_ESCAPE = "\x1b["
ANSI_SEQUENCE = re.compile(r"\x1b\[[0-9;]*m")

LAB_PY = '''\
import numpy as np


def f_polynomial_simple(x):
    return 3 * x**3 - 2 * x**2 + x - 5


def f_polynomial(x):
    """The course lab's polynomial, summed term by term as a learner writes it."""
    total = 0.0
    for power, coefficient in enumerate([1.0, -2.0, 0.5, 3.0]):
        total = total + coefficient * x**power
    return total
'''

BRANCHY_PY = """\
def relu(x):
    if x > 0:
        return x
    return 0.0
"""

TIMING_OPTIONS = ("--timing", "--no-timing", "--timing-points")


@dataclass
class Run:
    """One finished command: what the user saw, and how long it took."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cwd: Path


def run(args, *, cwd: Path, module: bool = False, timeout: float = 180) -> Run:
    """Run `diffmagic ARGS` (or `python -m diffmagic ARGS`) in `cwd`, as a terminal would."""
    argv = [*(PYTHON_M_DIFFMAGIC if module else (str(DIFFMAGIC),)), *map(str, args)]
    # A colour-capable TERM, so no colour in a pipe means diffmagic saw the pipe.
    environment = {**os.environ, "TERM": "xterm-256color", "MPLBACKEND": "Agg"}
    environment.pop("NO_COLOR", None)
    started = time.perf_counter()
    completed = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    return Run(
        argv=argv,
        returncode=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
        seconds=time.perf_counter() - started,
        cwd=cwd,
    )


def with_no_timing(args: list[str]) -> list[str]:
    """Append --no-timing unless the command already says how to time."""
    if any(arg.startswith(TIMING_OPTIONS) for arg in args):
        return args
    return [*args, "--no-timing"]


def explain(result: Run) -> str:
    """What to print when an assertion on a run fails."""
    argv = [
        arg if len(arg) <= 200 else f"{arg[:60]}...({len(arg)} characters)" for arg in result.argv
    ]
    return (
        f"$ {shlex.join(argv)}\n(exit {result.returncode})\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def table(stdout: str) -> dict[str, dict[str, str]]:
    """The first aligned table in `stdout`: each row's cells by column header, by first cell.

    Columns are read from the rule of dashes under the header, so cells with spaces in them
    ("jax jit(vmap(jvp))") stay whole. Note lines under a row (indented) are skipped.
    """
    lines = stdout.splitlines()
    for index, rule in enumerate(lines):
        if index and re.fullmatch(r"-+(  +-+)+", rule):
            spans = [match.span() for match in re.finditer(r"-+", rule)]
            spans[-1] = (spans[-1][0], None)
            headers = [lines[index - 1][start:end].strip() for start, end in spans]
            rows: dict[str, dict[str, str]] = {}
            for line in lines[index + 1 :]:
                if not line.strip():
                    break
                if line.startswith(" "):
                    continue
                cells = [line[start:end].strip() for start, end in spans]
                rows[cells[0]] = dict(zip(headers, cells, strict=True))
            return rows
    raise AssertionError(f"no table in:\n{stdout}")


def assert_one_line_error(result: Run, *fragments: str) -> None:
    """Misuse: exit 2, nothing on stdout, one `diffmagic: error:` line, no traceback."""
    assert result.returncode == 2, explain(result)
    assert "Traceback" not in result.stdout + result.stderr, explain(result)
    assert result.stdout == "", explain(result)
    error_lines = result.stderr.splitlines()
    assert len(error_lines) == 1, explain(result)
    assert error_lines[0].startswith("diffmagic: error: "), explain(result)
    for fragment in fragments:
        assert fragment in error_lines[0], explain(result)


def assert_argparse_error(result: Run, *fragments: str) -> None:
    """Misuse caught by argparse: exit 2 and one `diffmagic: error:` line (no usage dump)."""
    assert result.returncode == 2, explain(result)
    assert "Traceback" not in result.stdout + result.stderr, explain(result)
    assert result.stdout == "", explain(result)
    assert len(result.stderr.splitlines()) == 1, explain(result)
    last_line = result.stderr.splitlines()[-1]
    assert last_line.startswith("diffmagic: error: "), explain(result)
    assert "--help" in last_line, explain(result)
    for fragment in fragments:
        assert fragment in last_line, explain(result)


# ----------------------------------------------------------------------------- the commands

#: Misuse the command must refuse with exit status 2: (args, argparse's own error?, fragments).
MISUSE: dict[str, tuple[list[str], bool, tuple[str, ...]]] = {
    "unknown option": (["x**2", "--bogus"], True, ("--bogus",)),
    "--points 0": (["x**2", "--points", "0"], False, ("points", "0")),
    "--domain 1 0": (["x**2", "--domain", "1", "0"], False, ("domain",)),
    "--order two": (["x**2", "--order", "two"], True, ("--order", "two")),
    "a file that does not exist": (["missing.py"], False, ("missing.py",)),
    "a function in a file that does not exist": (["missing.py:f"], False, ("missing.py",)),
    "--save out.gif": (["x**2", "--save", "out.gif"], False, ("out.gif", ".png")),
    "a syntax error": (["x**+"], False, ("not valid Python",)),
    "--at outside the domain": (["x**2", "--at", "10"], False, ("--at 10", "domain")),
}

#: The commands several tests read, by name: (args, run as `python -m diffmagic`?).
COMMANDS: dict[str, tuple[list[str], bool]] = {
    "expression": ([EXP_SIN, "--no-timing"], False),
    "colour": (["x**2", "--no-timing", "--no-plot", "--color", "always"], False),
    "file:function": (
        ["lab.py:f_polynomial", "--domain", "-1", "1.5", "--save", "poly.png", "--no-timing"],
        False,
    ),
    "file": (["lab.py", "--no-timing", "--no-plot"], False),
    "abs files": (
        shlex.split("abs(x) --no-timing --save abs.svg --json abs.json --html abs.html"),
        False,
    ),
    "python -m, timed": (["x**2", "--timing-points", "1000", "--save", "square.pdf"], True),
    "a method fails": (["branchy.py", "--no-timing", "--no-plot"], False),
    "help": (["--help"], False),
    "version": (["--version"], False),
    "extrema": (["2*x**3 - 3*x**2 + 5", "--extrema", "--no-timing"], False),
    "gradient": (["2*x**2 - x*y", "--gradient", "--at", "x=1,y=2", "--no-timing"], False),
    "step study": (
        ["sin(x)", "--at", "1", "--step-study", "--save", "steps.png", "--no-timing"],
        False,
    ),
    "engines": (["sin(x)", "--engines", "numpy,jax", "--no-timing", "--no-plot"], False),
}

HELP_EXAMPLES = [
    line.strip()
    for line in diffmagic.frontends.cli.EXAMPLES.splitlines()
    if line.strip().startswith("diffmagic ")
]


def readme_bash_blocks() -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)


def readme_commands() -> list[tuple[list[str], bool]]:
    """Every diffmagic command in the README's bash blocks: (args, run with `python -m`?).

    `diffmagic`, `.venv/bin/diffmagic`, `python -m diffmagic` and `.venv/bin/python -m
    diffmagic` all run with this interpreter, the one the README's install line sets up.
    """
    commands = []
    for block in readme_bash_blocks():
        for line in block.splitlines():
            for segment in line.split("&&"):
                words = shlex.split(segment, comments=True)
                if words and re.fullmatch(r"(\S*/)?diffmagic", words[0]):
                    commands.append((with_no_timing(words[1:]), False))
                elif (
                    len(words) >= 3
                    and re.fullmatch(r"(\S*/)?python3?", words[0])
                    and words[1:3] == ["-m", "diffmagic"]
                ):
                    commands.append((with_no_timing(words[3:]), True))
    return commands


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """The user's folder: the lab's file, a file with a Python `if`, and the repo's examples."""
    folder = tmp_path_factory.mktemp("terminal")
    (folder / "lab.py").write_text(LAB_PY, encoding="utf-8")
    (folder / "branchy.py").write_text(BRANCHY_PY, encoding="utf-8")
    shutil.copytree(REPO / "examples", folder / "examples")
    return folder


@pytest.fixture(scope="module")
def runs(workdir: Path) -> dict[str, Run]:
    """Every command several tests read, run once and side by side in the user's folder.

    The examples of --help and the README's commands join them; one that is the same as a
    command already listed runs once. No two commands write the same file.
    """
    named: dict[str, tuple[tuple[str, ...], bool]] = {
        name: (tuple(args), module) for name, (args, module) in COMMANDS.items()
    }
    for name, (args, _, _) in MISUSE.items():
        named[f"misuse: {name}"] = ((*args, "--no-timing", "--no-plot"), False)
    for example in HELP_EXAMPLES:
        named[f"help example: {example}"] = (tuple(with_no_timing(shlex.split(example)[1:])), False)
    for index, (args, module) in enumerate(readme_commands()):
        named[f"readme {index}"] = (tuple(args), module)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {
            key: pool.submit(run, list(key[0]), cwd=workdir, module=key[1])
            for key in dict.fromkeys(named.values())
        }
        finished = {key: future.result() for key, future in futures.items()}
    return {name: finished[key] for name, key in named.items()}


# ----------------------------------------------------------------------------- an expression


@pytest.mark.slow
def test_an_expression_prints_the_table_and_the_derivative_and_exits_0(runs) -> None:
    result = runs["expression"]
    assert result.returncode == 0, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
    assert "f'(x) = 9*cos(3*x) - 2*exp(-2*x)" in result.stdout, explain(result)
    rows = table(result.stdout)
    assert list(rows) == list(ALL_ROWS), explain(result)
    for label in ALL_ROWS:
        assert rows[label]["status"] == "ok", explain(result)
        assert rows[label]["max abs error"] not in ("", "—"), explain(result)
    assert rows["automatic (JAX)"]["engine"] == "jax jit(vmap(jvp))"


@pytest.mark.slow
def test_no_colour_codes_in_a_pipe_and_colour_when_asked_for(runs) -> None:
    for name in ("expression", "file", "a method fails"):
        assert ANSI_ESCAPE not in runs[name].stdout, explain(runs[name])
    coloured = runs["colour"]
    assert coloured.returncode == 0, explain(coloured)
    row_lines = [line for line in coloured.stdout.splitlines() if "symbolic (SymPy)" in line]
    assert row_lines, explain(coloured)
    assert row_lines[0].startswith(ANSI_ESCAPE), explain(coloured)
    rows = table(ANSI_SEQUENCE.sub("", coloured.stdout))
    assert all(rows[label]["status"] == "ok" for label in ALL_ROWS), explain(coloured)


@pytest.mark.slow
def test_python_dash_m_runs_the_same_command_and_times_at_the_points_asked_for(
    runs, workdir
) -> None:
    result = runs["python -m, timed"]
    assert result.argv[:3] == list(PYTHON_M_DIFFMAGIC)
    assert result.returncode == 0, explain(result)
    assert "1,000 points" in result.stdout, explain(result)
    rows = table(result.stdout)
    for label in ALL_ROWS:
        assert re.fullmatch(r"[\d.]+ (s|ms|µs|ns)", rows[label]["warm eval"]), explain(result)
    assert (workdir / "square.pdf").read_bytes().startswith(b"%PDF-")


# ----------------------------------------------------------------------------- a file


@pytest.mark.slow
def test_a_file_and_a_function_in_it(runs) -> None:
    result = runs["file:function"]
    assert result.returncode == 0, explain(result)
    assert "f_polynomial' of f_polynomial(x) on [-1, 1.5], 100 points" in result.stdout
    assert "f_polynomial'(x) = 9.0*x**2 + 1.0*x - 2.0" in result.stdout, explain(result)
    assert all(row["status"] == "ok" for row in table(result.stdout).values())


@pytest.mark.slow
def test_a_file_alone_means_its_last_function(runs) -> None:
    result = runs["file"]
    assert result.returncode == 0, explain(result)
    assert "f_polynomial' of f_polynomial(x) on [-5, 5]" in result.stdout, explain(result)
    assert "f_polynomial_simple" not in result.stdout, explain(result)


# ----------------------------------------------------------------------------- files written


@pytest.mark.slow
def test_save_writes_a_png_of_the_figure_size(runs, workdir) -> None:
    assert runs["file:function"].returncode == 0, explain(runs["file:function"])
    with Image.open(workdir / "poly.png") as image:
        assert image.format == "PNG"
        # A 9.5 x 6 inch figure at 100 dpi.
        assert image.size == (950, 600)


def assert_abs_ran(result: Run) -> None:
    """|x| on the default grid: every row computed, np.gradient inaccurate next to the corner
    (its differences span x = 0), so the command exits 1, the table saying why."""
    assert result.returncode == 1, explain(result)
    assert "span" in result.stdout and "Traceback" not in result.stderr, explain(result)


@pytest.mark.slow
def test_save_writes_svg_and_pdf_by_suffix(runs, workdir) -> None:
    assert_abs_ran(runs["abs files"])
    svg = (workdir / "abs.svg").read_bytes()
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg[:2000]
    assert (workdir / "square.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
def test_json_round_trips_with_the_kink_of_abs(runs, workdir) -> None:
    assert_abs_ran(runs["abs files"])
    with open(workdir / "abs.json", encoding="utf-8") as file:
        saved = json.load(file)
    assert set(saved["methods"]) == {"symbolic", "numerical", "finite_difference", "automatic"}
    assert len(saved["x"]) == 100 and saved["x"][0] == -5.0 and saved["x"][-1] == 5.0
    assert isinstance(saved["reference"], str) and saved["reference"]
    assert saved["nondifferentiable"] == [{"x": 0.0, "kind": "corner"}]
    assert saved["methods"]["symbolic"]["expr"] == "sign(x)"


@pytest.mark.slow
def test_html_is_one_self_contained_page_with_the_table_and_the_figure(runs, workdir) -> None:
    assert_abs_ran(runs["abs files"])
    page = (workdir / "abs.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<table class="diffmagic-table"' in page
    images = re.findall(r"src=['\"]data:image/png;base64,([A-Za-z0-9+/=]+)['\"]", page)
    assert images
    with Image.open(io.BytesIO(base64.b64decode(images[0]))) as image:
        assert image.format == "PNG"
    # Nothing fetched from elsewhere: every src is embedded, no stylesheet or script is linked.
    assert all(source.startswith("data:") for source in re.findall(r"src=['\"]([^'\"]*)", page))
    assert "<link" not in page and "<script src" not in page
    assert "http://" not in page and "https://" not in page


# ----------------------------------------------------------------------------- exit status


@pytest.mark.slow
def test_a_method_that_fails_exits_1_and_the_table_says_which(runs) -> None:
    result = runs["a method fails"]
    assert result.returncode == 1, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
    assert "failed" in result.stdout
    rows = table(result.stdout)
    assert rows["symbolic (SymPy)"]["status"] == "failed", explain(result)
    # SymPy cannot trace f: JAX stands in, confirmed by finite differences, and says so
    assert rows["automatic (JAX)"]["status"].startswith("reference"), explain(result)
    assert "uses Python `if`" in result.stdout and "np.where" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MISUSE))
def test_misuse_exits_2_with_one_line_and_no_traceback(runs, name) -> None:
    _, by_argparse, fragments = MISUSE[name]
    result = runs[f"misuse: {name}"]
    if by_argparse:
        assert_argparse_error(result, *fragments)
    else:
        assert_one_line_error(result, *fragments)


@pytest.mark.slow
def test_save_without_a_figure_is_refused_before_any_work(workdir) -> None:
    """--save with --no-plot cannot succeed: say so at once, not after printing the table."""
    result = run(["x**2", "--no-timing", "--no-plot", "--save", "nothing.png"], cwd=workdir)
    assert_one_line_error(result, "--no-plot")
    assert not (workdir / "nothing.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "subject"),
    [(["x**+"], "expression"), (["lab.py:missing"], "lab.py")],
    ids=["a typo in an expression", "a function the file does not define"],
)
def test_errors_speak_of_the_expression_or_the_file_not_of_a_notebook_cell(
    workdir, args, subject
) -> None:
    """On a command line there is no cell: the message names what the user typed."""
    result = run([*args, "--no-timing", "--no-plot"], cwd=workdir)
    assert_one_line_error(result, subject)
    assert "cell" not in result.stderr, explain(result)


# ----------------------------------------------------------------------------- help


def test_version_prints_the_installed_version(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stopped:
        diffmagic.frontends.cli.main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"diffmagic {version('diffmagic')}\n"


@pytest.mark.slow
def test_the_command_tells_its_version(runs) -> None:
    from importlib.metadata import version

    result = runs["version"]
    assert result.returncode == 0, explain(result)
    assert result.stdout == f"diffmagic {version('diffmagic')}\n", explain(result)


@pytest.mark.slow
def test_help_shows_every_option_and_the_examples(runs) -> None:
    result = runs["help"]
    assert result.returncode == 0, explain(result)
    for flags, _ in OPTIONS:
        for flag in flags:
            assert flag in result.stdout, f"{flag} missing from --help"
    for flag in ("--json", "--html", "--color"):
        assert flag in result.stdout
    assert "examples:" in result.stdout
    assert HELP_EXAMPLES, "diffmagic.frontends.cli.EXAMPLES lists no command"
    for example in HELP_EXAMPLES:
        assert example in result.stdout


@pytest.mark.slow
def test_every_example_in_help_runs(runs) -> None:
    for example in HELP_EXAMPLES:
        result = runs[f"help example: {example}"]
        assert result.returncode in (0, 1), explain(result)
        assert "Traceback" not in result.stderr, explain(result)
        assert result.stdout.strip(), explain(result)


# ----------------------------------------------------------------------------- features


@pytest.mark.slow
def test_extrema_lists_the_maximum_and_the_minimum(runs) -> None:
    result = runs["extrema"]
    assert result.returncode == 0, explain(result)
    assert re.search(r"maximum at x = 0\b", result.stdout), explain(result)
    assert re.search(r"minimum at x = 1\b", result.stdout), explain(result)


@pytest.mark.slow
def test_gradient_lists_each_partial_by_each_method(runs) -> None:
    result = runs["gradient"]
    assert result.returncode == 0, explain(result)
    rows = table(result.stdout)
    assert set(ALL_ROWS) <= set(rows), explain(result)
    for label, row in rows.items():
        assert (row["d/dx"], row["d/dy"]) == ("2", "-1"), f"{label}: {row}"


@pytest.mark.slow
def test_step_study_prints_the_best_steps(runs) -> None:
    result = runs["step study"]
    assert result.returncode == 0, explain(result)
    assert "best steps for difference quotients" in result.stdout, explain(result)
    for kind in ("forward float64", "forward float32", "central float64", "central float32"):
        assert re.search(rf"{kind}: best h = \d", result.stdout), explain(result)
    assert "f'(x0) = 0.5403023058681" in result.stdout, explain(result)


@pytest.mark.slow
def test_engines_numpy_and_jax_add_rows_on_jax(runs) -> None:
    result = runs["engines"]
    assert result.returncode == 0, explain(result)
    rows = table(result.stdout)
    assert set(ALL_ROWS) <= set(rows), explain(result)
    on_jax = [label for label in rows if label.endswith(" on JAX")]
    assert "symbolic (SymPy) on JAX" in on_jax, explain(result)
    assert "finite differences on JAX" in on_jax, explain(result)
    assert all(rows[label]["status"] == "ok" for label in on_jax), explain(result)


# ----------------------------------------------------------------------------- hostile text

#: What a refusal must not import: it comes before any of this machinery, which a real run
#: imports (a refusal takes about 0.2 s, against 1.5 s for a real run).
HEAVY_MODULES = ("sympy", "jax", "scipy", "matplotlib", "mpmath")


def heavy_modules_imported_by(args: list[str], cwd: Path) -> list[str]:
    """Which of HEAVY_MODULES the command line imports before it answers `args`."""
    code = (
        "import json, sys\n"
        "from diffmagic.frontends.cli import main\n"
        "try:\n    main(json.loads(sys.argv[1]))\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([name for name in {HEAVY_MODULES!r} if name in sys.modules]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


HOSTILE = {
    "__import__": "__import__('os').system('touch PWNED')",
    "attribute": "().__class__",
    "class walk": "().__class__.__base__.__subclasses__()",
    "lambda": "lambda: 0",
    "open": "open('x')",
    "open for writing": "open('PWNED', 'w')",
    "100,000 characters in one name": "x" * 100_000,
    # 1 + 2 * 49,999 + 1 characters of valid Python, too deep for CPython's parser.
    "100,000 characters of x+x+...": "x" + "+x" * 49_999 + " ",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_expressions_are_refused_quickly_and_nothing_runs(tmp_path, name) -> None:
    result = run([HOSTILE[name], "--no-timing"], cwd=tmp_path)
    assert_one_line_error(result)
    assert not (tmp_path / "PWNED").exists()
    assert list(tmp_path.iterdir()) == [], "the expression left files behind"
    assert heavy_modules_imported_by([HOSTILE[name], "--no-timing"], tmp_path) == []
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.slow
def test_text_that_is_not_an_expression_is_never_run(tmp_path) -> None:
    """The argument is an expression or a file: statements typed there are refused, not run."""
    result = run(["import os; os.system('touch PWNED')", "--no-timing"], cwd=tmp_path)
    assert not (tmp_path / "PWNED").exists(), "diffmagic ran the statements it was given"
    assert_one_line_error(result)


# ----------------------------------------------------------------------------- the README


def test_readme_opens_with_install_run_and_test_commands() -> None:
    blocks = readme_bash_blocks()
    assert blocks, "README.md has no ```bash block"
    first = blocks[0]
    assert "pip install" in first and "pytest" in first
    assert readme_commands(), "README.md's bash blocks run no diffmagic command"

    # The main job's line ends by running diffmagic or by opening a notebook that exists.
    commands = [line for line in first.splitlines() if line.strip() and not line.startswith("#")]
    main_job = shlex.split(commands[0].split("&&")[-1], comments=True)
    if re.fullmatch(r"(\S*/)?jupyter(-lab)?", main_job[0]):
        notebooks = [word for word in main_job if word.endswith(".ipynb")]
        assert notebooks and all((REPO / notebook).is_file() for notebook in notebooks)
    else:
        assert "diffmagic" in main_job[0] or main_job[1:3] == ["-m", "diffmagic"], main_job

    # Every extra the install lines name exists.
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for extra in re.findall(r"\.\[(\w+)\]", first):
        assert re.search(rf"^{extra}\s*=", pyproject, re.M), f"pyproject has no extra {extra!r}"

    # "exactly what CI runs": the README's test line is the one .ci/run runs.
    test_lines = [line.strip() for line in commands if "pytest" in line]
    ci_script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_lines and all(line in ci_script for line in test_lines)


def test_readme_pictures_and_local_links_exist() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    local = [target.split("#")[0] for target in targets if not re.match(r"[a-z]+:|#", target)]
    assert [target for target in local if not (REPO / target).exists()] == []


@pytest.mark.slow
def test_every_readme_command_runs(runs) -> None:
    readme_runs = [result for name, result in runs.items() if name.startswith("readme ")]
    assert len(readme_runs) == len(readme_commands())
    assert readme_runs
    for result in readme_runs:
        assert result.returncode in (0, 1), explain(result)
        assert "Traceback" not in result.stderr, explain(result)
        assert result.stdout.strip(), explain(result)


# ----------------------------------------------------------------------------- the wheel


@pytest.mark.slow
def test_the_wheel_ships_the_package_and_nothing_else(tmp_path) -> None:
    # Build from a copy, as a clean clone would: no stale build/ or egg-info, and nothing
    # written into the working tree. pip builds in an isolated environment with the
    # setuptools pyproject.toml asks for (the venv's own may be older).
    checkout = tmp_path / "checkout"
    shutil.copytree(
        REPO,
        checkout,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    pip = [sys.executable, "-m", "pip"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", checkout],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("diffmagic-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(
            (archive.read(name).decode() for name in names if name.endswith("entry_points.txt")),
            "",
        )
    strays = [
        name
        for name in names
        if not re.match(r"diffmagic/|diffmagic-[^/]+\.dist-info/", name)
        or name.endswith((".pyc", "/"))
    ]
    assert strays == [], f"the wheel ships more than the package: {strays}"
    modules = {
        path.relative_to(checkout / "src").as_posix()
        for path in (checkout / "src" / "diffmagic").rglob("*.py")
    }
    assert modules - set(names) == set(), "modules missing from the wheel"
    assert "diffmagic = diffmagic.frontends.cli:run" in entry_points
    # The MIT licence the metadata declares travels with the wheel (issue 16).
    with zipfile.ZipFile(wheel) as archive:
        licences = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
        assert licences, f"no LICENSE in the wheel: {names}"
        licence = archive.read(licences[0]).decode()
        metadata = next(
            archive.read(name).decode() for name in names if name.endswith(".dist-info/METADATA")
        )
    assert (
        licence.startswith("MIT License") and "Copyright (c) 2026 the diffmagic authors" in licence
    )
    assert "License-File: LICENSE" in metadata and "License-Expression: MIT" in metadata

    site = tmp_path / "site"
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "-q", "--target", site, wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (site / "diffmagic" / "__init__.py").is_file()
    check = (
        f"import sys; sys.path.insert(0, {str(site)!r}); "
        "import diffmagic, diffmagic.frontends.cli; "
        "print(diffmagic.__file__); "
        "sys.exit(diffmagic.frontends.cli.main(['x**2', '--no-timing', '--no-plot']))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    first_line = imported.stdout.splitlines()[0]
    assert Path(first_line).resolve() == (site / "diffmagic" / "__init__.py").resolve()
    assert "f'(x) = 2*x" in imported.stdout
