"""Creation kernels: empty tensors, fills, random numbers, reading one element.

``torch.zeros``/``ones``/``full``/``randn``/``rand`` are composites of
``empty`` and an in-place fill, so these kernels are all they need.

Random numbers come from torch's CPU generator, drawn straight into a CPU
view of the device memory: ``torch.manual_seed`` makes them reproducible and
a 'hologram' tensor gets exactly the numbers a CPU tensor of the same shape
would get.
"""

from __future__ import annotations

from typing import Any

import torch

import hologram
from hologram_torch.device import _host, _storage
from hologram_torch.device._common import FLOATS, check_device, executor
from hologram_torch.device._registry import kernel

__all__: list[str] = []


def _check_options(layout: Any, device: Any, pin_memory: Any) -> None:
    if layout not in (None, torch.strided):
        raise RuntimeError(f"hologram: the 'hologram' device holds strided tensors only, not {layout}")
    if pin_memory:
        raise RuntimeError("hologram: pin_memory is for CPU tensors; 'hologram' memory needs no pinning")
    check_device(device)


@kernel("empty.memory_format")
def empty(size: list[int], dtype: torch.dtype | None = None, layout: Any = None, device: Any = None,
          pin_memory: bool | None = None, memory_format: torch.memory_format | None = None) -> torch.Tensor:
    _check_options(layout, device, pin_memory)
    shape = tuple(int(d) for d in size)
    if memory_format in (None, torch.contiguous_format, torch.preserve_format):
        return _storage.empty(shape, dtype)
    # channels_last and friends: let torch compute the strides on a meta tensor (no memory).
    stride = torch.empty(shape, device="meta", memory_format=memory_format).stride()
    return _storage.empty(shape, dtype, tuple(stride))


@kernel("empty_strided")
def empty_strided(size: list[int], stride: list[int], dtype: torch.dtype | None = None, layout: Any = None,
                  device: Any = None, pin_memory: bool | None = None) -> torch.Tensor:
    _check_options(layout, device, pin_memory)
    return _storage.empty(tuple(int(d) for d in size), dtype, tuple(int(s) for s in stride))


def _fill(self: torch.Tensor, value: float | int | bool) -> torch.Tensor:
    if self.numel() == 0:
        return self
    if self.dtype in FLOATS and self.is_contiguous():
        whole = _storage.whole_buffer(self)
        if whole is not None:
            hologram.ops.fill(executor(), whole, float(value))
            return self
    # A slice, a strided view or a non-float dtype: a plain store into the host memory.
    _host.cpu_view(self).fill_(value)
    return self


@kernel("fill_.Scalar")
def fill_scalar(self: torch.Tensor, value: float | int | bool) -> torch.Tensor:
    return _fill(self, value)


@kernel("fill_.Tensor")
def fill_tensor(self: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    if value.dim() != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
    return _fill(self, (_host.cpu_view(value) if _host.is_hologram(value) else value).item())


@kernel("zero_")
def zero_(self: torch.Tensor) -> torch.Tensor:
    return _fill(self, 0)


@kernel("normal_")
def normal_(self: torch.Tensor, mean: float = 0.0, std: float = 1.0,
            generator: torch.Generator | None = None) -> torch.Tensor:
    _host.cpu_view(self).normal_(mean, std, generator=generator)
    return self


@kernel("uniform_")
def uniform_(self: torch.Tensor, from_: float = 0.0, to: float = 1.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
    _host.cpu_view(self).uniform_(from_, to, generator=generator)
    return self


@kernel("bernoulli_.float")
def bernoulli_(self: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    _host.cpu_view(self).bernoulli_(p, generator=generator)
    return self


@kernel("_local_scalar_dense")
def local_scalar_dense(self: torch.Tensor) -> float | int | bool | complex:
    # tensor.item(): one element read from host memory.
    return _host.cpu_view(self).item()
