"""Storage of 'hologram' device tensors: a hologram buffer behind a torch storage.

A tensor on the ``'hologram'`` device has a real torch storage whose data
pointer is the memory of a :class:`hologram.Buffer`. The storage's Python
object holds the buffer (and a pin on its memory), and PyTorch keeps that
object alive for exactly as long as any tensor or view uses the storage, so
the memory cannot be freed under a live view — not even one that PyTorch
made in C++ (``detach``, ``.data``, autograd's saved tensors).

Because the tensor's sizes, strides and storage offset are ordinary torch
metadata, PyTorch's own view ops (``view``, ``t``, ``transpose``,
``expand``, slicing) work unchanged on it; kernels read the memory through
:func:`host_array`.

float32 and float64 tensors sit on a buffer of their own dtype, which the
native kernels hand to hologram ops. Tensors of any other dtype (the bool
masks and int64 indices that PyTorch makes along the way) keep their bytes in
a float64 buffer: they live on the device, but only the CPU fallback reads
them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

import hologram
from hologram_torch import _bridge

__all__ = ["buffer_of", "empty", "executor", "from_buffer", "host_array", "host_bytes", "new_storage",
           "whole_buffer"]

_CPU_KEYS = torch._C.DispatchKeySet(torch._C.DispatchKey.CPU)
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}
_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_RAW_ITEMSIZE = 8  # other dtypes keep their bytes in float64 elements (8-byte aligned for int64)


def executor() -> hologram.Executor:
    """The executor whose buffers back 'hologram' tensors (the default hologram-torch executor)."""
    return _bridge.default_executor()


def _device() -> torch.device:
    return torch.device("hologram", 0)


def _check_dtype(dtype: torch.dtype | None) -> torch.dtype:
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"expected a torch.dtype, got {type(dtype).__name__}")
    return dtype


class _Clone:
    """``storage.clone()`` for a 'hologram' storage (set on each storage object, shadowing torch's).

    A backend written in Python cannot give PrivateUse1 a C++ allocator, so
    torch's own ``UntypedStorage.clone`` (used by ``copy.deepcopy`` of a
    tensor and ``copy.copy`` of a storage) would ask for memory nobody can
    provide, and crash. This copies into a new hologram buffer instead. It
    holds the source *buffer*, not the storage, so it makes no reference
    cycle and the storage is freed as promptly as before.
    """

    __slots__ = ("_buf", "_nbytes")

    def __init__(self, buf: hologram.Buffer, nbytes: int) -> None:
        self._buf, self._nbytes = buf, nbytes

    def __call__(self) -> torch.UntypedStorage:
        out = new_storage(self._nbytes)
        src = self._buf.to_numpy().reshape(-1).view(np.uint8)
        host_bytes(out)[: self._nbytes] = src[: self._nbytes]
        return out


def host_bytes(storage: torch.UntypedStorage) -> np.ndarray:
    """A NumPy uint8 view of all the memory behind a 'hologram' storage (it holds a pin of its own)."""
    buf: Any = storage._hologram_buffer  # type: ignore[attr-defined]
    return buf.to_numpy().reshape(-1).view(np.uint8)  # type: ignore[no-any-return]


def _storage_over(buf: hologram.Buffer, nbytes: int | None = None) -> torch.UntypedStorage:
    """A 'hologram' storage of ``nbytes`` (default: all) of ``buf``'s memory, owning the buffer."""
    if not buf.executor.host_addressable:
        raise hologram.NotHostAddressableError(
            f"the 'hologram' torch device needs a backend whose memory the CPU can address; "
            f"{buf.executor.backend!r} is not (use the 'cpu' backend)"
        )
    # The pin keeps the memory valid for the storage's lifetime, even if buf.free() is called;
    # a bare pin costs 1 µs where a NumPy view of the buffer cost 3.
    pin, address = buf.host_pin()
    nbytes = buf.nbytes if nbytes is None else nbytes
    storage: Any = torch._C._construct_storage_from_data_pointer(address, _device(), nbytes)
    storage._hologram_buffer = buf
    storage._hologram_pin = pin
    storage.clone = _Clone(buf, nbytes)
    return storage  # type: ignore[no-any-return]


