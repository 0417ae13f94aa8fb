"""Torch tensors as hologram operands, without copying.

Every kernel of :mod:`hologram_torch` goes through this module. The
``hologram::`` ops hand tensor addresses (``data_ptr()``) to
:mod:`hologram.hostcall`, so the op reads the inputs in place and writes
straight into the tensor it returns (:func:`contiguous`, :func:`empty`);
the device kernels use :class:`hologram.Buffer` objects that share the
tensors' memory (:func:`as_buffer`, :func:`new_output`).

* CPU tensors: contiguous ones are used in place (``tensor.numpy()`` is a
  view, ``Executor.wrap`` adopts it); non-contiguous ones are made
  contiguous once.
* ``'hologram'`` device tensors: their storage *is* a hologram buffer
  (:mod:`hologram_torch.device._storage`); the same route applies to the
  host view of that buffer.

Executors cannot travel through a torch op schema, so the functional API
passes a small integer naming one (:func:`executor_id`); 0 is the default.
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
import weakref
from typing import Any

import numpy as np
import torch

import hologram

__all__ = [
    "as_buffer", "check_float", "contiguous", "default_executor", "dtype_name", "empty", "executor_for",
    "executor_id", "new_output", "rows_cols",
]

_FLOAT_DTYPES = (torch.float32, torch.float64)

_lock = threading.Lock()
_ids = itertools.count(1)
_by_id: dict[int, weakref.ref[hologram.Executor]] = {}
_id_of: weakref.WeakKeyDictionary[hologram.Executor, int] = weakref.WeakKeyDictionary()
_default: hologram.Executor | None = None


def default_executor() -> hologram.Executor:
    """The executor that hologram-torch uses when none is given: a CPU executor created on first use."""
    global _default
    executor = _default
    if executor is not None and not executor.closed:  # every op call asks: no lock on this path
        return executor
    with _lock:
        if _default is None or _default.closed:
            _default = hologram.Executor(backend="cpu")
        return _default


def executor_id(executor: hologram.Executor | None) -> int:
    """The integer that names ``executor`` inside a ``hologram::`` op call (0: the default)."""
    if executor is None:
        return 0
    if not isinstance(executor, hologram.Executor):
        raise TypeError(
            f"expected a hologram.Executor (or None for the default one), got {type(executor).__name__}"
        )
    with _lock:
        key = _id_of.get(executor)
        if key is None:
            # Checked once per executor (ids are cached): kernels hand tensors' data_ptr() to the core.
            if not executor.host_addressable:
                raise hologram.NotHostAddressableError(
                    f"hologram-torch runs its kernels on torch tensors' memory in place, which needs an "
                    f"executor whose memory the CPU addresses; {executor.backend!r} keeps its memory on a "
                    "device: pass a 'cpu' executor (or none, for the default one)"
                )
            key = next(_ids)
            _id_of[executor] = key
            _by_id[key] = weakref.ref(executor, functools.partial(_forget, key))
        return key


def _forget(key: int, _ref: object) -> None:
    _by_id.pop(key, None)


def executor_for(key: int) -> hologram.Executor:
    """The executor an integer from :func:`executor_id` names."""
    if key == 0:
        return default_executor()
    ref = _by_id.get(key)
    executor = ref() if ref is not None else None
    if executor is None:
        raise hologram.ClosedError(
            "the hologram.Executor this op was called with no longer exists; keep it alive while its ops run"
        )
    return executor


def check_float(op: str, **tensors: Any) -> None:
    """Raises a clear error unless every named argument is a float32/float64 tensor of one dtype, all
    on one device: the CPU, the 'hologram' device or 'meta' (for tracing). ``None`` values are skipped.
    """
    try:  # the common case, checked cheaply: CPU tensors of one float dtype
        dtype = None
        for t in tensors.values():
            if t is not None:
                if not t.is_cpu or (dtype is not None and t.dtype is not dtype):
                    break
                dtype = t.dtype
        else:
            if dtype in _FLOAT_DTYPES:
                return
    except AttributeError:
        pass
    _check_float_slowly(op, tensors)


def _check_float_slowly(op: str, tensors: dict[str, Any]) -> None:
    dtype = None
    for name, t in tensors.items():
        if t is None:
            continue
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"hologram_torch.{op}: {name!r} must be a torch.Tensor, got {type(t).__name__}")
        if t.dtype not in _FLOAT_DTYPES:
            raise hologram.DTypeError(
                f"hologram_torch.{op}: {name!r} is {t.dtype}; hologram ops take torch.float32 or "
                f"torch.float64 (convert with {name}.float() or {name}.double())"
            )
        if t.device.type not in ("cpu", "hologram", "meta"):
            raise hologram.InvalidArgumentError(
                f"hologram_torch.{op}: {name!r} is on {t.device}; hologram ops take CPU tensors or "
                f"'hologram' device tensors (move it with {name}.cpu())"
            )
        if dtype is None:
            dtype = t.dtype
        elif t.dtype != dtype:
            raise hologram.DTypeError(
                f"hologram_torch.{op}: arguments mix {dtype} and {t.dtype}; convert one so both match"
            )
    devices = {t.device for t in tensors.values() if t is not None}
    if len(devices) > 1:
        raise hologram.InvalidArgumentError(
            f"hologram_torch.{op}: tensors are on different devices ({', '.join(sorted(map(str, devices)))}); "
            "move them to one device first"
        )


_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}


def rows_cols(shape: tuple[int, ...] | torch.Size) -> tuple[int, int]:
    """(rows, cols) of a tensor seen as rows of its last dimension (a 0-dim tensor is one row of one)."""
    if not shape:
        return 1, 1
    return math.prod(shape[:-1]), shape[-1]


def dtype_name(t: torch.Tensor) -> str:
    """``"float32"`` or ``"float64"``: the dtype argument of :mod:`hologram.hostcall`."""
    return _DTYPE_NAMES[t.dtype]


def contiguous(t: torch.Tensor) -> torch.Tensor:
    """``t`` itself when contiguous (its memory is used in place), else one contiguous copy."""
    return t if t.is_contiguous() else t.contiguous()


def empty(shape: tuple[int, ...] | torch.Size, like: torch.Tensor) -> torch.Tensor:
    """A new contiguous tensor of ``shape`` on ``like``'s device (CPU or 'hologram'), with its dtype."""
    # new_empty with a plain tuple: a torch.Size argument costs torch twice as much to parse.
    return like.new_empty(tuple(shape))


