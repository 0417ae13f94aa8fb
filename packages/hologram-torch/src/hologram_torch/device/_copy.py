"""Copy kernels: CPU <-> 'hologram' and 'hologram' <-> 'hologram'.

``tensor.to('hologram')``, ``.cpu()``, ``copy_`` and ``torch.tensor(...,
device='hologram')`` all end in ``aten::_copy_from``. Contiguous float copies
on the device are one hologram copy; everything else (strides, dtype
conversion, broadcasting, CPU tensors) is torch's CPU copy between CPU views
of the same memory, which honours strides exactly as a CPU copy does.
"""

from __future__ import annotations

import torch

import hologram
from hologram_torch.device import _host
from hologram_torch.device._common import FLOATS, buffer, executor
from hologram_torch.device._registry import kernel

__all__: list[str] = []


def _cpu(t: torch.Tensor) -> torch.Tensor:
    if _host.is_hologram(t):
        return _host.cpu_view(t)
    if t.device.type != "cpu":
        raise RuntimeError(
            f"hologram: cannot copy between {t.device} and the 'hologram' device; go through the CPU "
            "(tensor.cpu()) first"
        )
    return t


@kernel("_copy_from")
def copy_from(self: torch.Tensor, dst: torch.Tensor, non_blocking: bool = False) -> torch.Tensor:
    src = self
    if (_host.is_hologram(src) and _host.is_hologram(dst) and src.dtype == dst.dtype and src.dtype in FLOATS
            and src.shape == dst.shape and src.is_contiguous() and dst.is_contiguous() and src.numel()
            # Views of one storage may overlap; torch's CPU copy handles that, a plain copy might not.
            and _host.cpu_storage_ptr(src) != _host.cpu_storage_ptr(dst)):
        hologram.ops.copy(executor(), buffer(src), buffer(dst))
        return dst
    _cpu(dst).copy_(_cpu(src))
    return dst


@kernel("_copy_from_and_resize")
def copy_from_and_resize(self: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    dst.resize_(self.shape)
    return copy_from(self, dst)
