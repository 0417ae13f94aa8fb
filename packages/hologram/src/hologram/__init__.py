"""Hologram: compute acceleration for Python.

A native C core runs the ops; buffers share memory with NumPy, DLPack and
PyTorch without copying; backends (the built-in CPU, CUDA, Metal, or any
third-party plugin) are discovered through entry points.

    >>> import hologram as hg, numpy as np
    >>> with hg.Executor(backend="cpu") as exec:
    ...     a = exec.from_numpy(np.arange(4, dtype=np.float32))
    ...     c = hg.ops.add(exec, a, a)
    ...     c.to_numpy().tolist()
    [0.0, 2.0, 4.0, 6.0]
"""

from __future__ import annotations

from hologram import hostcall, ops
from hologram import lowlevel as _lowlevel
from hologram.buffer import Buffer
from hologram.discovery import BackendInfo, backends, get_default_backend, is_available
from hologram.dtypes import DType, float32, float64
from hologram.errors import (
    ABIMismatchError,
    BackendError,
    BackendLoadError,
    BackendUnavailableError,
    ClosedError,
    DTypeError,
    ExecutorMismatchError,
    HologramError,
    InternalError,
    InvalidArgumentError,
    NotHostAddressableError,
    OutOfMemoryError,
    ReadOnlyError,
    ShapeError,
    UnsupportedOperationError,
)
from hologram.executor import Executor
from hologram.interop import default_executor, from_dlpack, from_numpy
from hologram.lowlevel import *  # noqa: F403  (the hologram-ffi functions; typed in lowlevel.pyi)

__version__ = "0.1.0"


def is_cuda_available() -> bool:
    """True when the CUDA backend is installed and finds a usable GPU."""
    return is_available("cuda")


def is_metal_available() -> bool:
    """True when the Metal backend is installed and usable (Apple Silicon)."""
    return is_available("metal")


__all__ = [
    "ABIMismatchError", "BackendError", "BackendInfo", "BackendLoadError", "BackendUnavailableError",
    "Buffer", "ClosedError", "DType", "DTypeError", "Executor", "ExecutorMismatchError", "HologramError",
    "InternalError", "InvalidArgumentError", "NotHostAddressableError", "OutOfMemoryError", "ReadOnlyError",
    "ShapeError", "UnsupportedOperationError", "__version__", "backends", "default_executor", "float32",
    "float64", "from_dlpack", "from_numpy", "get_default_backend", "hostcall", "is_cuda_available",
    "is_metal_available", "ops", *_lowlevel.__all__,
]