def empty_like(t: torch.Tensor) -> torch.Tensor:
    """A new tensor like the contiguous ``t`` (the elementwise ops' output; cheaper than :func:`empty`)."""
    return torch.empty_like(t)


def _wrap_tensor(executor: hologram.Executor, t: torch.Tensor) -> hologram.Buffer:
    """A buffer over a contiguous CPU-addressable tensor's memory; the buffer keeps ``t`` alive."""
    return executor.wrap_address(t.data_ptr(), t.shape or (1,), _DTYPE_NAMES[t.dtype], owner=t)


def as_buffer(executor: hologram.Executor, t: torch.Tensor) -> hologram.Buffer:
    """A buffer of ``t``'s elements in row-major order, sharing ``t``'s memory when it is contiguous.

    A non-contiguous tensor is made contiguous once (the only copy this
    bridge ever makes). The buffer's shape is the tensor's shape.
    """
    if t.device.type == "hologram":
        from hologram_torch.device import _storage

        whole = _storage.whole_buffer(t) if t.is_contiguous() else None
        if whole is not None and whole.executor is executor:
            return whole
        array = _storage.host_array(t)
        return executor.wrap(np.ascontiguousarray(array).reshape(array.shape or (1,)))
    if not t.is_contiguous():
        t = t.contiguous()
    return _wrap_tensor(executor, t)


def new_output(executor: hologram.Executor, shape: tuple[int, ...] | torch.Size, like: torch.Tensor
               ) -> tuple[torch.Tensor, hologram.Buffer]:
    """A new tensor on ``like``'s device and dtype and a buffer that writes into it."""
    if like.device.type == "hologram":
        from hologram_torch.device import _storage

        out = _storage.empty(tuple(shape), like.dtype)
        return out, _storage.whole_buffer(out)  # type: ignore[return-value]
    out = torch.empty(shape, dtype=like.dtype)
    return out, _wrap_tensor(executor, out)
