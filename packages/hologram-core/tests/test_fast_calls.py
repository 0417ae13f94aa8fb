"""hologram_core._fast_calls: the METH_FASTCALL op entry points agree with the cffi ones."""

from __future__ import annotations

import numpy as np
import pytest

import hologram_core
from hologram_core import _fast_calls as fast  # type: ignore[attr-defined]
from hologram_core import ffi, lib


@pytest.fixture()
def core():  # type: ignore[no-untyped-def]
    """An executor of the CPU backend and three float32 buffers of 20000 elements, as raw handles."""
    backend = ffi.new("hg_backend **")
    info = hologram_core.cpu_backend()
    assert lib.hg_backend_load(str(info["library"]).encode(), b"hg_cpu_backend_entry", backend) == 0
    ex_out = ffi.new("hg_executor **")
    assert lib.hg_executor_create(backend[0], 0, ex_out) == 0
    ex = ex_out[0]
    bufs = []
    for _ in range(3):
        out = ffi.new("hg_buffer **")
        assert lib.hg_buffer_allocate(ex, 20000, lib.HG_DTYPE_FLOAT32, out) == 0
        bufs.append(out[0])
    yield ex, bufs
    for b in bufs:
        lib.hg_buffer_release(b)
    lib.hg_executor_close(ex)
    lib.hg_executor_release(ex)


def addr(handle: object) -> int:
    return int(ffi.cast("uintptr_t", handle))


def view(buf: object, n: int) -> np.ndarray:
    data = ffi.new("void **")
    assert lib.hg_buffer_host_ptr(buf, data) == 0
    return np.frombuffer(ffi.buffer(data[0], 4 * n), dtype=np.float32)


@pytest.mark.parametrize("n", [0, 1, 100, 20000])  # below and above the size that keeps the GIL
def test_binary_and_reduce_match_numpy(core, n: int) -> None:  # type: ignore[no-untyped-def]
    ex, (a, b, c) = core
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal(20000).astype(np.float32), rng.standard_normal(20000).astype(np.float32)
    view(a, 20000)[:] = x
    view(b, 20000)[:] = y
    assert fast.binary(addr(ex), lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, addr(a), addr(b), addr(c), n) == 0
    np.testing.assert_array_equal(view(c, 20000)[:n], x[:n] + y[:n])
    status, value = fast.reduce(addr(ex), lib.HG_OP_SUM, lib.HG_DTYPE_FLOAT32, addr(a), addr(c), 1, n)
    assert status == 0
    np.testing.assert_allclose(value, x[:n].astype(np.float64).sum(), rtol=1e-6, atol=1e-6)


def test_errors_are_the_cores_statuses(core) -> None:  # type: ignore[no-untyped-def]
    ex, (a, b, c) = core
    args = (addr(ex), lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, addr(a), addr(b), addr(c))
    assert fast.binary(*args, 20001) == lib.HG_ERR_SHAPE == lib.hg_binary(ex, lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, a, b, c, 20001)
    assert fast.binary(*args, -1) == lib.HG_ERR_INVALID_ARGUMENT
    assert fast.binary(*args[:2], lib.HG_DTYPE_FLOAT64, *args[3:], 1) == lib.HG_ERR_DTYPE
    assert fast.reduce(addr(ex), lib.HG_OP_SUM, lib.HG_DTYPE_FLOAT32, addr(a), addr(c), 1, 20001)[0] == lib.HG_ERR_SHAPE


def test_bad_python_arguments_raise(core) -> None:  # type: ignore[no-untyped-def]
    ex, (a, b, c) = core
    with pytest.raises(TypeError, match="takes 7 arguments"):
        fast.binary(addr(ex), lib.HG_OP_ADD)
    with pytest.raises(TypeError, match="handle address"):
        fast.binary(ex, lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, addr(a), addr(b), addr(c), 1)
    with pytest.raises(TypeError):
        fast.binary(addr(ex), lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, addr(a), addr(b), addr(c), 1.5)
    with pytest.raises(OverflowError):
        fast.binary(addr(ex), lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, addr(a), addr(b), addr(c), 2**64)
    with pytest.raises(OverflowError):
        fast.binary(addr(ex), 2**40, lib.HG_DTYPE_FLOAT32, addr(a), addr(b), addr(c), 1)
    with pytest.raises(TypeError):
        fast.scalar(addr(ex), lib.HG_OP_ADD_SCALAR, lib.HG_DTYPE_FLOAT32, addr(a), addr(c), 1, "x", 0.0)


