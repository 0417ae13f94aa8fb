"""Runs the C test programs of native/ (plain build, warnings as errors) from pytest."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parents[3] / "native"


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("gcc") is None,
                    reason="the C tests need make and gcc")
@pytest.mark.skipif(not NATIVE.is_dir(), reason="native/ is only in the repository, not in an installed wheel")
def test_c_unit_tests_pass() -> None:
    proc = subprocess.run(["make", "-C", str(NATIVE), "test"], capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    results = re.findall(r"^(\d+) passed, (\d+) failed$", output, re.M)
    assert len(results) >= 2, output  # both test programs reported
    assert all(int(failed) == 0 and int(passed) > 0 for passed, failed in results), output


@pytest.mark.skipif(not NATIVE.is_dir(), reason="native/ is only in the repository")
def test_binding_matches_header() -> None:
    """Every function of hologram.h is callable through the binding."""
    from hologram_core import lib

    header = (NATIVE / "include" / "hologram" / "hologram.h").read_text()
    names = set(re.findall(r"\b(hg_[a-z0-9_]+)\s*\(", header))
    assert len(names) > 30
    missing = [n for n in names if not hasattr(lib, n)]
    assert not missing
    assert lib.hg_backend_abi_version() == 1
