"""The seed README's ``hologram_torch`` snippets run verbatim, and compute what they claim.

(``packages/hologram/tests/test_seed_readme.py`` runs the README's other
snippets; this module takes the ones that import ``hologram_torch``.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch

import hologram_torch as hgt

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_README = REPO_ROOT.parent / "shared/seed/hologram-sdk-README.md"
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)



def _torch_snippets() -> list[str]:
    if not SEED_README.is_file():
        return []
    return [m.group(1) for m in _BLOCK.finditer(SEED_README.read_text(encoding="utf-8"))
            if "hologram_torch" in m.group(1)]


def _run(code: str) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "seed_readme_snippet"}
    exec(compile(code, "<seed README>", "exec"), ns)  # verbatim: no preamble, no edits
    return ns


_needs_seed = pytest.mark.skipif(not SEED_README.is_file(), reason=f"no seed README at {SEED_README}")


@_needs_seed
def test_the_seed_has_two_torch_snippets() -> None:
    assert len(_torch_snippets()) == 2


@_needs_seed
def test_functional_module_and_device_snippet() -> None:
    if not hgt.device.is_available():  # its last line needs the 'hologram' device
        pytest.skip(f"the 'hologram' device is unavailable: {hgt.device.unavailable_reason()}")
    snippet = next(s for s in _torch_snippets() if "class MyModel" in s)
    ns = _run(snippet)
    torch.testing.assert_close(ns["c"], ns["a"] + ns["b"])
    assert ns["exec"].closed  # the with block closed it; c stays valid
    model = ns["MyModel"]()
    x = torch.randn(16)
    torch.testing.assert_close(model(x), torch.relu(x))
    tensor = ns["tensor"]
    assert tensor.device.type == "hologram" and tensor.shape == (1024,) and tensor.dtype == torch.float32
    cpu = tensor.cpu()
    assert 0.8 < float(cpu.std()) < 1.2 and abs(float(cpu.mean())) < 0.2  # it really is N(0, 1) data


@_needs_seed
def test_quick_start_snippet(capsys: pytest.CaptureFixture[str]) -> None:
    snippet = next(s for s in _torch_snippets() if "Quick" in s or "backend='cpu'" in s)
    ns = _run(snippet)
    torch.testing.assert_close(ns["c"], ns["a"] + ns["b"])
    assert capsys.readouterr().out == f"Result: {ns['c'][:5]}\n"
    ns["exec"].close()


MAIN_README = REPO_ROOT / "README.md"


def test_main_readme_torch_snippet_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = [m.group(1) for m in _BLOCK.finditer(MAIN_README.read_text(encoding="utf-8"))
              if "hologram_torch" in m.group(1)]
    assert len(blocks) == 1
    if not hgt.device.is_available():
        pytest.skip(f"the snippet uses the 'hologram' device: {hgt.device.unavailable_reason()}")
    ns = _run(blocks[0])
    assert torch.isfinite(ns["loss"]) and ns["model"][0].weight.grad is not None
    torch.testing.assert_close(ns["y"].sum(-1), torch.ones(64))
    assert ns["d"].device.type == "hologram"
    assert type(ns["fast"](ns["x"])) is torch.Tensor
    assert "ReLU()" in capsys.readouterr().out
