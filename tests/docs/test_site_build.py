"""The site's sources stay complete and its build stays strict.

Static checks (no mkdocs needed): every page of ``docs/`` is in the navigation
of ``mkdocs.yml`` and every navigation entry exists; every public module of
``hologram`` and ``hologram_torch`` has its API reference page; the README
links the documentation pages, and each of its relative links resolves. The
build itself (``mkdocs build --strict``, which fails on any warning: a broken
link, a missing page, an unresolved reference) runs in the ``site_dir``
fixture; its output must hold every page.
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

from doc_blocks import DOCS, README, ROOT

import hologram
import hologram_torch

MKDOCS = ROOT / "mkdocs.yml"
#: The five pages the seed README promises (its "Documentation" list), by path.
PROMISED = ("getting-started.md", "pytorch-integration.md", "zero-copy-buffers.md", "gpu-backends.md",
            "benchmarks.md")


def nav_pages() -> list[str]:
    return re.findall(r":\s+(\S+\.md)\s*$", MKDOCS.read_text(encoding="utf-8"), re.MULTILINE)


def test_every_page_is_in_the_navigation() -> None:
    nav = nav_pages()
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(set(nav)) == pages, (f"not in nav: {sorted(set(pages) - set(nav))}; "
                                       f"in nav but missing: {sorted(set(nav) - set(pages))}")
    assert len(nav) == len(set(nav)), "a page is listed twice"
    for page in PROMISED:
        assert page in nav


def _public_modules(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    return [name] + [f"{name}.{m.name}" for m in pkgutil.iter_modules(package.__path__)  # type: ignore[attr-defined]
                     if not m.name.startswith("_")]


def test_every_public_module_has_a_reference_page() -> None:
    for module in _public_modules(hologram) + _public_modules(hologram_torch):
        page = DOCS / "reference" / f"{module}.md"
        assert page.is_file(), f"{module} has no API reference page ({page.relative_to(ROOT)})"
        assert re.search(rf"^::: {re.escape(module)}\s*$", page.read_text(encoding="utf-8"), re.M), (
            f"{page.relative_to(ROOT)} does not render {module} with mkdocstrings")


def test_readme_links_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    for link in local:
        assert (ROOT / link).exists(), f"README.md links {link}, which does not exist"
    for page in PROMISED:
        assert f"docs/{page}" in local, f"README.md should link docs/{page}"
    assert "examples/" in text


def test_site_holds_every_page(site_dir: Path) -> None:
    for page in nav_pages():
        built = site_dir / ("index.html" if page == "index.md" else page.removesuffix(".md") + "/index.html")
        assert built.is_file(), f"{page} was not built"
    assert (site_dir / "search" / "search_index.json").is_file()
    reference = (site_dir / "reference" / "hologram.executor" / "index.html").read_text(encoding="utf-8")
    assert "allocate" in reference and "host_addressable" in reference, "the API reference is empty"
    assert ":class:`" not in reference, "a Sphinx role was rendered verbatim"
