"""MkDocs hooks of the documentation site (mkdocs.yml names this file under `hooks:`).

- One API page per public name, written at build time from `diffmagic.__all__`, so a name added
  to the package gets its page and a removed one loses it: nothing to keep in step by hand.
  Each page is mkdocstrings' rendering of the name's numpydoc docstring, found in the module
  that defines it (griffe reads the source; nothing heavy is imported).
- The API section is titled "API" (MkDocs would name it after its folder, "Api").
- The README, included as the home page, links the example notebooks as `examples/...` from the
  repository's root; include-markdown rewrites that to `../examples/...` from `docs/`, and the
  site serves them at `examples/...` (`docs/examples` links to `examples/`), so the home page's
  links are pointed there.
"""

from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files

import diffmagic

API_FOLDER = "api"


def _defining_module(name: str) -> str:
    """The module that defines the public `name`, without importing it when it is lazy."""
    lazy = getattr(diffmagic, "_PUBLIC", {})
    return lazy[name] if name in lazy else getattr(diffmagic, name).__module__


def _api_index(names: list[str]) -> str:
    links = "\n".join(f"- [`diffmagic.{name}`]({name}.md)" for name in names)
    return (
        "# API\n\nEvery public name of `diffmagic`, each on its page with its docstring "
        f"(parameters, returns, raises, examples).\n\n{links}\n"
    )


def on_files(files: Files, config: Any) -> Files:
    """Add `api/index.md` and one `api/NAME.md` per public name."""
    names = sorted(diffmagic.__all__, key=str.lower)
    files.append(File.generated(config, f"{API_FOLDER}/index.md", content=_api_index(names)))
    for name in names:
        page = f"# diffmagic.{name}\n\n::: {_defining_module(name)}.{name}\n"
        page += "    options:\n      show_root_heading: false\n"
        files.append(File.generated(config, f"{API_FOLDER}/{name}.md", content=page))
    return files


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Point the home page's links to the notebooks at the site's copy of `examples/`."""
    if page.file.src_uri == "index.md":
        return markdown.replace("](../examples/", "](examples/")
    return markdown


def on_nav(nav: Any, **_: Any) -> Any:
    """Title the section of the API pages as it is written."""
    for item in nav.items:
        if item.is_section and item.title.lower() == API_FOLDER:
            item.title = "API"
    return nav
