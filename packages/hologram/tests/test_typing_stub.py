"""lowlevel.pyi must describe exactly the functions lowlevel.py generates."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import hologram
import hologram.lowlevel as lowlevel


def test_stub_lists_every_function_with_its_signature() -> None:
    stub = Path(lowlevel.__file__).with_suffix(".pyi").read_text()
    tree = ast.parse(stub)
    stubbed = {node.name: [a.arg for a in node.args.args] for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert set(stubbed) == set(lowlevel.__all__)
    for name in lowlevel.__all__:
        params = list(inspect.signature(getattr(lowlevel, name)).parameters)
        assert stubbed[name] == params, name
        assert getattr(hologram, name) is getattr(lowlevel, name)
        assert name in hologram.__all__


def test_package_is_typed() -> None:
    assert (Path(hologram.__file__).parent / "py.typed").is_file()
