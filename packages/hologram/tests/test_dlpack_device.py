"""DLPack in place on a backend's own device (the CUDA path), tested without a GPU.

The toy plugin's CUDA-like variant (TOY_DEVICE_EXPORT) hands out "device
addresses" and adopts foreign ones, with a fake stream whose fences it counts.
Hologram is both producer and consumer here: ``hg.from_dlpack(buf, executor=ex)``
goes through the capsule hologram writes and the one it reads, so sharing,
stream fencing and lifetimes are all checked for real. (torch.from_dlpack on a
CUDA buffer, and back, is checked by the GPU check: scripts/gpu-check.sh.)
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import plugin_fixtures as pf
import pytest

import hologram as hg

NAME = "toycuda"
TOY_STREAM = 0x5EED


@dataclass
class Device:
    ex: hg.Executor
    library: ctypes.CDLL

    def fences(self) -> tuple[int, int]:
        return self.library.toy_fences(), self.library.toy_last_fence_consumer()

    def live_allocations(self) -> int:
        """Allocations the toy holds, the executor's cache of freed blocks emptied first."""
        self.ex.empty_cache()
        return int(self.library.toy_live_allocations())


@pytest.fixture
def dev(plugin_sandbox: pf.PluginSandbox) -> Iterator[Device]:
    plugin = plugin_sandbox.install_toy(NAME, priority=-1, device_export=True)
    plugin_sandbox.refresh()
    library = ctypes.CDLL(str(plugin.library))
    for fn in ("toy_fences", "toy_live_allocations"):
        getattr(library, fn).restype = ctypes.c_longlong
    library.toy_last_fence_consumer.restype = ctypes.c_ulonglong
    with hg.Executor(backend=NAME) as ex:
        yield Device(ex, library)


def test_from_dlpack_of_a_device_buffer_shares_its_memory(dev: Device) -> None:
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = dev.ex.from_numpy(x)
    fences = dev.fences()[0]
    b = hg.from_dlpack(a, executor=dev.ex)
    assert b.shape == (3, 4) and b.dtype == hg.float32 and b is not a
    # The producer (a) fenced the consumer's stream, which hologram passed as its own.
    assert dev.fences() == (fences + 1, TOY_STREAM)
    hg.ops.fill(dev.ex, b, 7.0)  # a write through the adopted buffer ...
    np.testing.assert_array_equal(a.to_numpy(), np.full((3, 4), 7.0, np.float32))  # ... is seen by the original
    hg.ops.add(dev.ex, a, a, out=a)
    np.testing.assert_array_equal(b.to_numpy(), np.full((3, 4), 14.0, np.float32))


def test_the_export_keeps_the_memory_alive_after_free(dev: Device) -> None:
    a = dev.ex.from_numpy(np.ones(1000, np.float64))
    live = dev.live_allocations()
    b = hg.from_dlpack(a, executor=dev.ex)
    a.free()  # pinned by the export: the memory stays
    assert dev.live_allocations() == live
    np.testing.assert_array_equal(b.to_numpy(), np.ones(1000))
    del b
    gc.collect()
    assert dev.live_allocations() == live - 1  # the consumer let go: the memory went back


def test_an_unconsumed_capsule_releases_its_pin(dev: Device) -> None:
    a = dev.ex.from_numpy(np.ones(16, np.float32))
    live = dev.live_allocations()
    capsule = a.__dlpack__(stream=-1)  # -1: the consumer wants no synchronization
    assert type(capsule).__name__ == "PyCapsule"
    a.free()
    assert dev.live_allocations() == live
    del capsule
    gc.collect()
    assert dev.live_allocations() == live - 1


@pytest.mark.parametrize(("stream", "fenced"), [(None, 1), (2, 2), (123456, 123456), (-1, None)])
def test_the_consumers_stream_is_fenced(dev: Device, stream: int | None, fenced: int | None) -> None:
    a = dev.ex.from_numpy(np.ones(4, np.float32))
    count = dev.fences()[0]
    capsule = a.__dlpack__(stream=stream)
    if fenced is None:
        assert dev.fences()[0] == count
    else:
        assert dev.fences() == (count + 1, fenced)
    del capsule


@pytest.mark.parametrize("stream", [0, -2, 1.5, "s", True])
def test_a_bad_stream_is_refused(dev: Device, stream: object) -> None:
    a = dev.ex.from_numpy(np.ones(4, np.float32))
    live = dev.live_allocations()
    with pytest.raises(ValueError, match="stream"):
        a.__dlpack__(stream=stream)
    a.free()
    assert dev.live_allocations() == live - 1  # nothing stayed pinned


def test_numpy_gets_the_device_capsule_and_refuses_it(dev: Device) -> None:
    """NumPy asks without naming a device (dl_device=None), like torch: it is handed the device
    capsule and refuses it with its own error (as for a torch CUDA tensor), which the capsule's
    destructor keeps intact; the export's pin is released with the capsule. NumPy 2.5 raises
    BufferError there, earlier releases RuntimeError."""
    a = dev.ex.from_numpy(np.ones(4, np.float32))
    live = dev.live_allocations()
    with pytest.raises((RuntimeError, BufferError), match="Unsupported device"):
        np.from_dlpack(a)
    gc.collect()
    a.free()
    assert dev.live_allocations() == live - 1


def test_copies_and_other_devices_still_get_a_host_copy(dev: Device) -> None:
    x = np.linspace(0, 1, 9, dtype=np.float32)
    a = dev.ex.from_numpy(x)
    got = np.from_dlpack(a, copy=True)
    np.testing.assert_array_equal(got, x)
    np.testing.assert_array_equal(np.from_dlpack(a, device="cpu"), x)
    with pytest.raises(hg.NotHostAddressableError):
        a.__dlpack__(dl_device=(2, 5))  # another device: neither in place nor a host copy


def test_freed_and_closed_buffers_cannot_be_exported(plugin_sandbox: pf.PluginSandbox) -> None:
    plugin_sandbox.install_toy(NAME, priority=-1, device_export=True)
    plugin_sandbox.refresh()
    ex = hg.Executor(backend=NAME)
    a = ex.from_numpy(np.ones(4, np.float32))
    b = ex.from_numpy(np.ones(4, np.float32))
    a.free()
    with pytest.raises(hg.ClosedError):
        a.__dlpack__()
    ex.close()
    with pytest.raises(hg.ClosedError):
        b.__dlpack__()


def test_host_tensors_on_a_device_executor_are_copied_in(dev: Device) -> None:
    x = np.arange(5, dtype=np.float32)
    b = hg.from_dlpack(x, executor=dev.ex)  # NumPy memory is on the CPU, not the toy's device
    x[0] = 100.0
    np.testing.assert_array_equal(b.to_numpy(), np.arange(5, dtype=np.float32))
