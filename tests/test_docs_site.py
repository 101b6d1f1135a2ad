"""The documentation site builds without a warning, and a reader browsing it meets no broken
picture and no broken link.

`mkdocs build --strict` (mkdocs.yml) writes the site into a temporary folder; a local HTTP server
serves it (its pages link folders, `api/compare/`, as a web server resolves them) and headless
Debian chromium opens every page, with every request outside the site refused (the check must
not depend on the network). On each page every <img> must have loaded (naturalWidth > 0), and
every link into the site must name a file the build wrote. The pages a reader comes for are
there: the README as the home page with its pictures, one page per public name with its
docstring, every example notebook with its stored figures.
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_panel_browser import ARTIFACTS, chromium_page

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: The README's pictures, ![...](docs/images/...): the home page shows each of them.
README_PICTURES = len(
    re.findall(r"!\[[^\]]*\]\(docs/images/", (ROOT / "README.md").read_text(encoding="utf-8"))
)

#: Every <img> of the page once each has been asked to load: its source and natural width.
IMAGES_JS = """async () => {
    const images = [...document.images];
    const loaded = (img) => { img.loading = 'eager'; return img.decode().catch(() => null); };
    await Promise.all(images.map(loaded));
    return images.map((img) => ({src: img.src.slice(0, 120), width: img.naturalWidth}));
}"""
#: Every link of the page, resolved against the page's address.
LINKS_JS = "() => [...document.querySelectorAll('a[href]')].map((a) => a.href)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `mkdocs build --strict` writes it; the build's log must hold no warning."""
    site_dir = tmp_path_factory.mktemp("docs") / "site"
    config = ["-f", str(ROOT / "mkdocs.yml"), "-d", str(site_dir)]
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *config],
        cwd=site_dir.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    log = build.stdout + build.stderr
    assert build.returncode == 0, log
    assert "WARNING" not in log, log
    return site_dir


@contextlib.contextmanager
def _serving(directory: Path) -> Iterator[str]:
    """`directory` served over HTTP on a free local port, quietly, for the block."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _built_file(site_dir: Path, url: str) -> Path:
    """The file a link into the site names (a folder's index.html for a folder)."""
    path = unquote(urlsplit(url).path).lstrip("/")
    target = site_dir / path
    return target / "index.html" if url.split("#")[0].endswith("/") or target.is_dir() else target


def _pages(site_dir: Path) -> list[str]:
    """Every page of the site, by its address relative to the root."""
    return sorted(
        str(page.relative_to(site_dir).parent) + "/"
        for page in site_dir.rglob("index.html")
        if "search" not in page.parts
    )


def test_every_page_shows_its_pictures_and_links_only_to_pages_that_exist(site: Path) -> None:
    import diffmagic

    pages = _pages(site)
    assert "./" in pages
    api_pages = {f"api/{name}/" for name in diffmagic.__all__}
    assert api_pages <= set(pages), f"no page for {sorted(api_pages - set(pages))}"
    notebooks = sorted(path.stem for path in (ROOT / "examples").glob("*.ipynb"))
    assert {f"examples/{name}/" for name in notebooks} <= set(pages)

    broken_images: list[str] = []
    broken_links: list[str] = []
    shown: dict[str, int] = {}
    artifacts = ARTIFACTS / "docs"
    artifacts.mkdir(parents=True, exist_ok=True)
    with _serving(site) as origin, chromium_page(artifacts) as page:
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(origin) else route.abort()
            ),
        )
        for address in pages:
            page.goto(f"{origin}/{address}", wait_until="load")
            images = page.evaluate(IMAGES_JS)
            shown[address] = sum(1 for image in images if image["width"] > 0)
            broken_images += [
                f"{address}: {image['src']}" for image in images if not image["width"]
            ]
            for link in page.evaluate(LINKS_JS):
                if link.startswith(origin) and not _built_file(site, link).is_file():
                    broken_links.append(f"{address} -> {link[len(origin) :]}")

    assert broken_images == []
    assert sorted(set(broken_links)) == []
    assert shown["./"] >= README_PICTURES, "the home page lost README pictures"
    for name in notebooks:
        stored = _stored_pictures(ROOT / "examples" / f"{name}.ipynb")
        assert shown[f"examples/{name}/"] >= stored, f"{name}: {stored} figures stored"


def _stored_pictures(path: Path) -> int:
    """How many outputs of the stored notebook show a PNG, as `image/png` or inlined in their
    HTML (the panel's static figure): each is an <img> on its page. (An SVG, the computational
    graph's, is drawn inline.)"""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return sum(
        1
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
        or "data:image/png" in "".join(output.get("data", {}).get("text/html", ""))
    )


def _page_text(page: Path) -> str:
    """The text of a built page with no tags and no whitespace (the rendering splits words
    from punctuation around code: `compare()` followed by a colon)."""
    text = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return "".join(html.unescape(text).split())


def test_each_api_page_shows_the_docstring_of_its_name(site: Path) -> None:
    """mkdocstrings rendered each public name's own docstring, not an empty page: the page
    holds the docstring's summary line, and a function's page its numpydoc sections."""
    import inspect

    import diffmagic

    for name in diffmagic.__all__:
        value = getattr(diffmagic, name)
        summary = inspect.getdoc(value).splitlines()[0].replace("`", "")
        text = _page_text(site / "api" / name / "index.html")
        assert "".join(summary.split()[:6]) in text, (name, summary)
        if inspect.isfunction(value) and "Parameters" in inspect.getdoc(value):
            assert "Parameters" in text and "Examples" in text, name
