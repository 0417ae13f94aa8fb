"""Device memory: a backend whose buffers the CPU cannot address, tested without a GPU.

The backend is the toy plugin built with ``TOY_DEVICE_MEMORY``
(``plugin_src/toy_backend.c``): it does not claim host addressability, gives
no host pointers, reports DLPack device type Vulkan, and its memory handles
are opaque descriptors, so a host that read a handle as data would see wrong
values and one that handed a host pointer to a kernel gets an error. It has
float32 kernels for fill, copy, add and mul only, which is what the op tests
use.

The rules checked here: every copy out (``to_numpy``, ``to_bytes``,
``np.asarray``, DLPack with ``copy=True``) is one bulk transfer of real
values that shares nothing with the buffer; every zero-copy request
(``copy=False``, ``memoryview``, ``__dlpack__`` without a copy, ``wrap``,
``wrap_address``, ``hg.from_numpy``) raises an error naming the backend and
the copying remedy; everything else behaves as on the CPU.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import plugin_fixtures as pf  # its fixtures are registered by conftest.py
import pytest

import hologram as hg

NAME = "toydev"
KDL_VULKAN = 7


@dataclass
class Device:
    """An executor on the device-memory toy, with the toy library's counters."""

    ex: hg.Executor
    library: ctypes.CDLL

    def transfers(self) -> tuple[int, int]:
        """(copies to the host, copies from the host) so far, process-wide."""
        return int(self.library.toy_copies_to_host()), int(self.library.toy_copies_from_host())

    def live(self) -> tuple[int, int]:
        """(live contexts, live allocations) inside the toy library."""
        return int(self.library.toy_live_contexts()), int(self.library.toy_live_allocations())


@pytest.fixture
def dev(plugin_sandbox: pf.PluginSandbox) -> Iterator[Device]:
    # A negative priority: the toy is only used when asked for by name.
    plugin = plugin_sandbox.install_toy(NAME, priority=-1, device_memory=True)
    plugin_sandbox.refresh()
    assert plugin.library is not None
    # dlopen of a path already loaded returns the handle the core holds.
    library = ctypes.CDLL(str(plugin.library))
    for fn in ("toy_copies_to_host", "toy_copies_from_host", "toy_live_contexts", "toy_live_allocations"):
        getattr(library, fn).restype = ctypes.c_longlong
    with hg.Executor(backend=NAME) as ex:
        yield Device(ex, library)


def _values(shape: tuple[int, ...] = (12,), dtype: type = np.float32) -> np.ndarray:
    return (np.arange(int(np.prod(shape)), dtype=dtype) * 1.5 - 4).reshape(shape)


# -- identity -------------------------------------------------------------------


def test_device_toy_is_not_host_addressable(dev: Device) -> None:
    assert dev.ex.backend == NAME
    assert dev.ex.host_addressable is False
    buf = dev.ex.from_numpy(_values())
    assert buf.__dlpack_device__() == (KDL_VULKAN, dev.ex.device) == (KDL_VULKAN, 0)


# -- copies out: one bulk transfer each, never a view ------------------------------


def test_to_numpy_is_one_transfer_of_the_values_and_a_copy(dev: Device) -> None:
    x = _values((3, 4))
    buf = dev.ex.from_numpy(x)
    x[:] = 99.0  # from_numpy copied: later writes to the source are not seen
    before = dev.transfers()
    first = buf.to_numpy()
    assert dev.transfers() == (before[0] + 1, before[1])
    np.testing.assert_array_equal(first, _values((3, 4)))
    assert first.shape == (3, 4) and first.dtype == np.float32 and first.flags.writeable
    second = buf.numpy()
    np.testing.assert_array_equal(second, first)
    assert not np.shares_memory(first, second)
    first[0, 0] = -1.0  # writing to a copy does not change the buffer
    assert buf.to_numpy()[0, 0] == _values((3, 4))[0, 0]


def test_to_bytes_is_one_transfer_into_the_bytes_object(dev: Device) -> None:
    x = _values((1 << 20,))  # 4 MiB
    buf = dev.ex.from_numpy(x)
    before = dev.transfers()
    tracemalloc.start()
    try:
        data = buf.to_bytes()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert dev.transfers() == (before[0] + 1, before[1])
    assert type(data) is bytes
    assert data == x.tobytes()
    # One copy: the bytes object itself, not a scratch buffer and then the bytes.
    assert peak < 1.5 * x.nbytes, f"to_bytes peaked at {peak} bytes for {x.nbytes}"


def test_to_numpy_allocates_only_its_result(dev: Device) -> None:
    x = _values((1 << 20,))
    buf = dev.ex.from_numpy(x)
    tracemalloc.start()
    try:
        out = buf.to_numpy()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(out, x)
    assert peak < 1.5 * x.nbytes


