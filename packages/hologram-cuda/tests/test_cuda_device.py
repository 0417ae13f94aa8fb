"""The CUDA backend on an NVIDIA GPU: memory, streams, TF32 and DLPack with torch and CuPy.

Every op's numbers are checked by hologram's op suite, which runs on cuda
wherever it is available (packages/hologram/tests/test_ops_*.py). These tests
cover what is specific to CUDA memory. They skip without a usable GPU (the
no-GPU behaviour is test_cuda_unavailable.py); scripts/gpu-check.sh runs them.
"""

from __future__ import annotations

import gc
import importlib.util

import numpy as np
import pytest

import hologram as hg

hologram_cuda = pytest.importorskip("hologram_cuda", reason="hologram-cuda is not installed (it needs nvcc to build)")

_info = next((b for b in hg.backends() if b.name == "cuda"), None)
pytestmark = pytest.mark.skipif(_info is None or not _info.available,
                                reason=f"no usable CUDA GPU here: {_info.reason if _info else 'not discovered'}")

KDL_CUDA = 2


def _torch_cuda():  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    return torch


@pytest.fixture
def ex() -> hg.Executor:
    with hg.Executor(backend="cuda") as executor:
        yield executor


def test_cuda_is_auto_selected_above_the_cpu() -> None:
    assert hg.get_default_backend() in ("cuda", "metal")
    assert _info is not None and _info.device  # "NVIDIA H100 ... (sm_90, 80 GiB)"


def test_memory_is_on_the_device(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(10, dtype=np.float32))
    assert ex.host_addressable is False
    assert buf.__dlpack_device__() == (KDL_CUDA, ex.device)
    with pytest.raises(hg.NotHostAddressableError):
        buf.memoryview()
    with pytest.raises(hg.NotHostAddressableError):
        ex.wrap(np.zeros(3, np.float32))


