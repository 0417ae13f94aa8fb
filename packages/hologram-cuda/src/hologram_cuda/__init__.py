"""Hologram's CUDA backend for NVIDIA GPUs (compute capability 7.5 and newer).

Installing this distribution (``pip install 'hologram[cuda]'``) registers the
backend with :mod:`hologram` through the ``hologram.backends`` entry point;
nothing needs importing. It ranks above the CPU backend, so ``hg.Executor()``
picks it whenever a usable GPU is present, and falls back to the CPU silently
when there is none (``hologram info`` says why).

Only the NVIDIA driver comes from the system. The CUDA runtime and cuBLAS are
NVIDIA's PyPI wheels (``nvidia-cuda-runtime``, ``nvidia-cublas``), loaded from
site-packages before the backend library, never from a system toolkit.

TF32 tensor-core math in float32 GEMM is off by default (results then match
float32 references); turn it on per executor with :func:`set_tf32`, or for every
new executor with ``HOLOGRAM_CUDA_TF32=1``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

__all__ = ["BACKEND_NAME", "PRIORITY", "__version__", "backend", "library_path", "nvidia_libraries", "set_tf32"]

#: The backend's name.
BACKEND_NAME = "cuda"
#: Auto-selection priority: above WebGPU (50) and the CPU (0), below Metal (200) on a Mac.
PRIORITY = 100

_LIBRARY = "libhologram_cuda.so"
#: What the backend library links against, in load order (cuBLAS needs cuBLASLt), CUDA 13 sonames.
_NVIDIA_LIBRARIES = ("libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13")
#: Where NVIDIA's wheels put them inside the ``nvidia`` namespace package (CUDA 13 wheels share
#: ``cu13/lib``; older layouts had one folder per component).
_NVIDIA_LIB_DIRS = ("cu13/lib", "cuda_runtime/lib", "cublas/lib")
_REMEDY = "pip install 'hologram[cuda]' (it installs nvidia-cuda-runtime and nvidia-cublas)"

_preloaded: dict[str, ctypes.CDLL] = {}


def library_path() -> str:
    """Path of the compiled backend library (it implements ``hologram/backend.h``)."""
    return str(Path(__file__).resolve().parent / _LIBRARY)


def nvidia_libraries() -> dict[str, str | None]:
    """Each CUDA library the backend needs -> its path in NVIDIA's wheels (None: not installed)."""
    spec = importlib.util.find_spec("nvidia")
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    found: dict[str, str | None] = {}
    for name in _NVIDIA_LIBRARIES:
        hits = [root / sub / name for root in roots for sub in _NVIDIA_LIB_DIRS]
        found[name] = next((str(h) for h in hits if h.is_file()), None)
    return found


def _preload() -> str | None:
    """Loads NVIDIA's wheel libraries process-wide (so the backend's own dlopen resolves them);
    returns why that is impossible, or None."""
    if not sys.platform.startswith("linux"):
        return f"hologram-cuda supports Linux only (this is {sys.platform})"
    if not Path(library_path()).is_file():
        return (f"{_LIBRARY} is missing from {Path(library_path()).parent}: this hologram-cuda was "
                "installed without its compiled library; reinstall it from a wheel")
    paths = nvidia_libraries()
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        return f"NVIDIA's CUDA libraries are not installed ({', '.join(missing)} not found): {_REMEDY}"
    for name, path in paths.items():
        if name not in _preloaded:
            try:
                _preloaded[name] = ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            except OSError as exc:
                return f"cannot load {path}: {exc}: reinstall with {_REMEDY}"
    return None


def backend() -> dict[str, Any]:
    """The ``hologram.backends`` entry: name, priority, library and version.

    When the backend cannot load here (no NVIDIA wheels, no library), the entry
    says so under ``unavailable`` and hologram lists the backend with that reason.
    """
    spec: dict[str, Any] = {"name": BACKEND_NAME, "priority": PRIORITY, "library": library_path(),
                            "version": __version__}
    reason = _preload()
    if reason:
        spec["unavailable"] = reason
    return spec


def set_tf32(executor: Any, enabled: bool = True) -> None:
    """Lets float32 GEMM on this CUDA executor use TF32 tensor cores (10-bit mantissa inputs).

    Off by default: float32 GEMM then rounds like float32 (as ``torch.matmul`` with
    ``torch.backends.cuda.matmul.allow_tf32 = False``). Affects ops queued afterwards.

    Raises:
        ValueError: ``executor`` is not an open executor of the CUDA backend.
    """
    from hologram._core import ffi, lib

    if getattr(executor, "backend", None) != BACKEND_NAME or getattr(executor, "closed", True):
        raise ValueError(f"set_tf32 needs an open executor of the {BACKEND_NAME!r} backend, got {executor!r}")
    ctx = lib.hg_executor_backend_context(executor._h)
    if ctx == ffi.NULL:
        raise ValueError(f"{executor!r} has no backend context")
    cdll = ctypes.CDLL(library_path())
    cdll.hg_cuda_set_tf32.argtypes = [ctypes.c_void_p, ctypes.c_int]
    cdll.hg_cuda_set_tf32.restype = ctypes.c_int
    if cdll.hg_cuda_set_tf32(int(ffi.cast("uintptr_t", ctx)), int(bool(enabled))) != 0:
        raise ValueError("the CUDA backend refused to change its math mode")