def test_empty_buffer_copies_out(dev: Device) -> None:
    buf = dev.ex.allocate(0)
    assert buf.to_bytes() == b""
    assert buf.to_numpy().shape == (0,)
    assert np.asarray(buf).size == 0


def test_np_asarray_copies_once_and_copy_false_refuses(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    before = dev.transfers()
    a, b = np.asarray(buf), np.asarray(buf)
    assert dev.transfers()[0] == before[0] + 2
    np.testing.assert_array_equal(a, _values())
    assert not np.shares_memory(a, b)
    # copy=True: still a single transfer (the copy to_numpy makes is already new memory).
    before = dev.transfers()
    c = np.array(buf, copy=True)
    assert dev.transfers()[0] == before[0] + 1
    np.testing.assert_array_equal(c, _values())
    np.testing.assert_array_equal(np.asarray(buf, dtype=np.float64), _values().astype(np.float64))

    with pytest.raises(ValueError, match="copy is needed") as info:
        np.asarray(buf, copy=False)
    assert NAME in str(info.value)
    assert "to_numpy()" in str(info.value)


def test_buffer_memoryview_raises_and_never_copies(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    before = dev.transfers()
    with pytest.raises(hg.NotHostAddressableError, match="device memory") as info:
        buf.memoryview()
    assert isinstance(info.value, BufferError)
    assert NAME in str(info.value) and "buf.to_numpy()" in str(info.value)
    assert dev.transfers() == before


def test_host_pin_raises_not_host_addressable(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    with pytest.raises(hg.NotHostAddressableError, match="host_pin"):
        buf.host_pin()
    buf.free()  # no pin was left behind: the memory goes at once
    assert dev.ex.stats()["live_buffers"] == 0


@pytest.mark.skipif(sys.version_info < (3, 12), reason="memoryview(obj) calls __buffer__ from Python 3.12")
def test_builtin_memoryview_raises_not_host_addressable(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    before = dev.transfers()
    with pytest.raises(hg.NotHostAddressableError, match=r"buf\.to_numpy\(\)"):
        memoryview(buf)
    assert dev.transfers() == before


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12+ routes memoryview(obj) to __buffer__")
def test_builtin_memoryview_before_312_is_refused_too(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    with pytest.raises(TypeError):  # no buffer protocol at all: certainly no silent copy
        memoryview(buf)  # type: ignore[arg-type]


# -- DLPack ----------------------------------------------------------------------------


def test_dlpack_without_a_copy_raises_with_the_remedy(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    before = dev.transfers()
    for kwargs in ({}, {"copy": False}, {"max_version": (1, 0)}, {"dl_device": (1, 0), "copy": False}):
        with pytest.raises(hg.NotHostAddressableError, match="copy=True") as info:
            buf.__dlpack__(**kwargs)  # type: ignore[arg-type]
        assert isinstance(info.value, BufferError), kwargs
        assert NAME in str(info.value) and "np.from_dlpack(buf, copy=True)" in str(info.value)
        assert "buf.to_numpy()" in str(info.value)
    # Not even the buffer's own device: its memory never reaches Python in place.
    with pytest.raises(hg.NotHostAddressableError, match=r"not to device \(7, 0\)"):
        buf.__dlpack__(dl_device=(KDL_VULKAN, 0))
    with pytest.raises(hg.NotHostAddressableError, match=r"not to device \(2, 0\)"):
        buf.__dlpack__(dl_device=(2, 0), copy=True)
    assert dev.transfers() == before


def test_dlpack_copy_true_or_cpu_device_gives_a_host_copy(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    capsule = buf.__dlpack__(copy=True)
    assert type(capsule).__name__ == "PyCapsule"
    versioned = buf.__dlpack__(copy=True, max_version=(1, 0))
    assert type(versioned).__name__ == "PyCapsule"
    assert buf.__dlpack__(dl_device=(1, 0)) is not None  # a CPU consumer that allows copies


def test_np_from_dlpack_raises_and_copy_true_works(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values((2, 6)))
    with pytest.raises(BufferError, match="copy=True"):
        np.from_dlpack(buf)
    before = dev.transfers()
    a = np.from_dlpack(buf, copy=True)
    assert dev.transfers()[0] == before[0] + 1
    np.testing.assert_array_equal(a, _values((2, 6)))
    b = np.from_dlpack(buf, device="cpu")  # dl_device=(1, 0), copy=None: a copy is allowed
    np.testing.assert_array_equal(b, _values((2, 6)))
    assert not np.shares_memory(a, b)
    with pytest.raises(BufferError, match="copy=False"):
        np.from_dlpack(buf, device="cpu", copy=False)


def test_torch_from_dlpack_raises_clearly_and_copies_when_asked(dev: Device) -> None:
    torch = pytest.importorskip("torch")
    buf = dev.ex.from_numpy(_values())
    with pytest.raises(BufferError, match="copy=True") as info:
        torch.from_dlpack(buf)
    assert NAME in str(info.value)
    try:
        t = torch.from_dlpack(buf, copy=True)
    except TypeError:
        pytest.skip("this torch's from_dlpack has no copy argument")
    assert t.device.type == "cpu"
    np.testing.assert_array_equal(t.numpy(), _values())


# -- copies in ----------------------------------------------------------------------------


def test_wrap_refuses_with_the_copying_remedy(dev: Device) -> None:
    arr = _values()
    for call in (
        lambda: dev.ex.wrap(arr),
        lambda: dev.ex.wrap(arr[::2]),  # refused for the device, not for the strides
        lambda: dev.ex.wrap_address(arr.ctypes.data, arr.shape, "float32", owner=arr),
        lambda: hg.from_numpy(arr, executor=dev.ex),
    ):
        with pytest.raises(hg.NotHostAddressableError, match=r"executor\.from_numpy\(arr\)") as info:
            call()
        assert isinstance(info.value, BufferError)
        assert NAME in str(info.value) and "device memory" in str(info.value)


def test_from_numpy_copies_in_once_strided_or_not(dev: Device) -> None:
    x = _values((4, 6))
    before = dev.transfers()
    buf = dev.ex.from_numpy(x[:, ::2])  # gathered on the host, then one transfer
    assert dev.transfers() == (before[0], before[1] + 1)
    np.testing.assert_array_equal(buf.to_numpy(), x[:, ::2])
    buf.from_numpy(np.zeros((4, 3), np.float32))
    np.testing.assert_array_equal(buf.to_numpy(), np.zeros((4, 3), np.float32))
    buf.from_bytes(x[:, :3].copy().tobytes())
    np.testing.assert_array_equal(buf.to_numpy(), x[:, :3])
    # float64 has no kernels on the toy, but its bytes move like any others.
    wide = dev.ex.from_numpy(_values(dtype=np.float64))
    np.testing.assert_array_equal(wide.to_numpy(), _values(dtype=np.float64))


def test_from_dlpack_of_a_host_producer_copies_once_into_the_device(dev: Device) -> None:
    x = _values()
    before = dev.transfers()
    buf = hg.from_dlpack(x, executor=dev.ex)
    assert dev.transfers() == (before[0], before[1] + 1)
    assert buf.executor is dev.ex
    x[:] = 0  # a copy: the producer's later writes are not seen
    np.testing.assert_array_equal(buf.to_numpy(), _values())


def test_from_dlpack_of_a_torch_tensor_copies_into_the_device(dev: Device) -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32)
    buf = hg.from_dlpack(t, executor=dev.ex)
    t.zero_()
    np.testing.assert_array_equal(buf.to_numpy(), np.arange(6, dtype=np.float32))


# -- ops, low-level calls and metadata ------------------------------------------------------


def test_ops_run_on_device_buffers(dev: Device) -> None:
    ex = dev.ex
    a_np, b_np = _values((3, 5)), _values((3, 5))[::-1].copy()
    a, b = ex.from_numpy(a_np), ex.from_numpy(b_np)
    np.testing.assert_array_equal(hg.ops.add(ex, a, b).to_numpy(), a_np + b_np)
    np.testing.assert_array_equal(hg.ops.mul(ex, a, b).to_numpy(), a_np * b_np)
    out = ex.zeros((3, 5))
    np.testing.assert_array_equal(out.to_numpy(), np.zeros((3, 5), np.float32))
    assert hg.ops.add(ex, a, b, out=out) is out
    np.testing.assert_array_equal(out.to_numpy(), a_np + b_np)
    hg.ops.mul(ex, a, a, out=a)  # in place
    np.testing.assert_array_equal(a.to_numpy(), a_np * a_np)
    hg.ops.fill(ex, b, 2.5)
    np.testing.assert_array_equal(b.to_numpy(), np.full((3, 5), 2.5, np.float32))
    hg.ops.copy(ex, b, a)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_buffer_helpers_and_reshape_on_device(dev: Device) -> None:
    ex = dev.ex
    x = _values((12,))
    buf = ex.from_numpy(x)
    other = ex.allocate(12).fill(1.0)
    other.copy_from(buf, 5)
    want = np.ones(12, np.float32)
    want[:5] = x[:5]
    np.testing.assert_array_equal(other.to_numpy(), want)
    buf.fill(-3.0, 4)
    np.testing.assert_array_equal(buf.to_numpy()[:4], np.full(4, -3.0, np.float32))
    np.testing.assert_array_equal(buf.to_numpy()[4:], x[4:])
    grid = buf.reshape(3, 4)
    assert grid.shape == (3, 4)
    np.testing.assert_array_equal(grid.to_numpy(), buf.to_numpy().reshape(3, 4))
    assert "toydev" in repr(grid)


def test_lowlevel_calls_on_device(dev: Device) -> None:
    ex = dev.ex
    n = 7
    a_np, b_np = _values((n,)), np.linspace(-1, 1, n, dtype=np.float32)
    a, b, c = ex.allocate(n), ex.allocate(n), ex.allocate(n)
    hg.buffer_copy_from_bytes(ex, a, a_np.tobytes())
    hg.buffer_copy_from_slice(ex, b, "[" + ", ".join(repr(float(v)) for v in b_np) + "]")
    hg.vector_add_f32(ex, a, b, c, n)
    np.testing.assert_array_equal(np.frombuffer(hg.buffer_to_bytes(ex, c), np.float32), a_np + b_np)
    hg.vector_mul_f32(ex, a, b, c, n)
    np.testing.assert_array_equal(c.to_numpy(), a_np * b_np)
    hg.buffer_fill(ex, c, 0.5, n)
    hg.buffer_copy(ex, c, a, 3)
    assert [float(v) for v in np.frombuffer(hg.buffer_to_bytes(ex, a), np.float32)[:3]] == [0.5] * 3
    assert hg.buffer_to_vec(ex, c) == "[" + ", ".join(["0.5"] * n) + "]"


def test_ops_errors_are_those_of_the_cpu(dev: Device) -> None:
    ex = dev.ex
    a = ex.from_numpy(_values())
    with pytest.raises(hg.UnsupportedOperationError, match=NAME):
        hg.ops.relu(ex, a)
    wide = ex.from_numpy(_values(dtype=np.float64))
    with pytest.raises(hg.DTypeError):
        hg.ops.add(ex, wide, wide)
    with hg.Executor(backend="cpu") as cpu:
        host = cpu.from_numpy(_values())
        with pytest.raises(hg.ExecutorMismatchError):
            hg.ops.add(ex, a, host)
    with pytest.raises(hg.ShapeError):
        a.from_numpy(np.zeros(3, np.float32))


# -- lifetimes ------------------------------------------------------------------------------


def test_freed_buffer_raises_closed_and_earlier_copies_stay_valid(dev: Device) -> None:
    buf = dev.ex.from_numpy(_values())
    copies = [buf.to_numpy(), np.asarray(buf), np.from_dlpack(buf, copy=True)]
    data = buf.to_bytes()
    buf.free()
    assert buf.freed
    for call in (
        buf.to_numpy,
        buf.to_bytes,
        buf.memoryview,
        lambda: np.asarray(buf),
        lambda: np.asarray(buf, copy=False),
        lambda: buf.__dlpack__(),
        lambda: buf.__dlpack__(copy=True),
        lambda: buf.fill(1.0),
        lambda: buf.from_numpy(_values()),
        lambda: dev.ex.allocate(0).copy_from(buf, 0),
    ):
        with pytest.raises(hg.ClosedError):
            call()
    buf.free()  # idempotent
    for copy in copies:
        np.testing.assert_array_equal(copy, _values())
    assert data == _values().tobytes()


def test_closed_executor_releases_device_memory(dev: Device) -> None:
    gc.collect()
    contexts, allocations = dev.live()
    buf = dev.ex.from_numpy(_values())
    kept = buf.to_numpy()
    assert dev.live() == (contexts, allocations + 1)
    dev.ex.close()
    assert buf.freed and dev.ex.closed
    with pytest.raises(hg.ClosedError):
        buf.to_numpy()
    with pytest.raises(hg.ClosedError):
        np.asarray(buf, copy=False)
    with pytest.raises(hg.ClosedError):
        hg.ops.add(dev.ex, buf, buf)
    # No view pinned device memory: closing released all of it at once.
    assert dev.live()[1] == allocations
    del buf
    gc.collect()
    assert dev.live() == (contexts - 1, allocations)
    np.testing.assert_array_equal(kept, _values())


# -- hologram-torch ------------------------------------------------------------------------


def test_hologram_torch_refuses_a_device_executor_by_name(dev: Device) -> None:
    torch = pytest.importorskip("torch")
    hg_torch = pytest.importorskip("hologram_torch")
    a = torch.ones(3)
    with pytest.raises(hg.NotHostAddressableError, match="pass a 'cpu' executor") as info:
        hg_torch.functional.add(dev.ex, a, a)
    assert NAME in str(info.value)
    with pytest.raises(hg.NotHostAddressableError, match=NAME):
        hg_torch.functional.relu(dev.ex, a)
    # The default executor still works afterwards.
    torch.testing.assert_close(hg_torch.functional.add(a, a), a + a)
