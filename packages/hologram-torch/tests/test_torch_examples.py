"""The examples in ``examples/`` run, exit 0 and print what they promise.

Each example runs as its own process from the repository root (``--quick`` where it has
one), exactly as its docstring tells a user to run it. The four start together when the
first test needs one, so their start-up (mostly importing torch) overlaps: sequentially
they take ~45 s on a 2-core machine, together about half of that.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import hologram_torch

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
TIMEOUT_S = 240  # generous: each takes ~5-15 s alone, most of it importing torch
COMMANDS: dict[str, tuple[str, ...]] = {
    "basic_usage": (),
    "training_loop": ("--quick",),
    "benchmark_comparison": ("--quick",),
    "gpu_acceleration": ("--quick",),
}

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/ is not in this checkout")


class Example:
    """One example running in the background; its output goes to files (no pipe can fill up)."""

    def __init__(self, name: str, args: tuple[str, ...], folder: Path) -> None:
        self.name = name
        self.stdout_path, self.stderr_path = folder / f"{name}.out", folder / f"{name}.err"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            # Strict mode: an op of the examples that fell back to the CPU on the 'hologram' device
            # would fail the run instead of warning.
            env = {**os.environ, "HOLOGRAM_TORCH_STRICT": "1"}
            self.proc = subprocess.Popen([sys.executable, str(EXAMPLES / f"{name}.py"), *args], cwd=ROOT,
                                         stdout=out, stderr=err, text=True, env=env)

    def output(self) -> str:
        """Waits for the example, asserts it exited 0, returns its stdout."""
        try:
            rc = self.proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"{self.name}.py did not finish within {TIMEOUT_S} s")
        stdout, stderr = self.stdout_path.read_text(), self.stderr_path.read_text()
        assert rc == 0, f"{self.name}.py exited {rc}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        return stdout


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Example]]:
    folder = tmp_path_factory.mktemp("examples")
    running = {name: Example(name, args, folder) for name, args in COMMANDS.items()}
    yield running
    for example in running.values():
        if example.proc.poll() is None:
            example.proc.kill()
            example.proc.wait()


def device_available() -> bool:
    check = getattr(hologram_torch.device, "is_available", None)
    return bool(check is not None and check())


def test_basic_usage(examples: dict[str, Example]) -> None:
    out = examples["basic_usage"].output()
    for section in ("1. Low-level API", "2. Zero-copy interop", "3. hologram_torch.functional",
                    "4. hologram_torch.nn", "5. The 'hologram' torch device"):
        assert section in out
    assert "vector_add_f32(arange, ones)[:4] = [1. 2. 3. 4.]" in out
    assert "ok  to_numpy is zero-copy" in out
    assert "ok  gradient through linear -> relu -> cross_entropy == torch" in out
    assert "ok  hg.nn.convert(model) == model" in out
    device_part = out.split("5. The 'hologram' torch device", 1)[1]
    if device_available():
        assert "ok  functional.add on 'hologram' tensors" in device_part
    else:
        assert "skipped: " in device_part
    assert out.rstrip().endswith("All checks passed.")


_FINAL = re.compile(r"^\[(?P<run>[\w-]+)\] final loss (?P<final>\S+), accuracy (?P<acc>\S+)% "
                    r"\(initial loss (?P<initial>\S+),", re.M)
_TOLERANCE = re.compile(r"tolerance: rtol=(?P<rtol>\S+), atol=(?P<atol>[^,]+),")


def test_training_loop_runs_agree(examples: dict[str, Example]) -> None:
    out = examples["training_loop"].output()
    finals = {m["run"]: (float(m["initial"]), float(m["final"]), float(m["acc"])) for m in _FINAL.finditer(out)}
    expected_runs = {"pytorch-cpu", "hologram-cpu"} | ({"hologram-device"} if device_available() else set())
    assert set(finals) == expected_runs, out
    if not device_available():
        assert "[hologram-device] skipped: " in out
    for run in finals:  # --quick is 3 epochs, each reported
        for epoch in range(1, 4):
            assert f"[{run}] epoch {epoch}/3: mean batch loss " in out

    tol = _TOLERANCE.search(out)
    assert tol is not None, out
    rtol, atol = float(tol["rtol"]), float(tol["atol"])
    assert 0 < rtol <= 1e-2  # the stated tolerance is meaningful, not a blank cheque
    _, reference, _ = finals["pytorch-cpu"]
    for run, (initial, final, accuracy) in finals.items():
        assert final < initial, f"{run}: the loss did not decrease ({initial} -> {final})"
        assert abs(final - reference) <= atol + rtol * abs(reference), f"{run}: {final} vs PyTorch {reference}"
        assert accuracy > 100 / 3, f"{run}: {accuracy}% is no better than chance on 3 classes"
    assert "OK: all runs agree with PyTorch within the tolerance" in out


def test_benchmark_comparison(examples: dict[str, Example]) -> None:
    out = examples["benchmark_comparison"].output()
    assert re.search(r"^op\s+size\s+mode\s+PyTorch\s+Hologram\s+speedup", out, re.M), out
    rows = re.findall(r"^(\w+)\s+.+?\s(no-grad|autograd)\s+.+?\s([0-9.]+)x\s+\d+%$", out, re.M)
    ops = {op for op, _, _ in rows}
    assert ops == {"add", "relu", "gelu", "softmax", "matmul", "linear"}, out
    assert {mode for _, mode, _ in rows} == {"no-grad", "autograd"}
    assert all(float(speedup) > 0 for _, _, speedup in rows)
    assert f"all {len(rows)} rows checked against PyTorch before timing" in out


def test_gpu_acceleration(examples: dict[str, Example]) -> None:
    out = examples["gpu_acceleration"].output()
    assert re.search(r"^  cpu\s+priority \d+\s+available$", out, re.M), out
    assert "cpu:   relu(a @ b), 256x256 float32" in out and "matches NumPy" in out
    if "No GPU backend can run here:" in out:
        # Each missing accelerator comes with a reason, not a bare "unavailable".
        assert re.search(r"^  cuda: \S.{10,}", out, re.M) and re.search(r"^  metal: \S.{10,}", out, re.M), out
        assert "Ran on the CPU only" in out
    else:
        assert "matches the CPU" in out
