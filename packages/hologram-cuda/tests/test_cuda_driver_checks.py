"""The CUDA backend's probe against a fake NVIDIA driver: an old driver and a driver without a GPU.

A tiny libcuda.so.1 (fake_driver/fake_libcuda.c) is compiled and put first on
LD_LIBRARY_PATH of a child Python, which discovers the backends and prints the
CUDA backend's reason. Real drivers are not needed, and the messages users
see on such machines are checked word for word where it matters.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

hologram_cuda = pytest.importorskip("hologram_cuda", reason="hologram-cuda is not installed (it needs nvcc to build)")

HERE = Path(__file__).resolve().parent
CC = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler to build the fake driver")


@pytest.fixture(scope="module")
def fake_driver_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fake_driver")
    assert CC is not None
    subprocess.run([CC, "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", "-o", str(out / "libcuda.so.1"),
                    str(HERE / "fake_driver" / "fake_libcuda.c")], check=True)
    return out


def cuda_reason(driver_dir: Path, version: int) -> str:
    env = dict(os.environ, LD_LIBRARY_PATH=f"{driver_dir}:{os.environ.get('LD_LIBRARY_PATH', '')}",
               FAKE_CUDA_DRIVER_VERSION=str(version))
    env.pop("CUDA_VISIBLE_DEVICES", None)
    code = ("import hologram as hg; b = next(b for b in hg.backends() if b.name == 'cuda'); "
            "print(b.available); print(b.reason); print(hg.get_default_backend())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout.splitlines()
    assert out[0] == "False" and out[2] != "cuda", out
    return out[1]


def test_a_driver_older_than_the_runtime_names_both_versions(fake_driver_dir: Path) -> None:
    reason = cuda_reason(fake_driver_dir, 12040)
    assert "the NVIDIA driver supports CUDA 12.4" in reason, reason
    assert "hologram-cuda needs CUDA 13." in reason and "update the driver" in reason, reason


def test_a_driver_without_a_gpu_says_no_gpu_is_visible(fake_driver_dir: Path) -> None:
    reason = cuda_reason(fake_driver_dir, 13000)
    assert "no CUDA-capable GPU is visible" in reason, reason