def live_buffers(ex: object) -> int:
    stats = ffi.new("hg_memory_stats *")
    assert lib.hg_executor_memory_stats(ex, stats) == 0
    return int(stats.live_buffers)


def test_allocate_retain_release_count_references(core) -> None:  # type: ignore[no-untyped-def]
    ex, _ = core
    before = live_buffers(ex)
    buf = fast.allocate(addr(ex), 1000, lib.HG_DTYPE_FLOAT64)
    assert buf > 0 and live_buffers(ex) == before + 1
    handle = ffi.cast("hg_buffer *", buf)
    assert lib.hg_buffer_count(handle) == 1000 and lib.hg_buffer_dtype(handle) == lib.HG_DTYPE_FLOAT64
    fast.retain(buf)
    fast.release(buf)  # one reference left: still allocated
    assert live_buffers(ex) == before + 1 and lib.hg_buffer_count(handle) == 1000
    fast.release(buf)  # the last one
    assert live_buffers(ex) == before


def test_allocate_reports_the_cores_status_negated(core) -> None:  # type: ignore[no-untyped-def]
    ex, _ = core
    assert fast.allocate(addr(ex), -1, lib.HG_DTYPE_FLOAT32) == -lib.HG_ERR_INVALID_ARGUMENT
    assert fast.allocate(addr(ex), 4, 99) == -lib.hg_buffer_allocate(ex, 4, 99, ffi.new("hg_buffer **")) < 0
    with pytest.raises(OverflowError):
        fast.allocate(addr(ex), 2**64, lib.HG_DTYPE_FLOAT32)


@pytest.mark.parametrize("n", [1, 20000])
def test_reduce_and_loss_without_out_use_a_scratch_buffer(core, n: int) -> None:  # type: ignore[no-untyped-def]
    ex, (a, b, _) = core
    rng = np.random.default_rng(n)
    x, y = rng.standard_normal(20000).astype(np.float32), rng.standard_normal(20000).astype(np.float32)
    view(a, 20000)[:] = x
    view(b, 20000)[:] = y
    before = live_buffers(ex)
    status, value = fast.reduce(addr(ex), lib.HG_OP_SUM, lib.HG_DTYPE_ANY, addr(a), 0, 1, n)
    assert status == 0
    np.testing.assert_allclose(value, x[:n].astype(np.float64).sum(), rtol=1e-6, atol=1e-6)
    status, value = fast.loss(addr(ex), lib.HG_OP_MSE, lib.HG_DTYPE_ANY, addr(a), addr(b), 0, 1, n)
    assert status == 0
    np.testing.assert_allclose(value, ((x[:n].astype(np.float64) - y[:n]) ** 2).mean(), rtol=1e-6)
    # errors come back as statuses, and the scratch buffer is given back either way
    assert fast.reduce(addr(ex), lib.HG_OP_SUM, lib.HG_DTYPE_FLOAT64, addr(a), 0, 1, n)[0] == lib.HG_ERR_DTYPE
    assert fast.loss(addr(ex), lib.HG_OP_MSE, lib.HG_DTYPE_ANY, addr(a), addr(b), 0, 1, 20001)[0] == lib.HG_ERR_SHAPE
    assert live_buffers(ex) == before


def test_host_entry_points_take_memory_addresses(core) -> None:  # type: ignore[no-untyped-def]
    ex, _ = core
    x = np.linspace(-3, 3, 1001, dtype=np.float32)
    y = np.linspace(1, 2, 1001, dtype=np.float32)
    out = np.empty_like(x)
    args = (addr(ex), lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, x.ctypes.data, y.ctypes.data, out.ctypes.data)
    assert fast.binary_host(*args, x.size) == 0
    np.testing.assert_array_equal(out, x + y)
    assert fast.unary_host(addr(ex), lib.HG_OP_RELU, lib.HG_DTYPE_FLOAT32, x.ctypes.data, out.ctypes.data, x.size) == 0
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    assert fast.binary_host(*args, -1) == lib.HG_ERR_INVALID_ARGUMENT
    with pytest.raises(OverflowError):  # an address is never negative
        fast.binary_host(addr(ex), lib.HG_OP_ADD, lib.HG_DTYPE_FLOAT32, -8, y.ctypes.data, out.ctypes.data, 1)
    with pytest.raises(TypeError):
        fast.unary_host(addr(ex), lib.HG_OP_RELU, lib.HG_DTYPE_FLOAT32, float(x.ctypes.data), out.ctypes.data, 1)
