"""Helpers the 'hologram' compute kernels share: operand checks, buffers, results, declining to the CPU.

A native kernel turns its tensor arguments into hologram buffers
(:func:`buffer`, zero-copy for contiguous tensors), writes its result into
a buffer that is the result tensor's memory (:func:`result`) and runs
hologram ops between them. Arguments it does not cover go to the CPU
fallback through :func:`decline`, which warns like any other fallback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

import hologram
from hologram_torch import _bridge
from hologram_torch.device import _host, _storage

__all__ = [
    "FLOATS", "Buf", "Call", "aten", "broadcast", "buffer", "check_device", "check_same_device", "decline", "executor", "float_dtype_why",
    "is_float_device", "mismatch_error", "result", "scalar_value", "scratch",
]

Buf = hologram.Buffer
#: An op call as a kernel received it (the overload, args, kwargs): what decline() hands to the CPU.
Call = tuple[torch._ops.OpOverload, tuple[Any, ...], dict[str, Any]]

FLOATS = (torch.float32, torch.float64)


def executor() -> hologram.Executor:
    """The executor of the device's buffers."""
    return _storage.executor()


class _LazyOverload:
    """An aten overload looked up on first use, so kernel modules import on any torch version."""

    __slots__ = ("_name", "_op")

    def __init__(self, name: str) -> None:
        self._name, self._op = name, None

    def resolve(self) -> torch._ops.OpOverload:
        if self._op is None:
            base, _, overload = self._name.partition(".")
            self._op = getattr(getattr(torch.ops.aten, base), overload or "default")
        return self._op  # type: ignore[return-value]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.resolve(), attr)


def aten(name: str) -> torch._ops.OpOverload:
    """The ``torch.ops.aten`` overload ``"add.Tensor"`` / ``"mm"`` (looked up when first used)."""
    return _LazyOverload(name)  # type: ignore[return-value]


def check_device(device: Any) -> None:
    """Raises a clear error for a device other than 'hologram:0' (the device has one index)."""
    if device is None:
        return
    device = torch.device(device)
    if device.type == "hologram" and device.index not in (None, 0):
        raise RuntimeError(
            f"hologram: there is one 'hologram' device, 'hologram:0'; {device} does not exist "
            "(torch.hologram.device_count() is 1)"
        )


def check_same_device(op: str, *tensors: Any) -> None:
    """Raises torch's kind of error when a tensor (other than a 0-dim CPU one) is not on 'hologram'."""
    for t in tensors:
        if isinstance(t, torch.Tensor) and not _host.is_hologram(t) and not (t.device.type == "cpu" and t.dim() == 0):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, hologram:0 "
                f"and {t.device}! ({op}: move the other tensor with .to('hologram') or this one with .cpu())"
            )


def is_float_device(*tensors: Any) -> bool:
    """True when every argument is a 'hologram' tensor of one float dtype (float32 or float64)."""
    dtype = None
    for t in tensors:
        if not _host.is_hologram(t) or t.dtype not in FLOATS:
            return False
        if dtype is None:
            dtype = t.dtype
        elif t.dtype != dtype:
            return False
    return True


def float_dtype_why(*tensors: Any) -> str:
    """Why :func:`is_float_device` said no (for the fallback warning)."""
    dtypes = sorted({str(t.dtype).replace("torch.", "") for t in tensors if isinstance(t, torch.Tensor)})
    if any(isinstance(t, torch.Tensor) and t.dtype not in FLOATS for t in tensors):
        return f"dtype {'/'.join(dtypes)}; native kernels take float32 and float64"
    return f"mixed dtypes {'/'.join(dtypes)}"


def mismatch_error(op: str, a: Sequence[int], b: Sequence[int]) -> RuntimeError:
    """The error for shapes that cannot broadcast, in torch's words."""
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            dim = max(len(a), len(b)) - i
            return RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                f"non-singleton dimension {dim} ({op})")
    return RuntimeError(f"{op}: shapes {tuple(a)} and {tuple(b)} do not match")


