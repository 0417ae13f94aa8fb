"""Helpers of the documentation tests (a module of its own: ``conftest`` is not importable by name)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def require(module: str, why: str) -> None:
    """Skips (or, under HOLOGRAM_DOCS_REQUIRED=1, fails) when ``module`` is not installed."""
    if importlib.util.find_spec(module) is None:
        message = f"{module} is not installed ({why}): run with `uv run --group docs pytest`"
        if os.environ.get("HOLOGRAM_DOCS_REQUIRED") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def build_site(out: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict -d out`` from the repository root."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600, check=False)
