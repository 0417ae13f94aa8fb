"""Shared fixtures: a CPU executor per test and hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

import hologram as hg

# CI machines are small and shared: fewer examples there, no per-example deadline anywhere
# (timing belongs to `hologram bench`, not to tests).
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def ex() -> Iterator[hg.Executor]:
    """A fresh CPU executor, closed after the test."""
    with hg.Executor(backend="cpu") as executor:
        yield executor