def broadcast(name: str, *tensors: torch.Tensor) -> tuple[tuple[int, ...], list[torch.Tensor]]:
    """The broadcast shape and each tensor expanded to it (stride-0 views; buffers materialise them).

    Raises torch's error for shapes that do not broadcast.
    """
    shapes = [tuple(t.shape) for t in tensors]
    if all(s == shapes[0] for s in shapes):  # the common case; torch.broadcast_shapes costs ~6 us
        return shapes[0], list(tensors)
    try:
        shape = tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        raise mismatch_error(name, shapes[0], next(s for s in shapes if s != shapes[0])) from None
    return shape, [t if tuple(t.shape) == shape else t.expand(shape) for t in tensors]


def scalar_value(x: Any) -> float | None:
    """``x`` as a Python float when it is a real number or a 0-dim real tensor, else None.

    A 0-dim 'hologram' tensor is read from its (host) memory.
    """
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, torch.Tensor) and x.dim() == 0 and x.device.type in ("cpu", "hologram"):
        if x.dtype.is_complex or x.dtype == torch.bool:
            return None
        return float((_host.cpu_view(x) if _host.is_hologram(x) else x).item())
    return None


def buffer(t: torch.Tensor, shape: tuple[int, ...] | None = None) -> hologram.Buffer:
    """A buffer of ``t``'s elements (zero-copy when ``t`` is contiguous), shaped like ``t`` or ``shape``."""
    buf = _bridge.as_buffer(executor(), t)
    return buf if shape is None or buf.shape == shape else buf.reshape(shape)


def scratch(like: hologram.Buffer, value: float | None = None) -> hologram.Buffer:
    """A temporary buffer shaped like ``like`` (filled with ``value`` when given)."""
    buf = executor().allocate(like.shape, like.dtype)
    if value is not None:
        hologram.ops.fill(executor(), buf, value)
    return buf


@contextmanager
def result(out: torch.Tensor | None, shape: tuple[int, ...] | torch.Size, like: torch.Tensor
           ) -> Iterator[tuple[torch.Tensor, hologram.Buffer]]:
    """The result tensor and a buffer whose writes land in it.

    ``out=None``: a new contiguous tensor like ``like``. Otherwise ``out``
    (the ``out=`` tensor, or ``self`` of an in-place op), resized first if it
    is empty or of another shape, as torch does; a strided ``out`` gets a
    contiguous scratch buffer, written back into its memory when the block
    ends.
    """
    shape = tuple(shape)
    if out is None:
        yield _bridge.new_output(executor(), shape, like)
        return
    if tuple(out.shape) != shape:
        out.resize_(shape)
    if out.is_contiguous():
        yield out, buffer(out)
        return
    tmp = buffer(out)  # as_buffer made a contiguous copy of the strided tensor
    yield out, tmp
    _storage.host_array(out)[...] = tmp.to_numpy().reshape(shape)


def out_ok(out: torch.Tensor | None, dtype: torch.dtype) -> bool:
    """True when ``out`` is absent or a 'hologram' tensor of ``dtype`` (what :func:`result` can write into)."""
    return out is None or (_host.is_hologram(out) and out.dtype == dtype)


def inplace_shape_error(op: str, self_shape: Sequence[int], shape: Sequence[int]) -> RuntimeError:
    return RuntimeError(f"output with shape {list(self_shape)} doesn't match the broadcast shape {list(shape)} "
                        f"({op})")


def decline(op: torch._ops.OpOverload, args: tuple[Any, ...], kwargs: dict[str, Any], why: str) -> Any:
    """Runs ``op`` through the CPU fallback because the native kernel does not cover these arguments."""
    from hologram_torch.device import _fallback

    return _fallback.run_on_cpu(op, args, kwargs, why)
