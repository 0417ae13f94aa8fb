"""The public surface of ``Executor``, ``Buffer`` and the module-level helpers on a CPU-only machine."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import hologram as hg


@pytest.fixture(autouse=True)
def _no_forced_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOLOGRAM_BACKEND", raising=False)


# -- executors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [lambda: hg.Executor(), lambda: hg.Executor("auto"), lambda: hg.Executor(backend="cpu"),
     lambda: hg.Executor("CPU"), lambda: hg.Executor(None, 0)],
    ids=["default", "auto", "cpu", "upper-case", "positional"],
)
def test_executor_selection_gives_cpu(make) -> None:  # type: ignore[no-untyped-def]
    if hg.is_cuda_available() or hg.is_metal_available():
        pytest.skip("a GPU backend outranks the CPU here")
    with make() as ex:
        assert ex.backend == "cpu"
        assert ex.device == 0
        assert ex.host_addressable
        assert not ex.closed
        assert ex.backend_info.name == "cpu"
        assert ex.backend_info.available


def test_hologram_backend_env_forces_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLOGRAM_BACKEND", "cpu")
    with hg.Executor() as ex:
        assert ex.backend == "cpu"
    assert hg.get_default_backend() == "cpu"


def test_executor_repr() -> None:
    ex = hg.Executor(backend="cpu")
    assert repr(ex) == "<hologram.Executor backend='cpu' device=0 open>"
    ex.close()
    assert repr(ex) == "<hologram.Executor backend='cpu' device=0 closed>"


def test_executor_context_manager_returns_itself() -> None:
    ex = hg.Executor(backend="cpu")
    with ex as entered:
        assert entered is ex
    assert ex.closed


def _live(ex: hg.Executor) -> dict[str, int]:
    stats = ex.stats()
    return {"live_buffers": stats["live_buffers"], "live_bytes": stats["live_bytes"]}


def test_synchronize_and_stats(ex: hg.Executor) -> None:
    ex.synchronize()
    assert _live(ex) == {"live_buffers": 0, "live_bytes": 0}
    a = ex.allocate(10)
    b = ex.allocate((2, 3), "float64")
    assert _live(ex) == {"live_buffers": 2, "live_bytes": 10 * 4 + 6 * 8}
    a.free()
    assert _live(ex) == {"live_buffers": 1, "live_bytes": 48}
    stats = ex.stats()
    assert stats["peak_bytes"] == 88
    assert stats["cached_blocks"] == 1 and 40 <= stats["cached_bytes"] <= 64  # a's block, kept for reuse
    del b


def test_freed_blocks_are_reused_and_the_cache_is_bounded(ex: hg.Executor) -> None:
    n = 1 << 20
    first = ex.allocate(n)
    address = first.to_numpy().ctypes.data
    del first
    assert ex.stats()["cached_blocks"] == 1
    second = ex.allocate(n)  # same size class: the same memory, no fresh page faults
    assert second.to_numpy().ctypes.data == address
    del second
    ex.empty_cache()
    assert ex.stats()["cached_bytes"] == 0
    ex.set_cache_limit(0)
    ex.allocate(n).free()
    assert ex.stats()["cached_bytes"] == 0
    with pytest.raises(hg.InvalidArgumentError, match=">= 0"):
        ex.set_cache_limit(-1)


# -- buffers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "itemsize"),
    [("float32", 4), ("float64", 8), (np.float32, 4), (np.float64, 8), ("f32", 4), ("f64", 8),
     (np.dtype("float64"), 8), (hg.float32, 4), (hg.float64, 8)],
    ids=str,
)
def test_allocate_dtypes(ex: hg.Executor, dtype, itemsize: int) -> None:  # type: ignore[no-untyped-def]
    buf = ex.allocate(7, dtype=dtype)
    assert buf.size == len(buf) == 7
    assert buf.nbytes == 7 * itemsize
    assert buf.dtype.itemsize == itemsize
    assert buf.shape == (7,)
    assert buf.ndim == 1
    assert buf.executor is ex
    assert not buf.freed and not buf.read_only


def test_allocate_default_dtype_is_float32(ex: hg.Executor) -> None:
    buf = ex.allocate(3)
    assert buf.dtype == "float32"
    assert buf.to_numpy().dtype == np.float32


def test_allocate_2d(ex: hg.Executor) -> None:
    buf = ex.allocate((3, 4), dtype="float64")
    assert buf.shape == (3, 4)
    assert buf.ndim == 2
    assert buf.size == 12
    assert buf.nbytes == 96
    assert buf.to_numpy().shape == (3, 4)
    assert ex.allocate([2, 5]).shape == (2, 5)
    assert ex.allocate(()).shape == () and ex.allocate(()).size == 1
    assert ex.allocate((0, 3)).size == 0


def test_empty_and_zeros(ex: hg.Executor) -> None:
    z = ex.zeros((2, 2), "float64")
    np.testing.assert_array_equal(z.to_numpy(), np.zeros((2, 2)))
    e = ex.empty(5)
    assert e.size == 5 and e.dtype == "float32"


def test_buffer_repr(ex: hg.Executor) -> None:
    buf = ex.allocate((2, 3))
    assert repr(buf) == "<hologram.Buffer shape=(2, 3) dtype=float32 backend='cpu'>"
    buf.free()
    assert repr(buf).endswith(" freed>")


def test_reshape_shares_memory(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(6, dtype=np.float32))
    mat = buf.reshape(2, 3)
    assert mat.shape == (2, 3) and mat.size == 6
    assert np.shares_memory(mat.to_numpy(), buf.to_numpy())
    assert buf.reshape((3, 2)).shape == (3, 2)


def test_fill(ex: hg.Executor) -> None:
    buf = ex.zeros(6)
    assert buf.fill(2.5) is buf
    np.testing.assert_array_equal(buf.to_numpy(), np.full(6, 2.5, np.float32))
    buf.fill(-1.0, n=2)
    np.testing.assert_array_equal(buf.to_numpy(), [-1, -1, 2.5, 2.5, 2.5, 2.5])
    hg.buffer_fill(ex, buf, 9.0, 3)
    np.testing.assert_array_equal(buf.to_numpy(), [9, 9, 9, 2.5, 2.5, 2.5])


def test_copy_from(ex: hg.Executor) -> None:
    src = ex.from_numpy(np.arange(5, dtype=np.float64))
    dst = ex.zeros(5, "float64")
    assert dst.copy_from(src) is dst
    np.testing.assert_array_equal(dst.to_numpy(), np.arange(5.0))
    dst.fill(0.0).copy_from(src, n=2)
    np.testing.assert_array_equal(dst.to_numpy(), [0, 1, 0, 0, 0])
    hg.buffer_copy(ex, src, dst, 5)
    np.testing.assert_array_equal(dst.to_numpy(), np.arange(5.0))
    assert not np.shares_memory(dst.to_numpy(), src.to_numpy())


def test_from_numpy_returns_self_and_copies(ex: hg.Executor) -> None:
    buf = ex.allocate((2, 2))
    data = np.array([[1, 2], [3, 4]], dtype=np.float32)
    assert buf.from_numpy(data) is buf
    data[0, 0] = 100
    np.testing.assert_array_equal(buf.to_numpy(), [[1, 2], [3, 4]])
    # A different shape with the same element count is accepted (shape is metadata).
    buf.from_numpy(np.arange(4, dtype=np.float32))
    np.testing.assert_array_equal(buf.to_numpy().ravel(), np.arange(4))


def test_executor_from_numpy_infers_dtype_and_shape(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.ones((3, 2)))
    assert buf.dtype == "float64" and buf.shape == (3, 2)
    buf32 = ex.from_numpy([1.0, 2.0, 3.0], dtype="float32")
    assert buf32.dtype == np.float32
    np.testing.assert_array_equal(buf32.to_numpy(), [1, 2, 3])


def test_bytes_round_trip_and_aliases(ex: hg.Executor) -> None:
    data = np.linspace(0, 1, 10)
    buf = ex.allocate(10, "float64")
    assert buf.from_bytes(data.tobytes()) is buf
    assert buf.to_bytes() == data.tobytes()
    buf.copy_from_bytes(np.zeros(10).tobytes())
    assert buf.to_bytes() == bytes(80)
    np.testing.assert_array_equal(buf.numpy(), np.zeros(10))


def test_free(ex: hg.Executor) -> None:
    buf = ex.allocate(4)
    assert not buf.freed
    buf.free()
    assert buf.freed
    assert buf.size == 4  # metadata survives


def test_json_compat_helpers(ex: hg.Executor) -> None:
    buf = ex.allocate(3, "float64")
    hg.buffer_copy_from_slice(ex, buf, "[1.5, 2.5, 3.5]")
    assert hg.buffer_to_vec(ex, buf) == "[1.5, 2.5, 3.5]"


# -- module-level helpers ------------------------------------------------------------------


def test_gpu_backends_are_not_available_here() -> None:
    assert hg.is_cuda_available() is False
    assert hg.is_metal_available() is False


def test_default_backend_is_cpu() -> None:
    assert hg.get_default_backend() == "cpu"


def test_version() -> None:
    assert isinstance(hg.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+([.+-].*)?", hg.__version__)
    assert hg.get_version() == hg.__version__
    from importlib.metadata import version

    assert version("hologram") == hg.__version__


def test_backends_lists_cpu() -> None:
    found = hg.backends()
    assert isinstance(found, list) and all(isinstance(b, hg.BackendInfo) for b in found)
    cpu = next(b for b in found if b.name == "cpu")
    assert cpu.available and cpu.status == "available" and cpu.reason == ""
    assert isinstance(cpu.version, str) and re.fullmatch(r"\d+\.\d+\.\d+.*", cpu.version)
    assert isinstance(cpu.priority, int) and cpu.priority == 0
    assert cpu.library
    priorities = [b.priority for b in found]
    assert priorities == sorted(priorities, reverse=True), "highest priority first"
    assert hg.backends(refresh=True)[0].name == found[0].name
    # The list is a copy: callers cannot corrupt the cache.
    found.clear()
    assert any(b.name == "cpu" for b in hg.backends())


def test_dtype_equality() -> None:
    assert hg.float32 == "float32"
    assert hg.float32 == np.float32
    assert hg.float32 == np.dtype("float32")
    assert hg.float32 == "f32"
    assert hg.float32 != "float64"
    assert hg.float32 != np.float64
    assert hg.float64 == "float64" == hg.float64
    assert hg.float32 != "int64"  # unsupported names compare unequal, not raise
    assert hg.float32 != object()
    assert str(hg.float32) == "float32" and repr(hg.float64) == "hologram.float64"
    assert hg.float32.numpy == np.dtype(np.float32)
    assert len({hg.float32, hg.float32, hg.float64}) == 2


def test_buffer_dtype_equality(ex: hg.Executor) -> None:
    buf = ex.allocate(2)
    assert buf.dtype == "float32"
    assert buf.dtype == np.float32
    assert buf.dtype is hg.float32
    assert ex.allocate(2, "float64").dtype == np.float64


def test_public_names_exist() -> None:
    for name in hg.__all__:
        assert hasattr(hg, name), name
    for name in ("vector_add_f32", "gemm_f32", "matvec_f64", "softmax_f32", "reduce_sum_f64",
                 "buffer_copy_from_bytes", "buffer_to_vec"):
        assert callable(getattr(hg, name))


# -- concurrency -------------------------------------------------------------------------


def test_threads_share_one_executor(ex: hg.Executor) -> None:
    """8 threads hammer one executor with ops on their own buffers; every intermediate is checked."""
    threads, iterations, n = 8, 1000, 4096
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(tid: int) -> None:
        try:
            base = np.arange(n, dtype=np.float32)
            a = ex.from_numpy(np.full(n, float(tid), np.float32))
            b = ex.from_numpy(base)
            c = ex.allocate(n)
            start.wait()
            for i in range(iterations):
                hg.vector_add_f32(ex, a, b, c, n)  # c = tid + base
                hg.vector_sub_f32(ex, c, b, a, n)  # a = tid again: each step depends on the last
                if i % 100 == 0:
                    np.testing.assert_array_equal(c.to_numpy(), base + np.float32(tid))
                    ex.allocate(64).free()  # allocation and free race with the other threads' ops
            np.testing.assert_array_equal(a.to_numpy(), np.full(n, tid, np.float32))
            np.testing.assert_array_equal(c.to_numpy(), base + np.float32(tid))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a worker hung"
    assert not errors, errors


def test_threads_results_are_exact(ex: hg.Executor) -> None:
    """Each thread's final result is exactly what NumPy computes, and no thread saw another's data."""
    threads, n = 8, 10_000
    results: dict[int, np.ndarray] = {}

    def work(tid: int) -> None:
        a = ex.from_numpy(np.full(n, tid, np.float32))
        b = ex.from_numpy(np.arange(n, dtype=np.float32) * tid)
        c = ex.allocate(n)
        for _ in range(200):
            hg.vector_add_f32(ex, a, b, c, n)
        results[tid] = c.to_numpy().copy()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert sorted(results) == list(range(threads))
    for tid, got in results.items():
        np.testing.assert_array_equal(got, np.float32(tid) + np.arange(n, dtype=np.float32) * np.float32(tid))
