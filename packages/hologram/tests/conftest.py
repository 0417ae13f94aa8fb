"""Shared fixtures: an executor per test, on the CPU or on every backend of the op suite.

Test modules that set ``ALL_BACKENDS = True`` (the op suite) run each test once
per backend of :func:`backends_under_test.backends_under_test`; their ``ex`` is
an executor on that backend and ``backend`` says what it guarantees. A test
parametrised by a dtype the backend lacks is deselected (not skipped), so the
summary counts only tests that ran. Every other module gets CPU executors.
(Hypothesis profiles: the repository's conftest.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from backends_under_test import BackendUnderTest, backends_under_test
from plugin_fixtures import plugin_sandbox, toy_builder  # registered here for every test module

import hologram as hg

__all__ = ["backend", "ex", "host_memory", "plugin_sandbox", "toy_builder"]

_CPU = BackendUnderTest("cpu")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and getattr(metafunc.module, "ALL_BACKENDS", False):
        chosen = backends_under_test()
        metafunc.parametrize("backend", chosen, ids=[b.name for b in chosen], scope="module")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        b, dtype = params.get("backend"), params.get("dtype")
        if isinstance(b, BackendUnderTest) and dtype is not None and not b.supports(dtype):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def backend() -> BackendUnderTest:
    """The backend under test: the CPU, unless the module runs on every backend."""
    return _CPU


@pytest.fixture
def ex(backend: BackendUnderTest) -> Iterator[hg.Executor]:
    """A fresh executor on ``backend``, closed after the test."""
    with hg.Executor(backend=backend.name) as executor:
        yield executor


@pytest.fixture
def host_memory(backend: BackendUnderTest) -> None:
    """Skips a test that needs memory the CPU can address (wrapping NumPy arrays)."""
    if not backend.host_addressable:
        pytest.skip(f"{backend.name} memory is not host-addressable: wrap() is tested in test_device_memory.py")

