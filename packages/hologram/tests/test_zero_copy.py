"""Zero-copy interop: NumPy views, the buffer protocol and DLPack share one memory.

The README promises that ``buf.to_numpy()``, ``np.asarray(buf)``,
``np.from_dlpack(buf)`` and ``torch.from_dlpack(buf)`` are views of the same
memory, that ``Executor.wrap`` / ``hg.from_numpy`` / ``hg.from_dlpack`` use a
caller's memory in place, and that the copying paths (``from_numpy`` on a
buffer, ``to_bytes``/``from_bytes``) are one bulk copy each. Every test here
proves sharing two ways: by address (``np.shares_memory`` or data pointers)
and by writing through one side and reading through the other.
"""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest

import hologram as hg


def _addr(arr: np.ndarray) -> int:
    return int(arr.__array_interface__["data"][0])


# -- to_numpy views -------------------------------------------------------------


def test_two_views_of_one_buffer_share_memory(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(16, dtype=np.float32))
    v1, v2 = buf.to_numpy(), buf.to_numpy()
    assert v1 is not v2
    assert np.shares_memory(v1, v2)
    assert _addr(v1) == _addr(v2)
    v1[3] = -7.0
    assert v2[3] == -7.0


def test_views_of_different_buffers_do_not_share(ex: hg.Executor) -> None:
    a, b = ex.zeros(16), ex.zeros(16)
    assert not np.shares_memory(a.to_numpy(), b.to_numpy())


def test_view_has_shape_and_dtype_of_buffer(ex: hg.Executor) -> None:
    buf = ex.zeros((3, 4), "float64")
    view = buf.to_numpy()
    assert view.shape == (3, 4)
    assert view.dtype == np.float64
    assert view.flags.c_contiguous
    assert view.flags.writeable


def test_wrap_shares_memory_with_the_array(ex: hg.Executor) -> None:
    arr = np.arange(10, dtype=np.float32)
    buf = ex.wrap(arr)
    view = buf.to_numpy()
    assert np.shares_memory(view, arr)
    assert _addr(view) == _addr(arr)
    # Writes through the original array are seen through the buffer and vice versa.
    arr[0] = 100.0
    assert view[0] == 100.0
    assert buf.to_bytes()[:4] == np.float32(100.0).tobytes()
    view[1] = 200.0
    assert arr[1] == 200.0


def test_wrap_keeps_the_array_shape(ex: hg.Executor) -> None:
    arr = np.zeros((2, 5), dtype=np.float64)
    buf = ex.wrap(arr)
    assert buf.shape == (2, 5)
    assert buf.dtype == "float64"
    assert np.shares_memory(buf.to_numpy(), arr)


def test_hg_from_numpy_shares_memory_with_the_array() -> None:
    arr = np.linspace(-1.0, 1.0, 9)
    buf = hg.from_numpy(arr)
    assert buf.executor is hg.default_executor()
    view = buf.to_numpy()
    assert np.shares_memory(view, arr)
    arr[4] = 42.0
    assert view[4] == 42.0


def test_hg_from_numpy_on_a_given_executor(ex: hg.Executor) -> None:
    arr = np.ones(8, dtype=np.float32)
    buf = hg.from_numpy(arr, ex)
    assert buf.executor is ex
    assert np.shares_memory(buf.to_numpy(), arr)


def test_executor_from_numpy_is_a_copy_not_a_view(ex: hg.Executor) -> None:
    arr = np.arange(8, dtype=np.float32)
    buf = ex.from_numpy(arr)
    assert not np.shares_memory(buf.to_numpy(), arr)
    arr[0] = 99.0
    assert buf.to_numpy()[0] == 0.0


# -- writes through views and ops ---------------------------------------------------


def test_write_through_view_is_seen_by_ops(ex: hg.Executor) -> None:
    a, b, c = ex.zeros(8), ex.zeros(8), ex.zeros(8)
    a.to_numpy()[:] = np.arange(8, dtype=np.float32)
    b.to_numpy()[:] = 10.0
    hg.vector_add_f32(ex, a, b, c, 8)
    np.testing.assert_array_equal(c.to_numpy(), np.arange(8, dtype=np.float32) + 10.0)


