"""Fixtures of the documentation tests: the built site.

The site is built once per session with ``mkdocs build --strict`` into a
temporary directory (nothing is written into the repository), or taken from
``$HOLOGRAM_DOCS_SITE`` when CI has just built it. Without the ``docs``
dependency group (``uv run --group docs pytest``) the tests that need the site
skip, saying so; ``HOLOGRAM_DOCS_REQUIRED=1`` turns that skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from docs_support import build_site, require


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: ``$HOLOGRAM_DOCS_SITE``, or a strict build into a temporary directory."""
    given = os.environ.get("HOLOGRAM_DOCS_SITE")
    if given:
        site = Path(given)
        assert (site / "index.html").is_file(), f"HOLOGRAM_DOCS_SITE={given} holds no built site"
        return site
    require("mkdocs", "it builds the site")
    require("material", "the site's theme")
    require("mkdocstrings", "the API reference")
    site = tmp_path_factory.mktemp("site")
    proc = build_site(site)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return site
