"""Fixtures of the hologram-torch tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import hologram as hg


@pytest.fixture
def executor() -> Iterator[hg.Executor]:
    """A CPU executor of its own, closed after the test."""
    with hg.Executor(backend="cpu") as ex:
        yield ex