def test_op_results_are_seen_by_an_existing_view(ex: hg.Executor) -> None:
    a = ex.from_numpy(np.arange(8, dtype=np.float32))
    c = ex.zeros(8)
    view = c.to_numpy()  # taken before the op runs
    hg.vector_mul_f32(ex, a, a, c, 8)
    np.testing.assert_array_equal(view, np.arange(8, dtype=np.float32) ** 2)
    hg.ops.relu(ex, hg.ops.neg(ex, a), out=c)
    np.testing.assert_array_equal(view, np.zeros(8, dtype=np.float32))


def test_ops_on_wrapped_arrays_write_into_the_arrays(ex: hg.Executor) -> None:
    x = np.array([-2.0, -1.0, 0.5, 3.0])
    out = np.full(4, np.nan)
    hg.ops.relu(ex, ex.wrap(x), out=ex.wrap(out))
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.5, 3.0])
    # The wrapped input was read in place: change it and the next op sees the change.
    x[0] = 5.0
    y = hg.ops.relu(ex, ex.wrap(x))
    assert y.to_numpy()[0] == 5.0


def test_in_place_op_on_one_wrapped_array(ex: hg.Executor) -> None:
    arr = np.arange(6, dtype=np.float32)
    buf = ex.wrap(arr)
    hg.scalar_mul_f32(ex, buf, buf, 6, 2.0)  # out is the same buffer: allowed
    np.testing.assert_array_equal(arr, np.arange(6, dtype=np.float32) * 2)


# -- the array protocols -------------------------------------------------------------


def test_np_asarray_is_a_view(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(5, dtype=np.float64))
    arr = np.asarray(buf)
    assert isinstance(arr, np.ndarray)
    assert np.shares_memory(arr, buf.to_numpy())
    arr[2] = -1.0
    assert buf.to_numpy()[2] == -1.0


def test_np_array_copies(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(5, dtype=np.float64))
    arr = np.array(buf)  # np.array copies by default
    assert not np.shares_memory(arr, buf.to_numpy())
    np.testing.assert_array_equal(arr, np.arange(5.0))


def test_np_asarray_with_another_dtype_converts(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(5, dtype=np.float32))
    arr = np.asarray(buf, dtype=np.float64)
    assert arr.dtype == np.float64
    assert not np.shares_memory(arr, buf.to_numpy())
    np.testing.assert_array_equal(arr, np.arange(5.0))


def test_dlpack_device_is_cpu(ex: hg.Executor) -> None:
    buf = ex.allocate(4)
    assert buf.__dlpack_device__() == (1, 0)  # (kDLCPU, device 0)


def test_np_from_dlpack_shares_memory(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4))
    arr = np.from_dlpack(buf)
    assert arr.shape == (3, 4)
    assert arr.dtype == np.float32
    assert np.shares_memory(arr, buf.to_numpy())
    assert _addr(arr) == _addr(buf.to_numpy())
    arr[1, 1] = 77.0
    assert buf.to_numpy()[1, 1] == 77.0
    buf.fill(3.0)
    np.testing.assert_array_equal(arr, np.full((3, 4), 3.0, dtype=np.float32))


