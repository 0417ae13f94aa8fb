"""The CPU backend's ISA dispatch and thread pool, seen from Python.

Kernel accuracy per op lives in test_ops_*; here the same ops run under every
ISA this machine supports (HOLOGRAM_ISA is read when an executor is created),
sizes cross the thread pool's thresholds, results must not depend on the
thread count, and many Python threads share one executor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable

import numpy as np
import pytest

import hologram as hg
from hologram._core import ffi, lib

SUPPORTED_ISAS = ffi.string(lib.hg_cpu_isa_list()).decode().split()

# (name, hologram op, float64 reference, rtol for float32)
UNARY: list[tuple[str, Callable[..., hg.Buffer], Callable[[np.ndarray], np.ndarray], float]] = [
    ("relu", hg.ops.relu, lambda x: np.maximum(x, 0), 0.0),
    ("exp", hg.ops.exp, np.exp, 4e-7),
    ("tanh", hg.ops.tanh, np.tanh, 4e-7),
    ("sigmoid", hg.ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), 4e-7),
    ("sqrt", hg.ops.sqrt, np.sqrt, 0.0),
]


@pytest.fixture(params=SUPPORTED_ISAS)
def isa_executor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> hg.Executor:
    monkeypatch.setenv("HOLOGRAM_ISA", request.param)
    assert ffi.string(lib.hg_cpu_isa()).decode() == request.param
    executor = hg.Executor(backend="cpu")
    request.addfinalizer(executor.close)
    return executor


def test_the_baseline_is_always_supported() -> None:
    assert SUPPORTED_ISAS[0] in ("scalar", "neon")


@pytest.mark.parametrize("n", [1, 1000, 9000, 100_003])
@pytest.mark.parametrize(("name", "op", "ref", "rtol"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops_under_every_isa(isa_executor: hg.Executor, n: int, name: str, op: Callable[..., hg.Buffer],
                                   ref: Callable[[np.ndarray], np.ndarray], rtol: float) -> None:
    rng = np.random.default_rng(n)
    x = (rng.random(n) * (8 if name != "sqrt" else 100) - (4 if name != "sqrt" else 0)).astype(np.float32)
    got = op(isa_executor, isa_executor.from_numpy(x)).to_numpy()
    want = ref(x.astype(np.float64))
    if rtol:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-30)
    else:  # correctly rounded ops: exactly the float64 result rounded to float32
        np.testing.assert_array_equal(got, want.astype(np.float32))


@pytest.mark.parametrize("n", [7, 8192, 200_001])
def test_binary_reduce_softmax_gemm_under_every_isa(isa_executor: hg.Executor, n: int) -> None:
    ex = isa_executor
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    ha, hb = ex.from_numpy(a), ex.from_numpy(b)
    np.testing.assert_array_equal(hg.ops.add(ex, ha, hb).to_numpy(), a + b)
    np.testing.assert_array_equal(hg.ops.mul(ex, ha, hb).to_numpy(), a * b)
    total = hg.ops.sum(ex, ha)
    assert abs(total - a.astype(np.float64).sum()) <= 1e-6 * np.abs(a).sum() + 1e-12
    rows = a[: (n // 7) * 7].reshape(-1, 7)
    got = hg.ops.softmax(ex, ex.from_numpy(rows)).to_numpy()
    shifted = np.exp(rows.astype(np.float64) - rows.max(axis=1, keepdims=True))
    np.testing.assert_allclose(got, shifted / shifted.sum(axis=1, keepdims=True), rtol=2e-6, atol=1e-9)
    m = 37
    A, B = rng.standard_normal((m, m)).astype(np.float32), rng.standard_normal((m, m)).astype(np.float32)
    C = hg.ops.gemm(ex, ex.from_numpy(A), ex.from_numpy(B)).to_numpy()
    np.testing.assert_allclose(C, A.astype(np.float64) @ B, rtol=1e-4, atol=1e-4)


def test_unknown_or_unsupported_isa_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLOGRAM_ISA", "avx9000")
    with pytest.raises(hg.HologramError, match="HOLOGRAM_ISA=avx9000"):
        hg.Executor(backend="cpu")
    if "avx512" not in SUPPORTED_ISAS and sys.platform.startswith("linux") and "scalar" in SUPPORTED_ISAS:
        monkeypatch.setenv("HOLOGRAM_ISA", "avx512")
        with pytest.raises(hg.BackendUnavailableError, match="cannot run avx512"):
            hg.Executor(backend="cpu")


_DETERMINISM_SCRIPT = """
import numpy as np, hologram as hg
ex = hg.Executor(backend="cpu")
rng = np.random.default_rng(0)
x = ex.from_numpy(rng.standard_normal(3_000_001).astype(np.float32))
rows = ex.from_numpy(rng.standard_normal((5000, 301)).astype(np.float32))
parts = [hg.ops.sum(ex, x), hg.ops.mean(ex, x)]
parts += hg.ops.sum(ex, rows, axis=-1).to_numpy().tolist()
parts += hg.ops.softmax(ex, rows).to_numpy()[::97, ::13].ravel().tolist()
parts += hg.ops.gelu(ex, x).to_numpy()[::1001].tolist()
parts += hg.ops.softmax(ex, x).to_numpy()[::997].tolist()  # one long row: split into chunks
parts += hg.ops.log_softmax(ex, x).to_numpy()[::997].tolist()
print(repr([float(p).hex() for p in parts]))
"""


def test_results_do_not_depend_on_the_thread_count() -> None:
    outputs = []
    for threads in ("1", "2", "3"):
        env = {**os.environ, "HOLOGRAM_NUM_THREADS": threads}
        proc = subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT], env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] == outputs[2]


# Operands totalling more than the last-level cache (clamped to at most
# 64 MiB) make the elementwise ops write through streaming stores, from an
# L1 staging block (cpu_parallel.c). Checked: an output whose address is not
# on a cache line (the head), lengths that leave a tail, in place, float64.
STREAMED_N = 6_000_013  # 3 float32 operands: 72 MB


@pytest.mark.parametrize("skew", [0, 1, 5])
def test_outputs_past_the_caches_stream_correctly(ex_cpu: hg.Executor, skew: int) -> None:
    rng = np.random.default_rng(skew)
    a = rng.standard_normal(STREAMED_N).astype(np.float32)
    b = rng.standard_normal(STREAMED_N).astype(np.float32)
    backing = np.full(STREAMED_N + 16, np.nan, dtype=np.float32)
    out = backing[skew:skew + STREAMED_N]  # skew floats past an aligned start
    ha, hb, hout = ex_cpu.from_numpy(a), ex_cpu.from_numpy(b), hg.from_numpy(out, ex_cpu)
    hg.ops.add(ex_cpu, ha, hb, out=hout)
    np.testing.assert_array_equal(out, a + b)
    assert np.isnan(backing[:skew]).all() and np.isnan(backing[skew + STREAMED_N:]).all()
    hg.ops.sub(ex_cpu, ha, hb, out=ha)  # in place: a = a - b
    np.testing.assert_array_equal(ha.to_numpy(), a - b)


def test_float64_and_unary_outputs_past_the_caches_stream_correctly(ex_cpu: hg.Executor) -> None:
    n = 4_500_007  # 2 float64 operands: 72 MB
    x = np.random.default_rng(3).standard_normal(n)
    hx = ex_cpu.from_numpy(x)
    np.testing.assert_array_equal(hg.ops.relu(ex_cpu, hx).to_numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(hg.ops.tanh(ex_cpu, hx).to_numpy(), np.tanh(x), rtol=1e-15, atol=0)
    xf = np.linspace(-3, 3, 2 * n, dtype=np.float32)
    got = hg.ops.mul_scalar(ex_cpu, ex_cpu.from_numpy(xf), 3.0).to_numpy()
    np.testing.assert_array_equal(got, xf * np.float32(3.0))


@pytest.mark.parametrize("n", [262_144, 1_000_003])
def test_one_long_softmax_row_split_across_threads(ex_cpu: hg.Executor, n: int) -> None:
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 20).astype(np.float32)
    x[n // 3] = 80.0  # one dominant element in a middle chunk
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max())
    want = e / e.sum()
    got = hg.ops.softmax(ex_cpu, ex_cpu.from_numpy(x)).to_numpy()
    np.testing.assert_allclose(got, want, rtol=4e-7, atol=3e-45)  # subnormal results: 2 steps
    want_log = (x64 - x64.max()) - np.log(e.sum())
    got_log = hg.ops.log_softmax(ex_cpu, ex_cpu.from_numpy(x)).to_numpy()
    np.testing.assert_allclose(got_log, want_log, rtol=4e-7, atol=2e-6)
    inplace = ex_cpu.from_numpy(x)
    hg.ops.softmax(ex_cpu, inplace, out=inplace)
    np.testing.assert_array_equal(inplace.to_numpy(), got)
    x[5] = np.nan
    assert np.isnan(hg.ops.softmax(ex_cpu, ex_cpu.from_numpy(x)).to_numpy()).all()


@pytest.fixture
def ex_cpu() -> hg.Executor:
    with hg.Executor(backend="cpu") as executor:
        yield executor


def test_many_python_threads_share_one_executor_on_large_ops() -> None:
    """Ops above the pool's threshold from several threads at once: the pool runs one
    job at a time and the others run serially; every result must be right."""
    errors: list[BaseException] = []
    with hg.Executor(backend="cpu") as ex:
        def worker(seed: int) -> None:
            try:
                rng = np.random.default_rng(seed)
                a = rng.standard_normal(150_000).astype(np.float32)
                b = rng.standard_normal(150_000).astype(np.float32)
                ha, hb, out = ex.from_numpy(a), ex.from_numpy(b), ex.allocate(150_000)
                for _ in range(40):
                    hg.vector_add_f32(ex, ha, hb, out, 150_000)
                    np.testing.assert_array_equal(out.to_numpy(), a + b)
                    hg.tanh_f32(ex, ha, out, 150_000)
                    np.testing.assert_allclose(out.to_numpy(), np.tanh(a.astype(np.float64)), rtol=4e-7,
                                               atol=1e-30)
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]


def test_info_reports_isa_and_threads() -> None:
    from hologram.cli import info_text

    text = info_text()
    assert "cpu kernels:" in text and SUPPORTED_ISAS[-1] in text
    assert f"cpu threads: {lib.hg_cpu_threads()}" in text