def new_storage(nbytes: int) -> torch.UntypedStorage:
    """A new, uninitialised 'hologram' storage of exactly ``nbytes`` bytes."""
    buf = executor().allocate(max(-(-int(nbytes) // _RAW_ITEMSIZE), 1), "float64")
    return _storage_over(buf, int(nbytes))


def from_buffer(buf: hologram.Buffer, shape: tuple[int, ...], stride: tuple[int, ...] | None = None,
                offset: int = 0, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A 'hologram' tensor over ``buf``'s memory with the given view metadata.

    ``dtype`` defaults to the buffer's; another dtype reinterprets the bytes
    (how tensors of dtypes other than float32/float64 are stored).
    """
    return _tensor_on(_storage_over(buf), shape, stride, offset, dtype or _TORCH_DTYPES[buf.dtype.name])


def _tensor_on(storage: torch.UntypedStorage, shape: tuple[int, ...], stride: tuple[int, ...] | None,
               offset: int, dtype: torch.dtype) -> torch.Tensor:
    if stride is None:
        stride = _contiguous_strides(shape)
    t = torch._C._acc.create_empty_tensor((0,), dtype)
    torch.ops.aten.set_.source_Storage_storage_offset.redispatch(
        _CPU_KEYS, t, storage, offset, list(shape), list(stride))
    return t


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


def empty(shape: tuple[int, ...] | torch.Size, dtype: torch.dtype | None = None,
          stride: tuple[int, ...] | None = None) -> torch.Tensor:
    """A new, uninitialised 'hologram' tensor (contiguous unless ``stride`` is given).

    float32/float64 tensors get a buffer of their dtype; any other dtype gets
    a float64 buffer big enough for its bytes.
    """
    dtype = _check_dtype(dtype)
    shape = tuple(int(d) for d in shape)
    if stride is None:
        stride = _contiguous_strides(shape)
        count = math.prod(shape)
    else:
        stride = tuple(int(s) for s in stride)
        # Elements the strided view can reach: 1 + sum((size - 1) * stride), 0 for an empty tensor.
        count = 0 if 0 in shape else 1 + sum((d - 1) * st for d, st in zip(shape, stride, strict=True))
    if dtype in _NUMPY_DTYPES:
        buf = executor().allocate(max(count, 1), "float32" if dtype == torch.float32 else "float64")
        return from_buffer(buf, shape, stride)
    return _tensor_on(new_storage(count * dtype.itemsize), shape, stride, 0, dtype)


def buffer_of(t: torch.Tensor) -> hologram.Buffer:
    """The hologram buffer behind a 'hologram' tensor's storage (the whole storage, not the view)."""
    buf: Any = getattr(t.untyped_storage(), "_hologram_buffer", None)
    if buf is None:
        raise hologram.InvalidArgumentError(
            f"this tensor on {t.device} has no hologram buffer behind it (was it made outside hologram_torch?)"
        )
    return buf  # type: ignore[no-any-return]


def whole_buffer(t: torch.Tensor) -> hologram.Buffer | None:
    """``t``'s buffer, shaped like ``t``, when ``t`` is contiguous and covers all of it; else None."""
    buf = buffer_of(t)
    if (t.dtype != _TORCH_DTYPES[buf.dtype.name] or t.storage_offset() != 0 or t.numel() != buf.size
            or not t.is_contiguous()):
        return None
    return buf.reshape(tuple(t.shape) or (1,)) if tuple(t.shape) != buf.shape else buf


def host_array(t: torch.Tensor) -> np.ndarray:
    """A NumPy view (same memory, same strides) of a 'hologram' tensor."""
    buf = buffer_of(t)
    flat = buf.to_numpy().reshape(-1)
    if t.dtype != _TORCH_DTYPES[buf.dtype.name]:
        try:
            flat = flat.view(torch.empty(0, dtype=t.dtype).numpy().dtype)
        except TypeError:
            raise hologram.DTypeError(
                f"NumPy has no dtype for {t.dtype}; read this 'hologram' tensor with .cpu()") from None
    itemsize = flat.itemsize
    return np.lib.stride_tricks.as_strided(
        flat[t.storage_offset():], shape=tuple(t.shape), strides=tuple(s * itemsize for s in t.stride()))
