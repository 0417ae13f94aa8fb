"""The ``hologram`` command line: ``info`` and ``demo``, in-process and as a real process."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hologram as hg
from hologram import cli


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HOLOGRAM_BACKEND"}
    env.update(overrides)
    return env


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hologram.cli", *args], capture_output=True, text=True,
                          timeout=120, env=_env(**env))


def _backend_rows(text: str) -> dict[str, list[str]]:
    """The rows of the backends table, by backend name."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:4] == ["name", "version", "priority", "available"])
    assert set(lines[start + 1].replace(" ", "")) == {"-"}, "the header is underlined"
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells
    return rows


def _check_info(text: str) -> None:
    assert f"hologram {hg.__version__}" in text
    assert re.search(r"core \d+\.\d+\.\d+", text)
    assert re.search(r"^cpu features: ", text, re.MULTILINE)
    assert re.search(r"^default backend: cpu", text, re.MULTILINE)
    assert "backends:" in text
    rows = _backend_rows(text)
    assert "cpu" in rows
    _, version, priority, available = rows["cpu"][:4]
    cpu = next(b for b in hg.backends() if b.name == "cpu")
    assert (version, available, int(priority)) == (cpu.version, "yes", cpu.priority)


def test_info_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOLOGRAM_BACKEND", raising=False)
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    _check_info(out)
    assert "forced by HOLOGRAM_BACKEND" not in out  # (an explicit-only backend's reason may name it)


def test_info_subprocess() -> None:
    proc = _run("info")
    assert proc.returncode == 0, proc.stderr
    _check_info(proc.stdout)
    assert proc.stderr == ""


def test_info_cpu_features_are_real() -> None:
    """On x86-64 the core detects at least SSE-level features; elsewhere the line may list others."""
    text = cli.info_text()
    features = re.search(r"^cpu features: (.*)$", text, re.MULTILINE)
    assert features is not None
    if platform.machine() in ("x86_64", "AMD64"):
        assert features.group(1).split(), "no CPU features detected on x86-64"


def test_info_shows_forced_backend_in_process(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLOGRAM_BACKEND", "cpu")
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "default backend: cpu (forced by HOLOGRAM_BACKEND=cpu)" in out


def test_info_shows_forced_backend_subprocess() -> None:
    proc = _run("info", HOLOGRAM_BACKEND="cpu")
    assert proc.returncode == 0, proc.stderr
    assert "HOLOGRAM_BACKEND=cpu" in proc.stdout
    _check_info(proc.stdout)


def test_info_with_a_missing_forced_backend_still_prints(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLOGRAM_BACKEND", "nonexistent")
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "default backend: none (" in out
    assert "nonexistent" in out
    assert "cpu" in _backend_rows(out)


def test_demo_subprocess() -> None:
    proc = _run("demo")
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "vector_add_f32" in proc.stdout and "matches NumPy" in proc.stdout
    assert "shares memory with the buffer: True" in proc.stdout
    _check_info(proc.stdout)  # demo ends with `hologram info`


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "executor: <hologram.Executor backend='cpu'" in out
    assert "cpu features:" in out


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"hologram {hg.__version__}"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert "info" in out and "demo" in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("hologram")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    proc = subprocess.run([str(script), "info"], capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 0, proc.stderr
    _check_info(proc.stdout)
