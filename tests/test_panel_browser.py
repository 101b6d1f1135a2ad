"""The panel in a real browser: Jupyter serves examples/03_panel.ipynb, Chromium runs it.

A learner opens the notebook, runs every cell, sees the panel, moves the x0 slider from the
keyboard, and the figure is redrawn with no error anywhere. The same story runs in both front
ends the panel supports: JupyterLab (`lab`) and Jupyter Notebook 7 (`notebook`). Screenshots
before and after are kept in artifacts/browser/<frontend>/ for the record.

Needs Debian's `chromium` (`.ci/install-browser`, called by `.ci/run`, installs it) and the
`playwright`, `jupyterlab` and `notebook` (>= 7) Python packages. No browser is ever downloaded
by Playwright.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: Starts JupyterLab and Notebook 7 and drives them in a headless browser.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "03_panel.ipynb"
ARTIFACTS = ROOT / "artifacts" / "browser"

SERVER_START_TIMEOUT = 60.0  # seconds for the Jupyter server to answer
PAGE_TIMEOUT_MS = 60_000  # the notebook page and its kernel
PANEL_TIMEOUT_MS = 90_000  # run all cells: imports JAX, SymPy, compiles the derivatives
REDRAW_TIMEOUT_MS = 45_000  # the figure redrawn after the slider moved
KEY_PRESSES = 10  # of the front end's x0_key

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ERROR_OUTPUTS = (
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
)


@dataclass(frozen=True)
class Frontend:
    """What differs between JupyterLab and Notebook 7; everything else is shared."""

    name: str  # the test id and the artifacts subfolder
    module: str  # `python -m <module>` starts its server (server options are all shared)
    page: str  # the notebook's page, `{name}` is its file name
    kernel_idle: str  # a Playwright selector, visible once the page shows its kernel idle
    x0_key: str  # the key that moves the focused x0 slider right


FRONTENDS = (
    Frontend(
        name="lab",
        module="jupyterlab",
        page="/lab/tree/{name}",
        kernel_idle=r'.jp-StatusBar-TextItem:text-matches("\\|\\s*Idle")',  # "Python 3 | Idle"
        x0_key="ArrowRight",
    ),
    Frontend(
        name="notebook",
        module="notebook",
        page="/notebooks/{name}",
        # No status bar: the kernel's circle in the notebook's toolbar.
        kernel_idle='.jp-Notebook-ExecutionIndicator[data-status="idle"]',
        # Not the arrows: Notebook 7 (7.6) starts Lumino without `bubblingKeydown`, so its
        # command-mode bindings (ArrowLeft/Right: move to heading, ArrowUp/Down: move cursor,
        # selector `.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus`) take the
        # key in the capture phase before the focused slider sees it: x0 does not move.
        # PageUp is not bound there; noUiSlider moves the handle by a page step for it.
        x0_key="PageUp",
    ),
)


@dataclass(frozen=True)
class Server:
    frontend: Frontend
    url: str
    token: str
    log: Path


def _chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found is None:
        pytest.fail(
            "Debian's chromium is not installed: `.ci/run` installs it with .ci/install-browser "
            "(apt-get install -y chromium); this test never downloads a browser.",
            pytrace=False,
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the server shut its kernels down; SIGKILL the group if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Anything the server left behind in its own process group (a kernel), by that group's id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(params=FRONTENDS, ids=lambda frontend: frontend.name)
def jupyter_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    frontend: Frontend = request.param
    if importlib.util.find_spec(frontend.module) is None:
        pytest.fail(f"{frontend.module} is not installed: pip install -e '.[test]'", pytrace=False)
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    home = tmp_path / "jupyter"
    env = dict(os.environ)
    env.update(
        # Nothing from the user's own Jupyter setup; the kernel is this environment's python3.
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTER_PREFER_ENV_PATH="1",
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(home / "ipython"),
        MPLBACKEND="Agg",
    )
    # The front end asks whether to fetch Jupyter news and check for updates: answer "never".
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = _free_port(), secrets.token_hex(24)
    log = tmp_path / f"{frontend.module}.log"
    command = [
        sys.executable,
        "-m",
        frontend.module,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        # No phoning home: no news feed, no update check, no PyPI extension manager. Notebook 7's
        # server loads the jupyterlab server extension (it serves /lab/api/news) and applies these.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--ServerApp.terminals_enabled=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")  # ServerApp.allow_root: both servers refuse root without it
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{frontend.module} exited with {process.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{frontend.module} did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{_tail(log)}"
                )
            time.sleep(0.25)
        yield Server(frontend=frontend, url=base, token=token, log=log)
    finally:
        _stop(process)


def _wait_for_kernel(server: Server, notebook: str, timeout_s: float) -> None:
    """Until the server says the notebook's kernel is idle with the page connected to it."""
    deadline = time.monotonic() + timeout_s
    sessions: list[dict] = []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"{server.url}/api/sessions?token={server.token}", timeout=5
            ) as response:
                sessions = json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            sessions = []
        for session in sessions:
            kernel = session.get("kernel") or {}
            if (
                session.get("path") == notebook
                and kernel.get("execution_state") == "idle"
                and kernel.get("connections", 0) >= 1
            ):
                return
        time.sleep(0.25)
    pytest.fail(
        f"no idle kernel for {notebook} within {timeout_s:.0f} s: {sessions}\n{_tail(server.log)}"
    )


