"""The WebGPU backend's device-memory behaviour, selection rules and errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from webgpu_support import webgpu_info

import hologram as hg


def test_float64_is_a_type_error_naming_the_backend(wex: hg.Executor, backend_name: str) -> None:
    a = wex.from_numpy(np.arange(4, dtype=np.float64))  # bytes can live there; no kernel reads them
    with pytest.raises(hg.DTypeError, match=f"'{backend_name}' has no float64 kernels") as info:
        hg.ops.relu(wex, a)
    assert isinstance(info.value, TypeError)
    np.testing.assert_array_equal(a.to_numpy(), np.arange(4, dtype=np.float64))


def test_memory_is_on_the_device_and_copies_are_copies(wex: hg.Executor) -> None:
    assert not wex.host_addressable
    x = np.arange(10, dtype=np.float32)
    a = wex.from_numpy(x)
    x[:] = -1  # from_numpy copied: the buffer does not see later writes
    first, second = a.to_numpy(), a.to_numpy()
    np.testing.assert_array_equal(first, np.arange(10, dtype=np.float32))
    assert not np.shares_memory(first, second)
    assert a.to_bytes() == np.arange(10, dtype=np.float32).tobytes()
    with pytest.raises(hg.NotHostAddressableError):
        a.memoryview()
    with pytest.raises(hg.NotHostAddressableError):
        wex.wrap(np.zeros(3, np.float32))
    assert a.__dlpack_device__()[0] in (7, 8)  # kDLVulkan / kDLMetal


def test_ops_are_queued_in_order_and_synchronize_waits(wex: hg.Executor) -> None:
    n = 1 << 18
    a = wex.from_numpy(np.ones(n, np.float32))
    for _ in range(50):  # 50 dependent ops queued without waiting
        hg.ops.add(wex, a, a, out=a)
        hg.ops.mul_scalar(wex, a, 0.5, out=a)
    hg.ops.add_scalar(wex, a, 1.0, out=a)
    wex.synchronize()
    np.testing.assert_array_equal(a.to_numpy(), np.full(n, 2.0, np.float32))


def test_reads_after_writes_of_reused_memory(wex: hg.Executor) -> None:
    # Freed blocks return to the executor's cache and are reused at once: the
    # queue order must keep the old contents' pending work before the new one's.
    for i in range(20):
        b = wex.from_numpy(np.full(4096, float(i), np.float32))
        c = hg.ops.add_scalar(wex, b, 1.0)
        np.testing.assert_array_equal(c.to_numpy(), np.full(4096, i + 1.0, np.float32))
        b.free()
        c.free()


def test_use_after_close_and_free_raises(backend_name: str) -> None:
    ex = hg.Executor(backend=backend_name)
    a = ex.from_numpy(np.ones(8, np.float32))
    kept = a.to_numpy()
    a.free()
    with pytest.raises(hg.ClosedError):
        a.to_numpy()
    b = ex.from_numpy(np.ones(8, np.float32))
    ex.close()
    with pytest.raises(hg.ClosedError):
        hg.ops.relu(ex, b)
    with pytest.raises(hg.ClosedError):
        b.to_numpy()
    np.testing.assert_array_equal(kept, np.ones(8, np.float32))


def test_empty_and_unaligned_byte_copies(wex: hg.Executor) -> None:
    e = wex.allocate(0)
    assert e.to_numpy().shape == (0,)
    assert hg.ops.sum(wex, wex.allocate(0)) == 0.0
    raw = wex.allocate(5, dtype="float32")
    raw.from_bytes(bytes(range(20)))
    assert raw.to_bytes() == bytes(range(20))


def test_software_adapter_is_explicit_only(backend_name: str) -> None:
    info = webgpu_info()
    assert info is not None and info.available
    assert info.device  # the adapter names itself
    if not info.explicit_only:
        pytest.skip(f"a hardware adapter is present ({info.device})")
    assert "software rasterizer" in info.reason and backend_name in info.reason
    assert hg.get_default_backend() != backend_name
    out = subprocess.run([sys.executable, "-m", "hologram.cli", "info"], capture_output=True, text=True, check=True)
    row = next(line for line in out.stdout.splitlines() if line.startswith(backend_name))
    assert "on request" in row and "software rasterizer" in row


def test_missing_wgpu_native_is_a_clear_unavailable_reason(backend_name: str) -> None:
    code = (
        "import hologram as hg\n"
        f"info = next(b for b in hg.backends() if b.name == {backend_name!r})\n"
        "print(info.available, '|', info.reason)\n"
        "try:\n"
        f"    hg.Executor(backend={backend_name!r})\n"
        "except hg.BackendUnavailableError as exc:\n"
        "    print('raised |', exc)\n"
    )
    env = {**__import__("os").environ, "HOLOGRAM_WGPU_LIBRARY": "/nonexistent/libwgpu_native.so"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("False |") and "cannot load wgpu-native" in lines[0]
    assert "HOLOGRAM_WGPU_LIBRARY" in lines[0]
    assert lines[1].startswith("raised |") and "cannot load wgpu-native" in lines[1]
    assert hg.get_default_backend() != backend_name or webgpu_info() is not None


def test_bench_runs_on_the_backend_and_checks_its_results(backend_name: str) -> None:
    # A smoke test only: figures on a software adapter say nothing about GPU speed.
    from hologram import bench

    (result,) = bench.run(filter="softmax 10K", backend=backend_name, repeats=3, min_time=1e-4, max_time=0.05)
    assert result.error is None
    for mode in ("out", "alloc"):
        timing = result.timings[f"hologram/{mode}"]
        assert timing.median_s > 0 and timing.max_abs_error < 1e-5


def test_hologram_torch_refuses_a_device_memory_executor(wex: hg.Executor) -> None:
    torch = pytest.importorskip("torch")
    hg_torch = pytest.importorskip("hologram_torch")
    with pytest.raises(hg.NotHostAddressableError, match="pass a 'cpu' executor"):
        hg_torch.functional.add(wex, torch.ones(3), torch.ones(3))
    with pytest.raises(hg.NotHostAddressableError, match="copy=True"):
        torch.from_dlpack(wex.from_numpy(np.ones(3, np.float32)))
    # The explicit copy works and is a copy.
    buf = wex.from_numpy(np.arange(3, dtype=np.float32))
    host = np.from_dlpack(buf, copy=True)
    np.testing.assert_array_equal(host, np.arange(3, dtype=np.float32))
    with pytest.raises(ValueError, match="copy"):
        np.asarray(buf, copy=False)


@pytest.mark.skipif(sys.platform != "linux", reason="hides the Vulkan drivers through the Vulkan loader")
def test_no_adapter_is_one_line_reason_with_a_remedy(backend_name: str) -> None:
    env = {**__import__("os").environ, "VK_ICD_FILENAMES": "/nonexistent/icd.json", "VK_DRIVER_FILES": "/nonexistent/icd.json"}
    code = (
        "import hologram as hg\n"
        f"info = next(b for b in hg.backends() if b.name == {backend_name!r})\n"
        "print(info.available, info.explicit_only, repr(info.reason))\n"
        "print(hg.get_default_backend())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    first, default = out.stdout.splitlines()
    assert first.startswith("False False") and "no GPU adapter found" in first and "mesa-vulkan-drivers" in first
    assert "\\n" not in first  # one line in `hologram info`'s table
    assert default == "cpu"  # auto-selection falls back silently
