"""The CUDA backend where it cannot run: honest availability, never a crash.

These run wherever hologram-cuda is installed. On a machine without an NVIDIA
GPU or driver (CI) they check the reason and the fallback; the GPU checks of the
backend are the op suite (packages/hologram/tests/test_ops_*.py, which runs on
every available backend) and test_cuda_device.py, which skips here.
"""

from __future__ import annotations

import ctypes
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hologram as hg

hologram_cuda = pytest.importorskip("hologram_cuda", reason="hologram-cuda is not installed (it needs nvcc to build)")


def cuda_info() -> hg.BackendInfo:
    return next(b for b in hg.backends(refresh=True) if b.name == "cuda")


needs_no_gpu = pytest.mark.skipif(cuda_info().available, reason="a usable NVIDIA GPU is present")


def test_the_plugin_is_discovered_with_its_priority() -> None:
    info = cuda_info()
    assert info.priority == hologram_cuda.PRIORITY == 100
    assert info.version == hologram_cuda.__version__
    assert info.library == hologram_cuda.library_path() and Path(info.library).is_file()
    assert "hologram_cuda:backend" in info.source


def test_the_library_exports_the_abi_and_links_the_wheels_runtime() -> None:
    libs = hologram_cuda.nvidia_libraries()
    assert all(libs.values()), libs  # the wheels are a dependency of hologram-cuda
    lib = ctypes.CDLL(hologram_cuda.library_path())  # resolves: the entry point preloaded the wheels' libraries
    assert lib.hg_backend_entry and lib.hg_cuda_set_tf32
    maps = Path("/proc/self/maps").read_text()
    for name, path in libs.items():
        assert str(Path(path).resolve()) in maps or path in maps, f"{name} is not loaded from NVIDIA's wheel {path}"


@needs_no_gpu
def test_without_a_gpu_the_reason_says_what_is_missing() -> None:
    info = cuda_info()
    assert not info.available
    reason = info.reason.lower()
    # The library loaded and probed (the reason is the probe's, not a load error) ...
    assert "cannot be loaded" not in reason and "failed to load" not in reason, info.reason
    # ... and names what is missing and what to do.
    assert any(w in reason for w in ("driver", "gpu", "device")), info.reason
    assert any(w in reason for w in ("install", "update", "check", "set ")), info.reason


@needs_no_gpu
def test_without_a_gpu_auto_selection_falls_back_silently(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hologram"):
        hg.backends(refresh=True)
        name = hg.get_default_backend()
        with hg.Executor() as ex:
            assert ex.backend == name != "cuda"
            np.testing.assert_array_equal(hg.ops.add(ex, ex.from_numpy(np.ones(3, np.float32)),
                                                     ex.from_numpy(np.ones(3, np.float32))).to_numpy(), 2.0)
    assert not [r for r in caplog.records if "cuda" in r.getMessage()], caplog.text


@needs_no_gpu
def test_without_a_gpu_asking_for_cuda_raises_with_the_reason() -> None:
    reason = cuda_info().reason
    with pytest.raises(hg.BackendUnavailableError, match="cuda") as caught:
        hg.Executor(backend="cuda")
    assert reason in str(caught.value)


@needs_no_gpu
def test_hologram_info_lists_cuda_as_unavailable() -> None:
    out = subprocess.run([sys.executable, "-m", "hologram.cli", "info"], capture_output=True, text=True,
                         check=True).stdout
    fields = next(ln for ln in out.splitlines() if ln.split()[:1] == ["cuda"]).split()
    assert fields[1:4] == [hologram_cuda.__version__, "100", "no"], out  # version, priority, available
    assert cuda_info().reason in out, out


def test_missing_nvidia_wheels_are_named_with_the_remedy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hologram_cuda, "nvidia_libraries",
                        lambda: {"libcudart.so.13": None, "libcublasLt.so.13": "/x", "libcublas.so.13": None})
    spec = hologram_cuda.backend()
    assert spec["name"] == "cuda"
    assert "libcudart.so.13, libcublas.so.13 not found" in spec["unavailable"]
    assert "pip install 'hologram[cuda]'" in spec["unavailable"]


def test_a_wheel_without_its_library_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hologram_cuda, "library_path", lambda: str(tmp_path / "libhologram_cuda.so"))
    assert "is missing" in hologram_cuda.backend()["unavailable"]


def test_set_tf32_refuses_other_executors() -> None:
    with hg.Executor(backend="cpu") as ex, pytest.raises(ValueError, match="'cuda' backend"):
        hologram_cuda.set_tf32(ex)
    ex = hg.Executor(backend="cpu")
    ex.close()
    with pytest.raises(ValueError, match="open executor"):
        hologram_cuda.set_tf32(ex)