def _sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'", pytrace=False)
    return sync_playwright


@contextlib.contextmanager
def chromium_page(
    artifacts: Path, *, height: int = 1600, page_errors: list[str] | None = None
) -> Iterator[Any]:
    """A page of headless Debian chromium (never a downloaded browser). Should the test's
    block fail, the page is saved as `99-failure.png` in `artifacts`; the browser is closed
    either way."""
    executable = _chromium()
    with _sync_playwright()() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": height})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            if page_errors is not None:
                page.on("pageerror", lambda error: page_errors.append(str(error)))
            yield page
        except Exception:
            with contextlib.suppress(Exception):
                page.screenshot(path=artifacts / "99-failure.png", full_page=True)
            raise
        finally:
            browser.close()


@contextlib.contextmanager
def notebook_page(
    server: Server,
    notebook: str,
    artifacts: Path,
    *,
    height: int = 1600,
    page_errors: list[str] | None = None,
) -> Iterator[Any]:
    """`notebook` open in the server's front end with its kernel idle: the steps every
    notebook test in the browser takes first (see `chromium_page` for a failure)."""
    with chromium_page(artifacts, height=height, page_errors=page_errors) as page:
        page.goto(
            server.url + server.frontend.page.format(name=notebook) + f"?token={server.token}",
            wait_until="domcontentloaded",
        )
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        panel.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible")
        _wait_for_kernel(server, notebook, PAGE_TIMEOUT_MS / 1000)
        page.locator(server.frontend.kernel_idle).first.wait_for(state="visible")
        yield page


