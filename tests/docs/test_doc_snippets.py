"""Every Python block of the docs runs, so the docs cannot rot.

The blocks of ``docs/*.md`` run verbatim, each in a fresh namespace (or, marked
``<!-- test: continue -->``, in the one its predecessor left), from a temporary
working directory. A block that needs hardware this machine lacks (a CUDA GPU,
a Mac, the WebGPU backend, the ``'hologram'`` torch device) is marked and
skipped with the reason. The README's blocks and those of
``docs/pytorch-integration.md`` are run by the tests that own them (they add
checks of their own); here it is checked that those tests see every one.
See ``doc_blocks.py`` for the directives.
"""

from __future__ import annotations

import builtins
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import OWNED, PYTHON, ROOT, Block, all_blocks, blocks, include_text, pages

import hologram as hg


def _chains() -> list[list[Block]]:
    """Python blocks of the pages no other test owns, a block and its ``continue`` followers together."""
    chains: list[list[Block]] = []
    for page in pages():
        rel = page.relative_to(ROOT).as_posix()
        if rel in OWNED:
            continue
        for block in (b for b in blocks(page) if b.runs):
            if block.continues:
                assert chains and chains[-1][0].page == rel, f"{block.id}: 'continue' with no earlier block"
                chains[-1].append(block)
            else:
                chains.append([block])
    return chains


def _missing(requirement: str) -> str | None:
    """Why ``requirement`` is not met here, or None when it is."""
    if requirement == "cuda":
        return None if hg.is_available("cuda") else "needs the CUDA backend (an NVIDIA GPU and driver)"
    if requirement == "macos":
        if sys.platform != "darwin" or not hg.is_available("metal"):
            return "needs macOS with the Metal backend (pip install 'hologram[metal]')"
        return None
    if requirement == "webgpu":
        return None if hg.is_available("webgpu") else "needs the WebGPU backend (pip install 'hologram[metal]')"
    if requirement == "hologram-device":
        try:
            import hologram_torch
        except ImportError as exc:
            return f"needs hologram-torch: {exc}"
        if not hologram_torch.device.is_available():
            return f"needs the 'hologram' torch device: {hologram_torch.device.unavailable_reason()}"
        return None
    if requirement == "example-plugin":
        return "runs with the example plugin installed, in tests/docs/test_plugin_example.py"
    raise AssertionError(f"unknown requirement {requirement!r}")


def _exception(name: str) -> type[BaseException]:
    found = getattr(hg, name, None) or getattr(builtins, name, None)
    assert isinstance(found, type) and issubclass(found, BaseException), f"no exception named {name!r}"
    return found


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Runs one block in ``namespace``, honouring its ``raises=`` directive."""
    code = compile(block.code, f"<{block.id}>", "exec")
    if block.raises is None:
        exec(code, namespace)
        return
    with pytest.raises(_exception(block.raises)):
        exec(code, namespace)


CHAINS = _chains()


@pytest.mark.parametrize("chain", CHAINS, ids=[c[0].id for c in CHAINS])
def test_doc_block_runs(chain: list[Block], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for requirement in sorted({r for b in chain for r in b.requires}):
        reason = _missing(requirement)
        if reason:
            pytest.skip(reason)
    monkeypatch.chdir(tmp_path)  # a block that writes files writes them here
    monkeypatch.delenv("HOLOGRAM_BACKEND", raising=False)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in chain:
        run_block(block, namespace)
    for value in list(namespace.values()):
        if isinstance(value, hg.Executor):
            value.close()


def test_blocks_were_found() -> None:
    assert len(CHAINS) >= 10, "the docs should hold runnable Python examples"
    assert {"docs/getting-started.md", "docs/zero-copy-buffers.md", "docs/gpu-backends.md"} <= {
        c[0].page for c in CHAINS}


def test_every_block_declares_its_language() -> None:
    unlabelled = [b.id for b in all_blocks() if not b.language]
    assert not unlabelled, f"fences without a language (say python, bash, text, ...): {unlabelled}"


def test_owned_pages_are_run_by_their_owners() -> None:
    """The README's and the PyTorch page's blocks run elsewhere: check that those tests see each one."""
    owner_block = re.compile(r"^```python[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
    for rel, owners in OWNED.items():
        page = ROOT / rel
        if not page.is_file():
            continue
        for owner in owners:
            source = (ROOT / owner).read_text(encoding="utf-8")
            assert Path(rel).name in source or rel in source, f"{owner} no longer reads {rel}"
        mine = [b for b in blocks(page) if b.is_python]
        theirs = owner_block.findall(page.read_text(encoding="utf-8"))
        assert [b.code for b in mine] == theirs, (
            f"{rel}: the owning tests extract only ```python blocks: use exactly that fence there")
        assert all(not b.directives for b in mine), f"{rel}: its owners do not read test directives"
        assert all(b.language in PYTHON[:1] for b in mine)


def test_snippet_includes_resolve() -> None:
    """Each ``--8<--`` include names a file and section that exist, and the section is not empty."""
    found = [(b, path, section) for b in all_blocks() for path, section in b.includes]
    assert found, "docs/plugin-guide.md includes the sample plugin's files"
    for block, path, section in found:
        assert (ROOT / path).is_file(), f"{block.id}: {path} does not exist"
        assert include_text(path, section).strip(), f"{block.id}: {path}:{section} is empty"