def test_torch_from_dlpack_shares_memory(ex: hg.Executor) -> None:
    torch = pytest.importorskip("torch")
    buf = ex.from_numpy(np.arange(6, dtype=np.float32))
    t = torch.from_dlpack(buf)
    assert t.dtype == torch.float32
    assert t.device.type == "cpu"
    assert tuple(t.shape) == (6,)
    assert t.data_ptr() == _addr(buf.to_numpy())
    # Tensor -> buffer.
    t[0] = 123.0
    assert buf.to_numpy()[0] == 123.0
    # Buffer (an op) -> tensor.
    hg.scalar_add_f32(ex, buf, buf, 6, 1.0)
    assert t.tolist() == [124.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_torch_from_dlpack_float64_2d(ex: hg.Executor) -> None:
    torch = pytest.importorskip("torch")
    buf = ex.from_numpy(np.arange(6, dtype=np.float64).reshape(2, 3))
    t = torch.from_dlpack(buf)
    assert t.dtype == torch.float64
    assert tuple(t.shape) == (2, 3)
    t[1, 2] = -5.0
    assert buf.to_numpy()[1, 2] == -5.0


def test_hg_from_dlpack_wraps_a_torch_tensor_in_place(ex: hg.Executor) -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(8, dtype=torch.float32)
    buf = hg.from_dlpack(t, ex)
    assert buf.executor is ex
    assert buf.dtype == "float32"
    assert buf.size == 8
    assert _addr(buf.to_numpy()) == t.data_ptr()
    t[3] = 1000.0  # write via the tensor ...
    assert buf.to_numpy()[3] == 1000.0  # ... read via the buffer
    assert np.frombuffer(buf.to_bytes(), dtype=np.float32)[3] == 1000.0
    hg.scalar_mul_f32(ex, buf, buf, 8, -1.0)  # and the other way round
    assert t[3].item() == -1000.0


def test_hg_from_dlpack_default_executor() -> None:
    torch = pytest.importorskip("torch")
    t = torch.ones(4, dtype=torch.float64)
    buf = hg.from_dlpack(t)
    assert buf.executor is hg.default_executor()
    assert buf.dtype == np.float64
    t.mul_(3)
    np.testing.assert_array_equal(buf.to_numpy(), [3.0, 3.0, 3.0, 3.0])


def test_hg_from_dlpack_accepts_a_numpy_array(ex: hg.Executor) -> None:
    arr = np.arange(4, dtype=np.float64)
    buf = hg.from_dlpack(arr, ex)
    assert np.shares_memory(buf.to_numpy(), arr)


def test_roundtrip_buffer_torch_buffer(ex: hg.Executor) -> None:
    torch = pytest.importorskip("torch")
    buf = ex.from_numpy(np.arange(4, dtype=np.float32))
    back = hg.from_dlpack(torch.from_dlpack(buf), ex)
    assert np.shares_memory(back.to_numpy(), buf.to_numpy())


# -- memoryview and bytes ----------------------------------------------------------------


def test_memoryview_method_is_zero_copy(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(4, dtype=np.float32))
    mv = buf.memoryview()
    assert mv.format == "f"
    assert mv.shape == (4,)
    assert mv.nbytes == buf.nbytes
    assert not mv.readonly
    mv[2] = 50.0
    assert buf.to_numpy()[2] == 50.0
    buf.fill(-1.0)
    assert mv.tolist() == [-1.0, -1.0, -1.0, -1.0]
    assert np.shares_memory(np.asarray(mv), buf.to_numpy())


@pytest.mark.skipif(sys.version_info < (3, 12), reason="memoryview(buf) needs the buffer protocol of Python >= 3.12")
def test_builtin_memoryview_is_zero_copy(ex: hg.Executor) -> None:
    buf = ex.from_numpy(np.arange(4, dtype=np.float64))
    mv = memoryview(buf)  # type: ignore[arg-type]
    assert mv.format == "d"
    mv[0] = 9.0
    assert buf.to_numpy()[0] == 9.0
    hg.scalar_add_f64(ex, buf, buf, 4, 1.0)
    assert mv.tolist() == [10.0, 2.0, 3.0, 4.0]


def test_to_bytes_from_bytes_round_trip(ex: hg.Executor) -> None:
    data = np.random.default_rng(1).standard_normal(33).astype(np.float32)
    src = ex.from_numpy(data)
    raw = src.to_bytes()
    assert isinstance(raw, bytes)
    assert raw == data.tobytes()
    dst = ex.allocate(33).from_bytes(raw)
    np.testing.assert_array_equal(dst.to_numpy(), data)
    # Any buffer-protocol object works, and to_bytes is a copy, not a view.
    dst.from_bytes(bytearray(np.zeros(33, np.float32).tobytes()))
    assert raw == data.tobytes()
    dst.from_bytes(memoryview(data))
    np.testing.assert_array_equal(dst.to_numpy(), data)


def test_lowlevel_bytes_helpers_round_trip(ex: hg.Executor) -> None:
    data = np.arange(7, dtype=np.float64)
    buf = ex.allocate(7, "float64")
    hg.buffer_copy_from_bytes(ex, buf, bytes(memoryview(data)))
    assert hg.buffer_to_bytes(ex, buf) == data.tobytes()


# -- copies in: contiguous and not -----------------------------------------------------


def test_from_numpy_non_contiguous_values(ex: hg.Executor) -> None:
    base = np.arange(40, dtype=np.float32).reshape(4, 10)
    strided = base[:, ::3]  # 4 x 4, not contiguous
    assert not strided.flags.c_contiguous
    buf = ex.allocate(strided.shape).from_numpy(strided)
    np.testing.assert_array_equal(buf.to_numpy(), strided)
    transposed = base.T  # F-ordered
    buf2 = ex.from_numpy(transposed)
    assert buf2.shape == (10, 4)
    np.testing.assert_array_equal(buf2.to_numpy(), transposed)
    rev = np.arange(8, dtype=np.float64)[::-1]
    np.testing.assert_array_equal(ex.from_numpy(rev).to_numpy(), rev)


def test_from_numpy_strided_is_one_gather(ex: hg.Executor) -> None:
    """A strided source costs one temporary of its size; a contiguous one costs none."""
    n = 1 << 20
    strided = np.arange(2 * n, dtype=np.float32)[::2]
    contiguous = np.arange(n, dtype=np.float32)
    buf = ex.allocate(n)
    tracemalloc.start()
    try:
        buf.from_numpy(strided)
        _, peak_strided = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        buf.from_numpy(contiguous)
        _, peak_contiguous = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_strided < 1.5 * n * 4, f"more than one gather: peak {peak_strided} bytes"
    assert peak_contiguous < 64 * 1024, f"a contiguous array was copied: peak {peak_contiguous} bytes"
    np.testing.assert_array_equal(buf.to_numpy(), contiguous)


# -- read-only memory ------------------------------------------------------------------


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


def test_read_only_array_gives_read_only_buffer_and_views(ex: hg.Executor) -> None:
    arr = _read_only(np.arange(4, dtype=np.float64))
    buf = ex.wrap(arr)
    assert buf.read_only
    view = buf.to_numpy()
    assert not view.flags.writeable
    assert np.shares_memory(view, arr)
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(buf)[0] = 1.0
    assert buf.memoryview().readonly
    with pytest.raises(TypeError):
        buf.memoryview()[0] = 1.0
    np.testing.assert_array_equal(arr, np.arange(4.0))


def test_read_only_buffer_dlpack_export_is_read_only(ex: hg.Executor) -> None:
    buf = ex.wrap(_read_only(np.arange(4, dtype=np.float32)))
    arr = np.from_dlpack(buf)
    assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        arr[0] = 1.0


def test_read_only_buffer_rejects_writes_but_serves_reads(ex: hg.Executor) -> None:
    arr = _read_only(np.arange(4, dtype=np.float32))
    buf = ex.wrap(arr)
    with pytest.raises(hg.ReadOnlyError, match="read-only"):
        buf.from_numpy(np.zeros(4, np.float32))
    with pytest.raises(hg.ReadOnlyError, match="read-only"):
        buf.fill(0.0)
    out = hg.ops.add(ex, buf, buf)  # reading is fine
    np.testing.assert_array_equal(out.to_numpy(), np.arange(4, dtype=np.float32) * 2)
    np.testing.assert_array_equal(arr, np.arange(4, dtype=np.float32))


# -- wrap_address: the route for frameworks that own memory (hologram-torch) ------------


def test_wrap_address_shares_memory(ex: hg.Executor) -> None:
    array = np.arange(12, dtype=np.float64).reshape(3, 4)
    buf = ex.wrap_address(array.ctypes.data, array.shape, "float64", owner=array)
    assert buf.shape == (3, 4) and buf.dtype == hg.float64
    assert np.shares_memory(buf.to_numpy(), array)
    hg.ops.mul_scalar(ex, buf, 2.0, out=buf)
    np.testing.assert_array_equal(array, 2.0 * np.arange(12).reshape(3, 4))


def test_wrap_address_keeps_its_owner_alive(ex: hg.Executor) -> None:
    import gc
    import weakref

    class Owner:
        def __init__(self) -> None:
            self.array = np.ones(16, dtype=np.float32)

    owner = Owner()
    alive = weakref.ref(owner)
    buf = ex.wrap_address(owner.array.ctypes.data, 16, hg.float32, owner=owner)
    del owner
    gc.collect()
    assert alive() is not None
    assert buf.to_numpy().sum() == 16.0
    del buf
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize(("address", "dtype", "match"), [
    (0, "float32", "not a valid host address"),
    (-8, "float32", "not a valid host address"),
    (4, "float64", "not aligned"),
])
def test_wrap_address_rejects_bad_addresses(ex: hg.Executor, address: int, dtype: str, match: str) -> None:
    with pytest.raises(hg.InvalidArgumentError, match=match):
        ex.wrap_address(address, 4, dtype)


def test_wrap_address_rejects_bad_dtype_and_closed_executor() -> None:
    array = np.zeros(4, dtype=np.float32)
    with hg.Executor(backend="cpu") as ex, pytest.raises(hg.DTypeError):
        ex.wrap_address(array.ctypes.data, 4, "int32")
    with pytest.raises(hg.ClosedError):
        ex.wrap_address(array.ctypes.data, 4, "float32")
