"""The code blocks of the documentation: found, classified and marked.

Every page of ``docs/`` and the repository's ``README.md`` is Markdown with
fenced code blocks. A block's info string says what it is: ``python`` (or
``py``) blocks are programs the tests run; every other language (``bash``,
``text``, ``c``, ``toml``, ...) is shown, not run. A fence without a language
is refused, so no Python block can escape the tests by omission.

A block may carry directives in an HTML comment on the line just above its
fence (invisible on the rendered page)::

    <!-- test: requires=cuda -->
    ```python
    ...
    ```

``requires=NAME`` (comma-separate several): the block needs ``cuda`` (the
CUDA backend can run here), ``macos`` (macOS with the Metal backend),
``webgpu`` (the WebGPU backend can run here, a software adapter included),
``hologram-device`` (the ``'hologram'`` torch device, torch >= 2.10) or
``example-plugin`` (the sample plugin of ``examples/backend_plugin`` is
installed: ``tests/docs/test_plugin_example.py`` runs those blocks).
``continue``: the block runs in the namespace the previous Python block of
the page left, for a walk-through in steps. ``raises=NAME``: the block must
raise the exception ``hologram.NAME`` (or the builtin ``NAME``).

A block whose body is a snippet include (``--8<-- "path:section"``, expanded
by the site's ``pymdownx.snippets``) shows a file of the repository; the file
is tested where it lives, so such a block is not run, and the tests check that
every include names an existing file and section instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

#: Pages whose Python blocks other tests own: they run them verbatim with checks of their own
#: (and their own extraction, so blocks there carry no directives).
OWNED = {
    "README.md": ("packages/hologram/tests/test_seed_readme.py",
                  "packages/hologram-torch/tests/test_torch_seed_readme.py"),
    "docs/pytorch-integration.md": ("packages/hologram-torch/tests/test_torch_docs.py",),
}

REQUIREMENTS = ("cuda", "macos", "webgpu", "hologram-device", "example-plugin")
PYTHON = ("python", "py")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
_INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')
_DIRECTIVE = re.compile(r"^\s*<!--\s*test:\s*(?P<body>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block."""

    page: str        # path relative to the repository root
    line: int        # 1-based line of the opening fence
    language: str    # first word of the info string ("" when none)
    code: str
    requires: tuple[str, ...] = ()
    continues: bool = False
    raises: str | None = None
    directives: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def includes(self) -> list[tuple[str, str | None]]:
        """The (path, section) of each snippet include in the block."""
        return [(m["path"], m["section"]) for line in self.code.splitlines() if (m := _INCLUDE.match(line))]

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON

    @property
    def runs(self) -> bool:
        """A Python block written on the page (not a file included into it)."""
        return self.is_python and not self.includes

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """Every Markdown page of the docs, and the README."""
    found = sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []
    return [*found, *([README] if README.is_file() else [])]


def _parse_directives(body: str, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in body.split():
        key, _, value = item.partition("=")
        if key not in ("requires", "continue", "raises"):
            raise ValueError(f"{where}: unknown test directive {item!r}")
        out[key] = value
    for need in filter(None, out.get("requires", "").split(",")):
        if need not in REQUIREMENTS:
            raise ValueError(f"{where}: unknown requirement {need!r} (known: {', '.join(REQUIREMENTS)})")
    return out


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one page, in order (nested fences are not used in these docs)."""
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent, start = m["fence"], m["indent"], i
        language = m["info"].strip().split(" ")[0].strip("{}.").lower() if m["info"].strip() else ""
        body: list[str] = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence) and lines[i].strip().strip(fence[0]) == ""):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1  # the closing fence
        directives: dict[str, str] = {}
        if start > 0 and (d := _DIRECTIVE.match(lines[start - 1])):
            directives = _parse_directives(d["body"], f"{rel}:{start + 1}")
        out.append(Block(
            rel, start + 1, language, "\n".join(body) + "\n",
            requires=tuple(filter(None, directives.get("requires", "").split(","))),
            continues="continue" in directives,
            raises=directives.get("raises") or None,
            directives=directives,
        ))
    return out


def include_text(path: str, section: str | None) -> str:
    """The text a snippet include puts on the page (a section between its start/end markers)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    if section is None:
        return text
    start = re.search(rf"--8<-- \[start:{re.escape(section)}\]\n", text)
    end = re.search(rf"\n[^\n]*--8<-- \[end:{re.escape(section)}\]", text)
    assert start and end and start.end() <= end.start(), f"{path}: no section {section!r}"
    return text[start.end():end.start()]


def all_blocks() -> list[Block]:
    return [b for page in pages() for b in blocks(page)]
