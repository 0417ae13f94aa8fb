"""Fixtures of the WebGPU backend's tests: an executor on it, or a skip that says why not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webgpu_support import hologram_metal, skip_reason

import hologram as hg


@pytest.fixture(scope="session")
def backend_name() -> str:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    assert hologram_metal is not None
    return hologram_metal.BACKEND_NAME


@pytest.fixture(scope="session")
def wex(backend_name: str) -> Iterator[hg.Executor]:
    """One executor on the WebGPU backend for the session (asked for by name: a software adapter is
    never auto-selected); tests that close executors make their own."""
    with hg.Executor(backend=backend_name) as executor:
        yield executor