def run_all_cells(page: Any, done: Callable[[], bool], timeout_ms: float) -> None:
    """Run > Run All Cells (the same menu in JupyterLab and Notebook 7), then wait until
    `done()`; should the page still think it has no kernel, it asks for one: take the default."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    run_all = page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    page.locator(".lm-Menu-item").filter(has=run_all).click()
    select_kernel = page.locator(".jp-Dialog", has_text="Select Kernel")
    deadline = time.monotonic() + timeout_ms / 1000
    while not done() and time.monotonic() < deadline:
        if select_kernel.is_visible():
            select_kernel.locator(".jp-Dialog-button.jp-mod-accept").click()
        page.wait_for_timeout(500)


def _wait_until_stable(read, settle_s: float = 2.0, timeout_s: float = 20.0) -> str:
    """Poll `read()` until it has not changed for `settle_s` (each key press may redraw)."""
    value, since = read(), time.monotonic()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.25)
        current = read()
        if current != value:
            value, since = current, time.monotonic()
        elif time.monotonic() - since >= settle_s:
            break
    return value


def test_panel_redraws_when_x0_moves_from_the_keyboard(jupyter_server: Server) -> None:
    frontend = jupyter_server.frontend
    artifacts = ARTIFACTS / frontend.name
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("*.png"):
        old.unlink()
    started = time.monotonic()
    page_errors: list[str] = []

    with notebook_page(jupyter_server, NOTEBOOK.name, artifacts, page_errors=page_errors) as page:
        # The panel: the VBox holding the x0 slider and the output area with the figure.
        x0_label = page.locator(".widget-label", has_text=re.compile(r"^\s*x0\s*$"))
        x0_slider = page.locator(".widget-slider").filter(has=x0_label)
        run_all_cells(page, x0_slider.is_visible, PANEL_TIMEOUT_MS)
        x0_slider.wait_for(state="visible", timeout=5_000)
        panel = (
            page.locator(".widget-vbox")
            .filter(has=x0_slider)
            .filter(has=page.locator(".widget-output"))
            .last
        )
        image = panel.locator(".widget-output img").first
        image.wait_for(state="visible", timeout=PANEL_TIMEOUT_MS)
        readout = x0_slider.locator(".widget-readout")
        status = panel.locator(".widget-html")

        before_src = image.get_attribute("src") or ""
        before_x0 = readout.inner_text().strip()
        assert before_src.startswith("data:image/png;base64,"), before_src[:80]
        panel.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "01-page-before.png", full_page=True)
        image.screenshot(path=artifacts / "01-figure-before.png")

        # Move x0 from the keyboard: focus the noUiSlider handle, press the key.
        handle = x0_slider.locator(".noUi-handle")
        handle.focus()
        for _ in range(KEY_PRESSES):
            page.keyboard.press(frontend.x0_key)

        page.wait_for_function(
            """([old]) => {
                const imgs = [...document.querySelectorAll('.widget-output img')];
                return imgs.length > 0 && imgs.every((img) => img.src && img.src !== old);
            }""",
            arg=[before_src],
            timeout=REDRAW_TIMEOUT_MS,
        )
        # One redraw per key press may be on its way: keep the last one.
        after_src = _wait_until_stable(lambda: image.get_attribute("src") or "")
        after_x0 = readout.inner_text().strip()
        panel.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "02-page-after.png", full_page=True)
        image.screenshot(path=artifacts / "02-figure-after.png")

        errors = [text.strip() for text in page.locator(ERROR_OUTPUTS).all_inner_texts()]
        tracebacks = [
            text.strip()
            for text in page.locator(".jp-OutputArea .jp-RenderedText").all_inner_texts()
            if "Traceback" in text or "Error" in text
        ]
        status_count = status.count()
        status_text = " ".join(status.all_inner_texts()).strip()
        output_size = panel.locator(".widget-output").first.evaluate(
            "(el) => `${el.clientWidth}x${el.clientHeight} showing "
            "${el.scrollWidth}x${el.scrollHeight}`"
        )
        status_html = " ".join(
            status.locator(".widget-html-content").evaluate_all(
                "(els) => els.map((el) => el.innerHTML)"
            )
        )

    elapsed = time.monotonic() - started
    (artifacts / "run.txt").write_text(
        f"x0 before: {before_x0}\nx0 after: {after_x0} ({KEY_PRESSES} x {frontend.x0_key})\n"
        f"output area: {output_size}\nbrowser part: {elapsed:.1f} s\n"
        f"page errors: {page_errors}\n"
    )
    assert after_src != before_src, "the figure was not redrawn after x0 moved"
    assert after_src.startswith("data:image/png;base64,"), after_src[:80]
    # The readout is d3-formatted: a negative number starts with U+2212, not "-".
    moved = [float(text.replace("\N{MINUS SIGN}", "-")) for text in (before_x0, after_x0)]
    assert moved[1] > moved[0], f"x0 did not move right: {before_x0} -> {after_x0}"
    assert not errors, f"error output in the notebook: {errors}"
    assert not tracebacks, f"traceback in the notebook: {tracebacks}"
    assert status_count == 1, f"expected one status line in the panel, found {status_count}"
    assert not status_text, f"the panel's status line shows: {status_text!r} ({status_html})"
