"""``hologram bench`` on a device backend: the device suite, run for real on 'webgpu' at tiny sizes.

The sizes come from the suite's test-only overrides (``DeviceOptions(sizes=...)``
or ``$HOLOGRAM_BENCH_DEVICE_SIZES``), so every run takes seconds even on the
software Vulkan adapter. The tests check what the harness produces -- rows,
keys, skip reasons, the correctness guard -- never how fast anything is.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import hologram as hg
from hologram import bench, cli
from hologram.bench import device_cases, device_suite, report
from hologram.bench.results import DeviceResult, Timing

TINY = ["--repeats", "3", "--min-time", "0.0002", "--max-time", "0.2", "--no-progress"]
TINY_API = {"repeats": 3, "min_time": 2e-4, "max_time": 0.2}
SIZES = (8192, 65536)


def _info(name: str) -> hg.BackendInfo | None:
    return next((b for b in hg.backends() if b.name == name), None)


def _webgpu_missing() -> str | None:
    info = _info("webgpu")
    if info is None:
        return "the 'webgpu' backend is not installed (hologram-metal)"
    return None if info.available else f"the 'webgpu' backend is unavailable: {info.reason}"


requires_webgpu = pytest.mark.skipif(_webgpu_missing() is not None, reason=str(_webgpu_missing()))


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _cuda() -> bool:
    if not _has_torch():
        return False
    import torch

    return bool(torch.cuda.is_available())


def _timing(impl: str, seconds: float, mode: str = "out") -> Timing:
    return Timing(impl, mode, "call", seconds, [seconds], 1, 0.0)


# -- no device needed --------------------------------------------------------

def test_default_sizes_and_quick_subset() -> None:
    full = device_cases.select_device()
    quick = device_cases.select_device(quick=True)
    assert [c.name for c in full if c.op == "add"] == ["add 1M", "add 16M", "add 256M"]
    assert [c.name for c in quick if c.op == "add"] == ["add 1M", "add 64M"]  # 64M: the targets' size
    assert [c.size for c in full if c.op == "gemm"] == ["1024", "2048", "4096", "8192"]
    assert [c.size for c in quick if c.op == "gemm"] == ["1024", "4096"]
    assert full[0].op == "copy" and full[-1].name == "add call 10K"
    softmax = next(c for c in full if c.op == "softmax")
    assert softmax.shape == (1024, 1024)
    # Useful traffic: add reads two arrays and writes one; the others read one.
    assert next(c for c in full if c.name == "add 1M").work == 3 * 4 * (1 << 20)
    assert softmax.work == 2 * 4 * (1 << 20)
    assert next(c for c in full if c.name == "gemm 1024").work == 2 * 1024**3


def test_size_override_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(device_cases.SIZES_ENV, "4096, 8192")
    monkeypatch.setenv(device_cases.GEMM_ENV, "32")
    names = [c.name for c in device_cases.select_device(quick=True)]
    assert "copy 4096" in names and "softmax 8192" in names and "gemm 32" in names and "add 1M" not in names
    monkeypatch.setenv(device_cases.SIZES_ENV, "many")
    with pytest.raises(ValueError, match=device_cases.SIZES_ENV):
        device_cases.select_device()


def test_device_result_figures() -> None:
    n = 64 << 20
    add = DeviceResult("add 64M", "add", "64M", n, (n,), "GB/s", 12.0 * n,
                       timings={"hologram/out": _timing("hologram", 0.010), "torch/out": _timing("torch", 0.0095)},
                       copy_rate=8.0 * n / 0.0085 / 1e9)
    assert add.rate("hologram") == pytest.approx(12.0 * n / 0.010 / 1e9)
    assert add.ratio() == pytest.approx(0.95)
    assert add.pct_of_copy() == pytest.approx(100 * (12.0 * n / 0.010) / (8.0 * n / 0.0085))
    assert add.meets_target() is True  # 127% of copy, 0.95x PyTorch
    d = add.to_dict()
    assert d["unit"] == "GB/s" and d["hologram_rate"] == add.rate("hologram") and d["pct_of_copy"] == add.pct_of_copy()
    gemm = DeviceResult("gemm 1024", "gemm", "1024", 1024, (1024, 1024), "TFLOP/s", 2.0 * 1024**3,
                        timings={"hologram/out": _timing("hologram", 1e-3)})
    assert gemm.rate("hologram") == pytest.approx(2.0 * 1024**3 / 1e-3 / 1e12)
    assert gemm.rate("torch") is None and gemm.ratio() is None and gemm.meets_target() is None


def test_gemm_and_call_targets() -> None:
    def gemm(n: int, ours: float, theirs: float, op: str = "gemm") -> DeviceResult:
        return DeviceResult(f"{op} {n}", op, str(n), n, (n, n), "TFLOP/s", 2.0 * n**3,
                            timings={"hologram/out": _timing("hologram", ours), "torch/out": _timing("torch", theirs)})

    assert gemm(4096, 1.0, 0.96).meets_target() is True  # 0.96x
    assert gemm(4096, 1.0, 0.94).meets_target() is False
    assert gemm(4096, 1.0, 0.90, "gemm tf32").meets_target() is False
    assert gemm(1024, 1.0, 0.5).meets_target() is None  # judged at 4096 only

    def call(queued: float, synced: float) -> DeviceResult:
        timings = {"hologram/amortized": _timing("hologram", 4e-6, "amortized"),
                   "torch/amortized": _timing("torch", 4e-6 * queued, "amortized"),
                   "hologram/sync-each": _timing("hologram", 1e-5, "sync-each"),
                   "torch/sync-each": _timing("torch", 1e-5 * synced, "sync-each")}
        return DeviceResult("add call 10K", "add call", "10K", 10_000, (10_000,), "s", 0.0, timings=timings)

    assert call(1.46, 1.22).meets_target() is True
    assert call(1.46, 0.99).meets_target() is False  # slower when synchronized after every call
    no_torch = call(1.0, 1.0)
    del no_torch.timings["torch/sync-each"]
    assert no_torch.meets_target() is None
    results = [gemm(4096, 1.0, 0.94), call(1.2, 1.1)]
    notes = report.device_notes(results)
    assert "targets missed by: gemm 4096" in notes and any("GEMM 4096" in n for n in notes)


def test_cuda_unavailable_exits_1_with_one_line() -> None:
    info = _info("cuda")
    if info is not None and info.available:
        pytest.skip("the cuda backend is available here: this checks a machine without it")
    proc = subprocess.run([sys.executable, "-m", "hologram.cli", "bench", "--backend", "cuda", "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hologram bench: ") and "cuda" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


# -- the suite on webgpu --------------------------------------------------------

@requires_webgpu
def test_webgpu_is_a_device_backend() -> None:
    assert bench.is_device_backend("webgpu") and not bench.is_device_backend("cpu")


@requires_webgpu
def test_command_runs_the_device_suite_and_writes_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(device_cases.SIZES_ENV, ",".join(map(str, SIZES)))
    monkeypatch.setenv(device_cases.GEMM_ENV, "64")
    out = tmp_path / "device.json"
    assert cli.main(["bench", "--backend", "webgpu", "--quick", "--json", str(out), *TINY]) == 0
    text = capsys.readouterr().out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["suite"] == "device" and doc["machine"]["backend"] == "webgpu"
    assert doc["machine"]["device"] == _info("webgpu").device != ""  # type: ignore[union-attr]
    assert _info("webgpu").device in text  # type: ignore[union-attr]  # the header names the device
    rows = {r["name"]: r for r in doc["results"]}
    expected = [f"{op} {n}" for n in SIZES for op in device_cases.VECTOR_OPS] + ["gemm 64", "add call 10K"]
    assert list(rows) == expected
    keys = {"op", "size", "n", "unit", "hologram_s", "hologram_rate", "torch_s", "torch_rate", "ratio",
            "pct_of_copy", "skipped", "timings", "error"}
    for r in doc["results"]:
        assert keys <= set(r) and r["error"] is None
    for n in SIZES:
        assert rows[f"copy {n}"]["hologram_rate"] > 0  # the measured copy row of each size
        for op in ("add", "relu", "gelu", "softmax"):
            r = rows[f"{op} {n}"]
            assert r["unit"] == "GB/s" and r["hologram_rate"] > 0 and r["hologram_s"] > 0
            assert r["copy_rate"] == rows[f"copy {n}"]["hologram_rate"] and r["pct_of_copy"] > 0
            assert r["timings"]["hologram/out"]["max_abs_error"] >= 0
    assert rows["gemm 64"]["unit"] == "TFLOP/s" and rows["gemm 64"]["hologram_rate"] > 0
    call = rows["add call 10K"]["figures"]
    assert call["amortized"]["hologram_s"] > 0 and call["sync-each"]["hologram_s"] > 0
    if not _cuda():  # no torch.cuda: the PyTorch column is "-", with the reason once
        assert all(r["torch_rate"] is None and r["ratio"] is None for r in doc["results"])
        assert any("torch.cuda is unavailable" in n or "PyTorch is not installed" in n for n in doc["notes"])
        add_row = next(line for line in text.splitlines() if line.startswith("| add ") and "8192" in line)
        cells = [c.strip() for c in add_row.strip("|").split("|")]
        assert cells[4:7] == ["-", "-", "-"]
    for title in ("GB/s of useful traffic", "TFLOP/s", "% of copy", "synchronize after every call"):
        assert title in text


@requires_webgpu
def test_list_names_the_device_cases(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(device_cases.SIZES_ENV, "4096")
    assert cli.main(["bench", "--backend", "webgpu", "--quick", "--list"]) == 0
    assert capsys.readouterr().out.split("\n")[:2] == ["copy 4096", "add 4096"]
    assert cli.main(["bench", "--backend", "webgpu", "--filter", "nothing-like-this", *TINY]) == 2


@requires_webgpu
@pytest.mark.skipif(not _has_torch(), reason="PyTorch is not installed")
def test_torch_column_when_torch_has_a_device() -> None:
    # torch on its CPU stands in for CUDA: the same code path, checked and timed side by side.
    options = bench.DeviceOptions(sizes=(8192,), gemm_sizes=(64,), torch_device="cpu")
    results = bench.run_device("webgpu", filter="add", options=options, **TINY_API)
    add = next(r for r in results if r.name == "add 8192")
    assert add.error is None and "torch" not in add.skipped
    assert add.rate("torch") > 0 and add.ratio() == pytest.approx(add.rate("hologram") / add.rate("torch"))  # type: ignore[operator]
    assert add.timing("torch").call == "torch.add(a, b, out=c)"  # type: ignore[union-attr]
    call = next(r for r in results if r.op == "add call")
    assert {"torch/amortized", "torch/sync-each", "hologram/amortized", "hologram/sync-each"} <= set(call.timings)


@requires_webgpu
def test_a_size_that_does_not_fit_is_skipped_with_the_reason() -> None:
    # 64M float32 elements (256 MB) is past what the software adapter can bind (128 MB).
    options = bench.DeviceOptions(sizes=(1 << 26,))
    (copy,) = bench.run_device("webgpu", filter="copy", options=options, **TINY_API)
    assert copy.error is None and not copy.timings
    assert copy.skipped["hologram"].startswith("does not fit: ")
    text = report.render_device([copy], {"hologram": "0", "backend": "webgpu", "cpu": "x", "cores": 1,
                                         "os": "os", "arch": "a", "python": "3", "numpy": "2"})
    assert "copy 64M: hologram skipped: does not fit" in text and "| copy | 64M  | skipped" in text


@requires_webgpu
def test_too_slow_cases_are_skipped() -> None:
    options = bench.DeviceOptions(sizes=SIZES, slow_limit=0.0)  # every call is "too slow"
    results = bench.run_device("webgpu", filter="relu", options=options, **TINY_API)
    first, second = results
    assert first.skipped["hologram"].startswith("too slow on this adapter (one call took")
    # The larger size is not even run: it extrapolates past the limit.
    assert "relu 8192 took" in second.skipped["hologram"] and "would take" in second.skipped["hologram"]
    assert not first.timings and not second.timings


@requires_webgpu
def test_a_wrong_result_fails_the_case_loudly(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    relu_as_add = dataclasses.replace(device_cases.SPECS["add"],
                                      hologram=lambda ex, i, o, c: lambda: hg.vector_relu_f32(ex, i[0], o, c.n))
    monkeypatch.setitem(device_cases.SPECS, "add", relu_as_add)
    monkeypatch.setenv(device_cases.SIZES_ENV, "8192")
    assert cli.main(["bench", "--backend", "webgpu", "--filter", "add 8192", *TINY]) == 1
    text = capsys.readouterr().out
    assert "CHECK FAILED" in text and "does not match the float64 reference" in text


def test_random_inputs_are_reproducible_normal_and_independent_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    case = device_cases.DeviceCase("add", 3 * device_cases._CHUNK + 5)  # three full chunks and a part
    a = device_cases.random_inputs(case, 7)
    monkeypatch.setattr(device_cases, "_workers", lambda: 1)
    b = device_cases.random_inputs(case, 7)
    assert [x.shape for x in a] == [case.shape, case.shape] and all(x.dtype == np.float32 for x in a)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])  # the two inputs differ
    assert not np.array_equal(a[0][:1000], a[0][device_cases._CHUNK:device_cases._CHUNK + 1000])  # so do chunks
    assert abs(float(a[0].mean())) < 1e-3 and abs(float(a[0].std()) - 1.0) < 1e-3
    assert not np.array_equal(device_cases.random_inputs(case, 8)[0], a[0])
    gemm = device_cases.DeviceCase("gemm", 64)
    assert [x.shape for x in device_cases.random_inputs(gemm, 1)] == [(64, 64), (64, 64)]


def test_check_names_the_first_bad_element_in_memory_order() -> None:
    case = device_cases.DeviceCase("relu", 3 * device_cases._CHUNK)
    (x,) = device_cases.random_inputs(case, 3)
    got = np.maximum(x, 0.0)
    assert device_cases.check(case, got, [x], "relu") == 0.0
    late, early = 2 * device_cases._CHUNK + 17, device_cases._CHUNK + 5  # both wrong, in different chunks
    got[late] = got[early] = np.nan
    with pytest.raises(device_cases.Mismatch, match=f"element {early} is nan"):
        device_cases.check(case, got, [x], "relu")


def test_tf32_gemm_rows_only_on_cuda_and_after_the_float32_ones() -> None:
    cuda = [c.name for c in bench.DeviceOptions(gemm_sizes=(64, 128)).cases(True, "gemm", "cuda")]
    assert cuda == ["gemm 64", "gemm 128", "gemm tf32 64", "gemm tf32 128"]
    assert [c.name for c in bench.DeviceOptions(gemm_sizes=(64,)).cases(True, "gemm", "webgpu")] == ["gemm 64"]
    assert [c.name for c in bench.DeviceOptions(gemm_sizes=(64,), tf32=True).cases(True, "tf32")] == ["gemm tf32 64"]
    tf32, fp32 = device_cases.DeviceCase("gemm tf32", 4096), device_cases.DeviceCase("gemm", 4096)
    assert tf32.kind == "gemm" and tf32.unit == "TFLOP/s" and tf32.work == fp32.work
    assert device_cases.tolerance(tf32) == (2e-2, 2e-2 * 64) and device_cases.tolerance(fp32) == (1e-3, 1e-3 * 64)
    # The TF32 bound still fails a product computed from the wrong inputs.
    case = device_cases.DeviceCase("gemm tf32", 256)
    a, b = device_cases.random_inputs(case, 5)
    exact = (a.astype(np.float64) @ b).astype(np.float32)
    assert device_cases.check(case, exact, [a, b], "tf32") < 1e-3
    with pytest.raises(device_cases.Mismatch):
        device_cases.check(case, (a.astype(np.float64) @ b.T).astype(np.float32), [a, b], "tf32")


def test_tf32_mode_is_switched_on_for_its_case_and_off_after(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    fake = types.ModuleType("hologram_cuda")
    fake.set_tf32 = lambda ex, enabled=True: calls.append(enabled)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hologram_cuda", fake)
    matmul = types.SimpleNamespace(allow_tf32=False)
    torch = types.SimpleNamespace(backends=types.SimpleNamespace(cuda=types.SimpleNamespace(matmul=matmul)))
    side = device_suite.TorchSide(torch, "cuda")  # type: ignore[arg-type]
    with device_suite._tf32(device_cases.DeviceCase("gemm", 64), None, side):  # type: ignore[arg-type]
        assert calls == [] and not matmul.allow_tf32
    tf32 = device_cases.DeviceCase("gemm tf32", 64)
    with pytest.raises(RuntimeError, match="boom"), device_suite._tf32(tf32, None, side):  # type: ignore[arg-type]
        assert calls == [True] and matmul.allow_tf32
        raise RuntimeError("boom")
    assert calls == [True, False] and not matmul.allow_tf32  # off again, also after a failure
