"""CPU tensors over a 'hologram' tensor's memory, and the way back.

The device's memory is host memory, so any 'hologram' tensor has a CPU twin
with the same bytes, sizes, strides and offset: :func:`cpu_view`. The copy
kernels and the CPU fallback work through these twins; :func:`hologram_view`
turns a CPU view of a 'hologram' storage back into a 'hologram' tensor.
"""

from __future__ import annotations

from typing import Any

import torch

from hologram_torch.device import _storage
from hologram_torch.device._registry import cpu_keys

__all__ = ["cpu_storage_ptr", "cpu_view", "hologram_view", "is_hologram", "to_hologram"]


def is_hologram(x: Any) -> bool:
    """True for a tensor on the 'hologram' device."""
    return isinstance(x, torch.Tensor) and x.device.type == "hologram"


def _cpu_storage(t: torch.Tensor) -> torch.UntypedStorage:
    """A CPU storage over the same bytes as ``t``'s storage (made once, kept on the storage object)."""
    storage: Any = t.untyped_storage()
    cpu = getattr(storage, "_hologram_cpu", None)
    if cpu is None:
        # from_numpy keeps the NumPy view (and with it its pin) alive for as long as the CPU storage lives.
        cpu = torch.from_numpy(_storage.host_bytes(storage)).untyped_storage()
        storage._hologram_cpu = cpu
    return cpu  # type: ignore[no-any-return]


def cpu_view(t: torch.Tensor) -> torch.Tensor:
    """A CPU tensor sharing ``t``'s memory, with ``t``'s dtype, sizes, strides and offset (any dtype)."""
    _storage.buffer_of(t)  # a clear error for a 'hologram' tensor that hologram_torch did not make
    out = torch.empty(0, dtype=t.dtype)
    return out.set_(_cpu_storage(t), t.storage_offset(), t.size(), t.stride())


def cpu_storage_ptr(t: torch.Tensor) -> int:
    """The data pointer of ``t``'s storage (the same for a 'hologram' tensor and its CPU twin)."""
    return int(t.untyped_storage().data_ptr())


def hologram_view(base: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A 'hologram' tensor on ``base``'s storage with ``like``'s dtype, sizes, strides and offset."""
    if like.dtype == base.dtype:
        return torch.ops.aten.as_strided.default.redispatch(
            cpu_keys, base, like.size(), like.stride(), like.storage_offset())
    # A view that reinterprets the dtype (view(dtype)): rebuild the tensor on the same storage.
    out = torch._C._acc.create_empty_tensor((0,), like.dtype)
    return torch.ops.aten.set_.source_Storage_storage_offset.redispatch(
        cpu_keys, out, base.untyped_storage(), like.storage_offset(), like.size(), like.stride())


def to_hologram(cpu: torch.Tensor) -> torch.Tensor:
    """A new 'hologram' tensor holding a copy of a CPU tensor (its strides kept when they are dense)."""
    stride = tuple(cpu.stride()) if _is_dense(cpu) else None
    out = _storage.empty(tuple(cpu.shape), cpu.dtype, stride)
    cpu_view(out).copy_(cpu)
    return out


def _is_dense(t: torch.Tensor) -> bool:
    """True when ``t``'s elements fill its extent exactly once (contiguous in some dimension order)."""
    expected = 1
    for stride, size in sorted((s, d) for d, s in zip(t.shape, t.stride(), strict=True) if d != 1):
        if stride != expected:
            return False
        expected *= size
    return True
