"""The sample plugin of ``examples/backend_plugin`` builds into a wheel that works when installed.

This is what docs/plugin-guide.md promises a hardware vendor: the wheel is
built with ``uv build`` (its hatch hook compiles the C backend against
``native/include``), installed by unpacking it onto a temporary ``sys.path``
entry (exactly what an installer puts in site-packages), and then a fresh
Python finds the backend through its entry point and runs the guide's blocks
marked ``requires=example-plugin``. Nothing is installed into the project's
environment: the sample implements only a few ops, and the op suite runs on
every installed backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from doc_blocks import DOCS, ROOT, blocks

SAMPLE = ROOT / "examples" / "backend_plugin"
GUIDE = DOCS / "plugin-guide.md"

RUNNER = """
import json, sys
import hologram as hg
chains = json.load(open(sys.argv[1]))
for chain in chains:
    namespace = {"__name__": "__docs__"}
    for block in chain:
        exec(compile(block["code"], block["id"], "exec"), namespace)
print("ran", len(chains), "blocks")
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the unpacked sample wheel, to put on PYTHONPATH."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on the PATH: it builds the sample plugin's wheel")
    if not any(shutil.which(cc) for cc in ("cc", "gcc", "clang")) and not os.environ.get("CC"):
        pytest.skip("no C compiler (cc, gcc or clang): the sample plugin is C")
    dist = tmp_path_factory.mktemp("acme-dist")
    proc = subprocess.run([uv, "build", "--wheel", str(SAMPLE), "--out-dir", str(dist)],
                          capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    assert proc.returncode == 0, f"uv build of the sample plugin failed:\n{proc.stdout}\n{proc.stderr}"
    wheels = list(dist.glob("hologram_acme-*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]
    assert "-py3-none-" in wheel.name and not wheel.name.endswith("-any.whl"), wheel.name
    site = tmp_path_factory.mktemp("acme-site")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert any(n.startswith("hologram_acme/libhologram_acme.") for n in names), names
        zf.extractall(site)
    return site


def _run(code_args: list[str], site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("HOLOGRAM_BACKEND", "ACME_DISABLE")}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [environ.get("PYTHONPATH")])])
    environ.update(env)
    return subprocess.run([sys.executable, *code_args], capture_output=True, text=True, timeout=300,
                          check=False, env=environ, cwd=site)


def test_the_guide_blocks_run_with_the_plugin_installed(installed: Path, tmp_path: Path) -> None:
    chains: list[list[dict[str, str]]] = []
    for block in blocks(GUIDE):
        if not block.runs or "example-plugin" not in block.requires:
            continue
        entry = {"id": block.id, "code": block.code}
        if block.continues:
            chains[-1].append(entry)
        else:
            chains.append([entry])
    assert len(chains) >= 2, "docs/plugin-guide.md should show the installed plugin at work"
    spec = tmp_path / "blocks.json"
    spec.write_text(json.dumps(chains))
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    proc = _run([str(runner), str(spec)], installed)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "sigmoid: backend 'acme' has no float32 kernel for sigmoid" in proc.stdout
    assert "backend 'acme' is unavailable: ACME_DISABLE is set" in proc.stdout


def test_hologram_info_lists_the_plugin(installed: Path) -> None:
    proc = _run(["-m", "hologram.cli", "info"], installed)
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("acme "))
    assert row.split()[:4] == ["acme", "0.1.0", "-10", "yes"], row
    assert "ACME reference device (host memory)" in row
    off = _run(["-m", "hologram.cli", "info"], installed, ACME_DISABLE="1")
    row = next(line for line in off.stdout.splitlines() if line.startswith("acme "))
    assert row.split()[3] == "no" and "ACME_DISABLE is set" in row, row
