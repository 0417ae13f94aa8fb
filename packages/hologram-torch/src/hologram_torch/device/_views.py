"""View and metadata kernels: torch's own CPU kernels, run on 'hologram' tensors.

A 'hologram' tensor has a real torch storage, so the CPU kernels of the view
ops (which only make a new tensor on the same storage with other sizes,
strides and offset) work on it unchanged and keep its device: each kernel
here redispatches to the CPU one. The other view ops (``t``, ``transpose``,
``expand``, slicing, ``select``, ``squeeze``, ...) are composites that end in
these. ``set_`` and ``resize_`` change metadata too; ``resize_`` grows the
storage with a new hologram buffer when it has to.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from hologram_torch.device import _host, _storage
from hologram_torch.device._common import aten
from hologram_torch.device._registry import cpu_keys, kernel

__all__: list[str] = []


def _redispatch_to_cpu(name: str) -> None:
    op = aten(name)

    def view_kernel(*args: Any, **kwargs: Any) -> Any:
        return op.redispatch(cpu_keys, *args, **kwargs)

    view_kernel.__name__ = view_kernel.__qualname__ = f"{name.replace('.', '_')}_kernel"
    view_kernel.__doc__ = f"aten::{name} on 'hologram' tensors: the CPU kernel (it only touches metadata)."
    kernel(name)(view_kernel)


for _name in ("view", "as_strided", "_reshape_alias", "unfold", "view_as_real", "view_as_complex",
              "set_.source_Storage", "set_.source_Storage_storage_offset", "set_.source_Tensor"):
    _redispatch_to_cpu(_name)


@kernel("set_")
def set_empty(self: torch.Tensor) -> torch.Tensor:
    # The CPU kernel would give the tensor a CPU storage; give it an empty hologram one instead.
    fresh = _storage.empty((0,), self.dtype)
    return torch.ops.aten.set_.source_Storage_storage_offset.redispatch(
        cpu_keys, self, fresh.untyped_storage(), 0, [0], [1])


@kernel("resize_")
def resize_(self: torch.Tensor, size: list[int], memory_format: torch.memory_format | None = None
            ) -> torch.Tensor:
    shape = tuple(int(d) for d in size)
    need = (self.storage_offset() + math.prod(shape)) * self.element_size()
    storage = self.untyped_storage()
    if need > storage.nbytes():
        # The storage is a fixed hologram buffer: move the tensor to a bigger one, keeping its bytes
        # (as torch's own resize_ does). Other views of the old storage keep the old memory.
        bigger = _storage.empty((int(-(-need // self.element_size())),), self.dtype)
        old = _host.cpu_view(self)
        old_bytes = torch.empty(0, dtype=torch.uint8).set_(old.untyped_storage())
        new_bytes = torch.empty(0, dtype=torch.uint8).set_(_host.cpu_view(bigger).untyped_storage())
        new_bytes[: old_bytes.numel()].copy_(old_bytes[: new_bytes.numel()])
        torch.ops.aten.set_.source_Storage_storage_offset.redispatch(
            cpu_keys, self, bigger.untyped_storage(), self.storage_offset(), list(self.shape), list(self.stride()))
    return torch.ops.aten.resize_.default.redispatch(cpu_keys, self, shape, memory_format=memory_format)
