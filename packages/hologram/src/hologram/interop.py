"""Zero-copy interop entry points: DLPack and NumPy arrays into buffers."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from hologram._core import lib
from hologram.buffer import Buffer
from hologram.errors import NotHostAddressableError
from hologram.executor import Executor

__all__ = ["default_executor", "from_dlpack", "from_numpy"]

_default: Executor | None = None
_default_lock = threading.Lock()


def default_executor() -> Executor:
    """A process-wide CPU executor, created on first use (for helpers without an ``exec``)."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = Executor(backend="cpu")
        return _default


def from_dlpack(obj: Any, executor: Executor | None = None) -> Buffer:
    """A buffer sharing memory with any DLPack producer (a torch CPU tensor, a NumPy array, ...).

    Memory on the executor's own device (a torch CUDA tensor or CuPy array
    on a CUDA executor) is used in place: the producer is given the
    executor's stream, so the buffer's ops run after the producer's pending
    work, and the producer's memory stays alive while the buffer uses it.
    Host memory is used in place (zero-copy) on host-addressable executors;
    the buffer keeps the producer's memory alive. An executor that cannot
    adopt host memory (device memory, ``not executor.host_addressable``)
    gets a new buffer holding a copy instead (one bulk copy; later writes
    to the producer are not seen). The producer's memory must be readable
    on the CPU: device memory of another library raises
    :class:`NotHostAddressableError`.
    """
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(
            f"from_dlpack needs a DLPack producer (an object with __dlpack__, such as a torch tensor "
            f"or NumPy array), got {type(obj).__name__}"
        )
    executor = executor or default_executor()
    if not executor.host_addressable and _on_device_of(obj, executor):
        # The producer's memory is on this executor's own device (a torch CUDA tensor on a
        # CUDA executor): adopted in place, ordered after the producer's work on its stream.
        from hologram.dlpack_device import import_capsule

        return import_capsule(obj, executor)
    try:
        array = np.from_dlpack(obj)
    except (BufferError, RuntimeError, TypeError) as exc:
        raise NotHostAddressableError(
            f"from_dlpack: cannot view {type(obj).__name__} on the CPU ({exc}); hologram takes host "
            "memory through DLPack: copy it to the host first (np.from_dlpack(obj, copy=True))"
        ) from exc
    if not executor.host_addressable:
        return executor.from_numpy(array)  # device memory: the one bulk copy in
    try:
        return executor.wrap(array)
    except NotHostAddressableError:
        # A host-memory backend without wrap_host cannot adopt the array: one bulk copy.
        return executor.from_numpy(array)


def _on_device_of(obj: Any, executor: Executor) -> bool:
    """True when ``obj``'s DLPack memory lives on ``executor``'s device and the backend adopts it."""
    if not executor._exports_device_memory:
        return False
    try:
        device = tuple(obj.__dlpack_device__())
    except (AttributeError, TypeError, ValueError):
        return False
    return device == (int(lib.hg_backend_dlpack_device_type(executor.backend_info.handle)), executor.device)


def from_numpy(array: Any, executor: Executor | None = None) -> Buffer:
    """A buffer sharing ``array``'s memory (zero-copy) on a CPU executor.

    Never copies: an executor that cannot use the array in place (device
    memory) raises :class:`NotHostAddressableError`; copy there with
    ``executor.from_numpy(array)`` (one bulk copy).
    """
    executor = executor or default_executor()
    if not executor.host_addressable:
        raise executor._cannot_wrap("hg.from_numpy")
    return executor.wrap(array)
