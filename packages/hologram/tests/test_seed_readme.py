"""The READMEs' ``hologram`` snippets run verbatim.

Two documents make promises in code: the seed ``hologram-sdk-README.md`` (the
product promise this SDK implements) and the repository's own ``README.md``.
Every ```python block of both is extracted and run with ``exec()`` exactly as
written. Snippets are fragments: they use names they never define (an
``exec`` executor, ``buf``, ``my_array``, ``json``, ...). A scenario per
snippet supplies exactly those names beforehand (a *preamble*, never an edit
of the snippet) and asserts on what the snippet computed afterwards. Which
names are free is computed from the snippet's AST, so a README edit that adds
a new undefined name fails here loudly instead of being papered over.

Blocks that import ``hologram_torch`` are skipped here: the hologram-torch
package's ``test_torch_seed_readme.py`` runs them.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hologram as hg

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_README = REPO_ROOT.parent / "shared/seed/hologram-sdk-README.md"
MAIN_README = REPO_ROOT / "README.md"

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Snippet:
    source: str  # "seed" or "readme"
    index: int
    line: int
    code: str

    @property
    def id(self) -> str:
        return f"{self.source}-{self.index}-line{self.line}"


def extract(path: Path, source: str) -> list[Snippet]:
    text = path.read_text(encoding="utf-8")
    return [
        Snippet(source, i, text.count("\n", 0, m.start()) + 2, m.group(1))
        for i, m in enumerate(_BLOCK.finditer(text), start=1)
    ]


def free_names(code: str) -> set[str]:
    """Names the snippet reads but never binds.

    A builtin counts as free when the snippet uses it as a value rather than
    calling it: ``hg.buffer_copy_from_slice(exec, buf, ...)`` means an
    executor called ``exec``, not the builtin function.
    """
    tree = ast.parse(code)
    bound: set[str] = set()
    loads: list[ast.Name] = []
    called: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.append(node)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(id(node.func))
    free = set()
    for name in loads:
        if name.id in bound:
            continue
        if hasattr(builtins, name.id) and id(name) in called:
            continue
        if hasattr(builtins, name.id) and name.id in ("print", "len", "range", "True", "False", "None"):
            continue
        free.add(name.id)
    return free


# -- scenarios: what each snippet needs before, and what it must have done after ---------


@dataclass
class Scenario:
    name: str
    matches: Callable[[Snippet], bool]
    setup: Callable[[dict[str, Any], pytest.MonkeyPatch], dict[str, Any]]  # returns state for check
    check: Callable[[dict[str, Any], dict[str, Any], str], None]  # (namespace, state, stdout)
    expect_error: Callable[[dict[str, Any]], type[BaseException] | None] = lambda state: None


N_SEED = 1024


def _setup_seed_quickstart(ns: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # The seed's first snippet opens its own executor (`with hg.Executor(backend='cpu') as exec:`)
    # but adds `buf_b` to `buf_a` into `buf_c`, two buffers it never allocates. Buffers made up
    # front on some other executor would (rightly) raise ExecutorMismatchError inside the snippet,
    # and editing the snippet would defeat the point. So the preamble makes one real CPU executor,
    # allocates `buf_b`/`buf_c` on it, and patches `hologram.Executor` for the duration of the
    # snippet with a factory that checks the arguments select the CPU backend and hands back that
    # executor. The `with` statement then enters and closes a real executor exactly as written;
    # only the identity of the executor it gets is arranged. `my_array` is plain input data.
    executor = hg.Executor(backend="cpu")
    rng = np.random.default_rng(7)
    my_array = rng.standard_normal(N_SEED).astype(np.float32)
    b_values = rng.standard_normal(N_SEED).astype(np.float32)
    buf_b = executor.from_numpy(b_values)
    buf_c = executor.allocate(N_SEED)
    calls: list[tuple[Any, Any]] = []

    def executor_factory(backend: str | None = None, device: int = 0) -> hg.Executor:
        calls.append((backend, device))
        assert hg.discovery.select_backend(backend).name == executor.backend
        assert device == executor.device
        return executor

    monkeypatch.setattr(hg, "Executor", executor_factory)
    ns.update(my_array=my_array, buf_b=buf_b, buf_c=buf_c)
    return {"executor": executor, "expected": my_array + b_values, "calls": calls, "buf_c": buf_c}


def _check_seed_quickstart(ns: dict[str, Any], state: dict[str, Any], out: str) -> None:
    assert state["calls"] == [("cpu", 0)], "the snippet should open exactly one CPU executor"
    executor = state["executor"]
    assert ns["exec"] is executor
    assert executor.closed, "leaving the with block closes the executor"
    assert ns["buf_a"].freed and state["buf_c"].freed
    result = ns["result"]
    assert isinstance(result, np.ndarray) and result.dtype == np.float32 and result.shape == (N_SEED,)
    # `result` is a zero-copy view of buf_c taken inside the block: it outlives the executor.
    np.testing.assert_array_equal(result, state["expected"])


def _setup_seed_zero_copy(ns: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # `exec` is an open CPU executor, `buf` a 3-element float32 buffer of it (the JSON list has
    # three numbers), `array` the NumPy data the "new approach" line copies in, `json` the module.
    executor = hg.Executor(backend="cpu")
    array = np.array([4.0, 5.0, 6.0], dtype=np.float32)
    ns.update(json=json, exec=executor, buf=executor.allocate(3), array=array)
    return {"executor": executor, "array": array.copy()}


def _check_seed_zero_copy(ns: dict[str, Any], state: dict[str, Any], out: str) -> None:
    assert ns["data_json"] == "[1.0, 2.0, 3.0]"
    np.testing.assert_array_equal(ns["buf"].to_numpy(), state["array"])
    # The slow path alone, to show the first half of the snippet did its job too.
    hg.buffer_copy_from_slice(ns["exec"], ns["buf"], ns["data_json"])
    np.testing.assert_array_equal(ns["buf"].to_numpy(), [1.0, 2.0, 3.0])
    state["executor"].close()


def _first_unavailable_named_backend() -> str | None:
    for name in ("metal", "cuda"):  # the order of the snippet's lines
        if not hg.is_available(name):
            return name
    return None


def _setup_backend_flexibility(ns: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return {"unavailable": _first_unavailable_named_backend()}


def _expect_backend_flexibility(state: dict[str, Any]) -> type[BaseException] | None:
    # On a machine without Metal (or CUDA) `hg.Executor(backend='metal')` must raise
    # BackendUnavailableError; that *is* the documented behaviour of that line.
    return hg.BackendUnavailableError if state["unavailable"] else None


def _check_backend_flexibility(ns: dict[str, Any], state: dict[str, Any], out: str) -> None:
    assert ns["exec"].backend == hg.get_default_backend()
    assert ns["exec_cpu"].backend == "cpu"
    error = state.get("error")
    if state["unavailable"]:
        assert error is not None
        assert state["unavailable"] in str(error)
        assert f"pip install 'hologram[{state['unavailable']}]'" in str(error) or "unavailable" in str(error)
        assert f"exec_{state['unavailable']}" not in ns
    for key in ("exec", "exec_cpu", "exec_metal", "exec_cuda"):
        if key in ns:
            ns[key].close()


def _check_resource_management(ns: dict[str, Any], state: dict[str, Any], out: str) -> None:
    assert ns["buf"].size == 1024
    assert ns["exec"].closed, "the executor is cleaned up"
    assert ns["buf"].freed, "the buffer is cleaned up"


def _check_main_quickstart(ns: dict[str, Any], state: dict[str, Any], out: str) -> None:
    assert "[1. 2. 3. 4.]" in out
    assert ns["exec"].closed
    np.testing.assert_array_equal(ns["result"][:4], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(ns["result"], np.arange(1024, dtype=np.float32) + 1)
    # `x` wrapped a float64 array in place; `y = relu(x)` was allocated as float64 and printed.
    assert ns["x"].dtype == "float64" and ns["y"].dtype == "float64"
    assert ns["x"].freed and ns["y"].freed  # closed with the executor (no view was kept)
    assert str(np.maximum(np.linspace(-1, 1, 8), 0)) in out


def _no_setup(ns: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return {}


SCENARIOS = [
    Scenario("seed quickstart (with-executor, vector_add_f32)",
             lambda s: "hg.vector_add_f32(exec, buf_a, buf_b, buf_c" in s.code,
             _setup_seed_quickstart, _check_seed_quickstart),
    Scenario("seed zero-copy (JSON slow path vs bytes)",
             lambda s: "buffer_copy_from_bytes" in s.code and "buffer_copy_from_slice" in s.code,
             _setup_seed_zero_copy, _check_seed_zero_copy),
    Scenario("seed backend flexibility",
             lambda s: "backend='metal'" in s.code and "backend='cuda'" in s.code,
             _setup_backend_flexibility, _check_backend_flexibility, _expect_backend_flexibility),
    Scenario("seed automatic resource management",
             lambda s: "with hg.Executor() as exec:" in s.code and "allocate(1024)" in s.code,
             _no_setup, _check_resource_management),
    Scenario("README quickstart",
             lambda s: s.source == "readme" and "hg.ops.relu" in s.code and "vector_add_f32" in s.code,
             _no_setup, _check_main_quickstart),
]


def _collect() -> list[Any]:
    params: list[Any] = []
    if SEED_README.is_file():
        params += [pytest.param(s, id=s.id) for s in extract(SEED_README, "seed")]
    else:
        params.append(pytest.param(None, id="seed-missing", marks=pytest.mark.skip(
            reason=f"the seed README is not checked out at {SEED_README}")))
    if MAIN_README.is_file():
        params += [pytest.param(s, id=s.id) for s in extract(MAIN_README, "readme")]
    else:
        params.append(pytest.param(None, id="readme-missing", marks=pytest.mark.skip(
            reason=f"no README.md at {MAIN_README}")))
    return params


def _is_torch_snippet(s: Snippet) -> bool:
    return "hologram_torch" in s.code


def test_snippets_were_found() -> None:
    if SEED_README.is_file():
        seed = extract(SEED_README, "seed")
        assert len([s for s in seed if not _is_torch_snippet(s)]) >= 4
    assert len(extract(MAIN_README, "readme")) >= 1


def test_every_hologram_snippet_has_a_scenario() -> None:
    snippets = extract(MAIN_README, "readme") + (extract(SEED_README, "seed") if SEED_README.is_file() else [])
    for s in snippets:
        if _is_torch_snippet(s):
            continue
        found = [sc.name for sc in SCENARIOS if sc.matches(s)]
        assert len(found) == 1, f"{s.id}: {len(found)} scenarios match ({found}):\n{s.code}"


def test_free_names_analysis() -> None:
    code = "import json\nwith hg.Executor() as exec:\n    x = f(buf, exec, len(y))\nprint(exec)\n"
    assert free_names(code) == {"hg", "f", "buf", "y"}
    assert free_names("hg.copy(exec, buf, bytes(memoryview(array)))") == {"hg", "exec", "buf", "array"}


@pytest.mark.parametrize("snippet", _collect())
def test_snippet_runs_verbatim(snippet: Snippet, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    if _is_torch_snippet(snippet):
        pytest.skip("run by packages/hologram-torch/tests/test_torch_seed_readme.py")
    matching = [sc for sc in SCENARIOS if sc.matches(snippet)]
    assert len(matching) == 1, f"no single scenario for {snippet.id}; add one:\n{snippet.code}"
    scenario = matching[0]

    # The preamble: `hg` and `np` (most fragments assume the usual imports), then the scenario's names.
    ns: dict[str, Any] = {"__name__": f"readme_snippet_{snippet.id.replace('-', '_')}", "hg": hg, "np": np}
    state = scenario.setup(ns, monkeypatch)
    missing = free_names(snippet.code) - set(ns)
    assert not missing, f"{snippet.id} uses names no preamble defines: {sorted(missing)}"

    code = compile(snippet.code, f"<{snippet.id}>", "exec")
    expected_error = scenario.expect_error(state)
    if expected_error is None:
        builtins.exec(code, ns)
    else:
        with pytest.raises(expected_error) as info:
            builtins.exec(code, ns)
        state["error"] = info.value
    monkeypatch.undo()
    out = capsys.readouterr().out
    scenario.check(ns, state, out)