@pytest.mark.parametrize("n", [0, 1, 1000, (4 << 20) // 4 + 3, (33 << 20) // 8])  # around the staging slots
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trips_of_every_size(ex: hg.Executor, n: int, dtype: type) -> None:
    x = np.random.default_rng(n).standard_normal(n).astype(dtype)
    buf = ex.from_numpy(x)
    x_copy = x.copy()
    x[:] = 0  # from_numpy returned: the source may be reused at once
    np.testing.assert_array_equal(buf.to_numpy(), x_copy)
    np.testing.assert_array_equal(np.frombuffer(buf.to_bytes(), dtype=dtype), x_copy)


def test_queued_ops_run_in_order_and_synchronize_waits(ex: hg.Executor) -> None:
    n = 1 << 22
    a = ex.from_numpy(np.ones(n, np.float32))
    for _ in range(50):  # queued back to back, nothing waits in between
        hg.ops.add(ex, a, a, out=a)
    ex.synchronize()
    assert float(a.to_numpy()[0]) == 2.0**50
    b = ex.allocate(n)
    hg.ops.fill(ex, b, 3.0)
    np.testing.assert_array_equal(hg.ops.mul(ex, b, b).to_numpy(), np.full(n, 9.0, np.float32))


def test_executors_have_their_own_streams_and_close_cleanly() -> None:
    one, two = hg.Executor(backend="cuda"), hg.Executor(backend="cuda")
    a = one.from_numpy(np.full(1000, 2.0, np.float32))
    b = two.from_numpy(np.full(1000, 5.0, np.float32))
    np.testing.assert_array_equal(hg.ops.add(one, a, a).to_numpy(), 4.0)
    np.testing.assert_array_equal(hg.ops.add(two, b, b).to_numpy(), 10.0)
    one.close()
    with pytest.raises(hg.ClosedError):
        a.to_numpy()
    np.testing.assert_array_equal(b.to_numpy(), 5.0)
    two.close()


def test_freed_memory_is_reused_and_returned(ex: hg.Executor) -> None:
    # Freed explicitly, not by dropping the last reference: under compute-sanitizer the frames of
    # returned Python functions stay referenced (from outside the gc-visible heap), and with them
    # the buffers they held, so reuse through garbage collection cannot be observed there.
    for _ in range(20):
        a, b = ex.zeros(1 << 20), ex.zeros(1 << 20)
        out = hg.ops.add(ex, a, b)
        for buf in (a, b, out):
            buf.free()
    stats = ex.stats()
    assert stats["live_buffers"] == 0, stats
    assert stats["cached_bytes"] > 0, stats  # the blocks came back to the cache
    assert stats["peak_bytes"] <= 3 * (4 << 20), stats  # and were reused: three blocks in all
    ex.empty_cache()
    assert ex.stats()["cached_bytes"] == 0


def test_tf32_is_off_by_default_and_opt_in(ex: hg.Executor) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((512, 512)).astype(np.float32), rng.standard_normal((512, 512)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    ba, bb = ex.from_numpy(a).reshape(512, 512), ex.from_numpy(b).reshape(512, 512)
    fp32 = np.abs(hg.ops.gemm(ex, ba, bb).to_numpy() - ref).max()
    hologram_cuda.set_tf32(ex)
    tf32 = np.abs(hg.ops.gemm(ex, ba, bb).to_numpy() - ref).max()
    hologram_cuda.set_tf32(ex, False)
    again = np.abs(hg.ops.gemm(ex, ba, bb).to_numpy() - ref).max()
    assert fp32 < 1e-3 and again == fp32  # float32 rounding: ~1e-5 here
    assert tf32 > 10 * fp32  # 10-bit mantissas: ~1e-2 (a GPU without tensor cores would fail this)


def test_torch_shares_a_cuda_buffer(ex: hg.Executor) -> None:
    torch = _torch_cuda()
    buf = ex.from_numpy(np.arange(12, dtype=np.float32))
    hg.ops.mul_scalar(ex, buf, 2.0, out=buf)  # queued: torch's stream must wait for it
    t = torch.from_dlpack(buf)
    assert t.device.type == "cuda" and t.dtype == torch.float32
    torch.testing.assert_close(t.cpu(), torch.arange(12, dtype=torch.float32) * 2)
    t.fill_(7.0)  # torch writes the same memory
    torch.cuda.synchronize()
    np.testing.assert_array_equal(buf.to_numpy(), np.full(12, 7.0, np.float32))
    buf.free()  # the export keeps the memory alive
    torch.testing.assert_close(t.cpu(), torch.full((12,), 7.0))


def test_hologram_adopts_a_torch_cuda_tensor(ex: hg.Executor) -> None:
    torch = _torch_cuda()
    t = torch.arange(1000, dtype=torch.float64, device="cuda") * 0.5
    buf = hg.from_dlpack(t, executor=ex)
    assert buf.shape == (1000,) and buf.dtype == hg.float64
    hg.ops.add_scalar(ex, buf, 1.0, out=buf)
    ex.synchronize()
    torch.testing.assert_close(t.cpu(), torch.arange(1000, dtype=torch.float64) * 0.5 + 1.0)
    del t
    gc.collect()
    np.testing.assert_array_equal(buf.to_numpy(), np.arange(1000) * 0.5 + 1.0)  # still alive: the buffer holds it


def test_non_contiguous_and_integer_tensors_are_refused(ex: hg.Executor) -> None:
    torch = _torch_cuda()
    with pytest.raises(hg.ShapeError, match="contiguous"):
        hg.from_dlpack(torch.zeros(8, 8, device="cuda").T, executor=ex)
    with pytest.raises(hg.DTypeError):
        hg.from_dlpack(torch.zeros(8, dtype=torch.int32, device="cuda"), executor=ex)


@pytest.mark.skipif(importlib.util.find_spec("cupy") is None, reason="CuPy is not installed")
def test_cupy_shares_memory_both_ways(ex: hg.Executor) -> None:
    import cupy

    buf = ex.from_numpy(np.arange(6, dtype=np.float32))
    c = cupy.from_dlpack(buf)
    c *= 3
    cupy.cuda.get_current_stream().synchronize()
    np.testing.assert_array_equal(buf.to_numpy(), np.arange(6, dtype=np.float32) * 3)
    back = hg.from_dlpack(cupy.ones(4, dtype=cupy.float32), executor=ex)
    np.testing.assert_array_equal(back.to_numpy(), np.ones(4, np.float32))
