"""Shared fixtures: a CPU executor per test (hypothesis profiles: the repository's conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import hologram as hg


@pytest.fixture
def ex() -> Iterator[hg.Executor]:
    """A fresh CPU executor, closed after the test."""
    with hg.Executor(backend="cpu") as executor:
        yield executor
