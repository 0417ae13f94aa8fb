"""Packaging rules of hologram-torch: its dependencies, its layers, its torch versions."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import torch

import hologram_torch
from hologram_torch import _compat

PACKAGE = Path(hologram_torch.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_never_imports_hologram_core() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) >= 5
    for path in sources:
        bad = {m for m in _imported_modules(path) if m.split(".")[0] == "hologram_core"}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}: hologram-torch talks to the core only through hologram"
        assert "hologram_core" not in path.read_text(encoding="utf-8"), path


def test_imports_only_its_declared_dependencies() -> None:
    allowed = {"hologram", "hologram_torch", "torch", "numpy", "__future__"} | set(sys.stdlib_module_names)
    for path in PACKAGE.rglob("*.py"):
        roots = {m.split(".")[0] for m in _imported_modules(path)}
        assert roots <= allowed, f"{path.name} imports {roots - allowed}"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python >= 3.11")
def test_declared_dependencies_and_minimum_torch() -> None:
    import tomllib

    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    deps = {d.split(">")[0].split("<")[0].split("=")[0].strip(): d for d in project["dependencies"]}
    assert set(deps) == {"hologram", "torch"}, "hologram-torch depends on hologram and torch only"
    assert deps["torch"] == f"torch>={_compat.MIN_TORCH}"
    assert project["version"] == hologram_torch.__version__


def test_feature_table_matches_this_torch() -> None:
    have = _compat.torch_version()
    table = _compat.features()
    assert {"functional", "nn", "autograd", "torch.compile", "opcheck", "device"} <= set(table)
    for name, feature in table.items():
        assert feature.available == (have >= feature.min_torch), name
        if not feature.available:
            assert feature.reason and ".".join(map(str, feature.min_torch)) in feature.reason
    assert _compat.parse_version(_compat.MIN_TORCH) == min(f.min_torch for f in table.values())
    assert table["device"].available == hologram_torch.device.is_available() or \
        hologram_torch.device.unavailable_reason() is not None


def test_version_parsing() -> None:
    assert _compat.parse_version("2.10.0+cpu") == (2, 10)
    assert _compat.parse_version("2.4.1") == (2, 4)
    assert _compat.parse_version("2.15.0a0+git123") == (2, 15)
    assert _compat.torch_version() == _compat.parse_version(torch.__version__)
