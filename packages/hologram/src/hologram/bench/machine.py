"""What the numbers were measured on: CPU, cores, versions, thread settings."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from types import ModuleType
from typing import Any

import numpy as np

import hologram as hg

__all__ = ["THREAD_ENV", "cpu_model", "device_info", "load_average", "machine_info"]

# Environment variables that change how many threads a library uses (or which
# kernels Hologram picks); shown when set, because they change the numbers.
THREAD_ENV = ("HOLOGRAM_NUM_THREADS", "HOLOGRAM_ISA", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "OPENBLAS_NUM_THREADS", "TORCH_NUM_THREADS")


def cpu_model() -> str:
    """The CPU's marketing name, as precisely as this OS tells it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                # x86 says "model name"; some ARM kernels only "Hardware" or "cpu model".
                if key.strip() in ("model name", "cpu model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                 text=True, timeout=5, check=False).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _usable_cores() -> int | None:
    # The affinity mask is what this process may really use (containers, taskset).
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none).

    Read it before a run: afterwards it counts the run itself.
    """
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _core_info() -> dict[str, Any]:
    """Core version and, when the core reports them, CPU features and the active kernel ISA."""
    info: dict[str, Any] = {}
    try:
        from hologram._core import ffi, lib

        info["hologram_core"] = ffi.string(lib.hg_version()).decode()
        info["cpu_features"] = ffi.string(lib.hg_cpu_features()).decode()
        isa = getattr(lib, "hg_cpu_isa", None)  # newer cores only
        if isa is not None and (ptr := isa()) != ffi.NULL:
            info["cpu_kernels"] = ffi.string(ptr).decode()
        threads = getattr(lib, "hg_cpu_num_threads", None)  # only where the core exports it
        if threads is not None:
            info["hologram_threads"] = int(threads())
    except (AttributeError, ImportError):
        pass
    return info


def machine_info(backend: str = "cpu", torch: ModuleType | None = None,
                 load: float | None = None) -> dict[str, Any]:
    """Everything the report's header and JSON say about the machine and the software.

    ``load``: the load average measured before the run (read now when not given).
    """
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": _usable_cores(),
        # Other work on the machine is the first suspect of noisy numbers.
        "load_average": load_average() if load is None else load,
        "os": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "python": platform.python_version(),
        "hologram": hg.__version__,
        **_core_info(),
        "backend": backend,
        "numpy": np.__version__,
        "torch": None if torch is None else str(torch.__version__),
        "torch_threads": None if torch is None else int(torch.get_num_threads()),
        "env": {k: os.environ[k] for k in THREAD_ENV if k in os.environ},
    }


def device_info(backend: str, torch: ModuleType | None = None) -> dict[str, Any]:
    """What the device suite's header and JSON add: the backend's device and PyTorch's GPU, if any.

    ``device``: the backend's own description (:attr:`hologram.BackendInfo.device`);
    ``torch_device``: ``torch.cuda.get_device_name()`` when torch.cuda is available, else None.
    """
    info = next((b for b in hg.backends() if b.name == backend), None)
    cuda = torch is not None and bool(torch.cuda.is_available())
    return {
        "suite": "device",
        "device": info.device if info is not None else "",
        "torch_cuda": cuda,
        "torch_device": str(torch.cuda.get_device_name()) if cuda and torch is not None else None,
        "torch_cuda_version": str(torch.version.cuda) if cuda and torch is not None else None,
    }
