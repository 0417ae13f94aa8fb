"""docs/pytorch-integration.md stays true: its snippets run, its native-op table is NATIVE_OPS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hologram_torch as hgt

PAGE = Path(__file__).resolve().parents[3] / "docs" / "pytorch-integration.md"
pytestmark = pytest.mark.skipif(not PAGE.is_file(), reason="docs/ is not in this checkout")


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


def _snippets() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", _text(), re.MULTILINE | re.DOTALL) if PAGE.is_file() else []


@pytest.mark.parametrize("index", range(len(_snippets())))
def test_snippet_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    code = _snippets()[index]
    if "device=" in code and not hgt.device.is_available():
        pytest.skip(f"needs the 'hologram' device: {hgt.device.unavailable_reason()}")
    exec(compile(code, f"<docs/pytorch-integration.md block {index}>", "exec"), {"__name__": "docs_snippet"})


def _base(name: str) -> str:
    """``aten::add_.Tensor`` / ``add.out`` / ``fill_`` -> ``add`` / ``add`` / ``fill``."""
    return name.removeprefix("aten::").split(".")[0].rstrip("_")


def test_native_op_table_is_native_ops() -> None:
    if not hgt.device.is_available():
        pytest.skip(hgt.device.unavailable_reason())
    text = _text()
    table = text[text.index("| Group | Ops |"):]
    table = table[: table.index("\n\n")]
    documented = {_base(n) for row in table.splitlines()[2:] for n in re.findall(r"`([a-z_][A-Za-z0-9_.]*)`",
                                                                              row.split("|")[2])}
    native = {_base(n) for n in hgt.device.NATIVE_OPS}
    assert documented == native, (f"documented but not native: {sorted(documented - native)}; "
                                  f"native but undocumented: {sorted(native - documented)}")
    assert f"({len(hgt.device.NATIVE_OPS)} entries)" in text
