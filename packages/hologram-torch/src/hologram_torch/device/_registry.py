"""The table of aten kernels the 'hologram' device provides, and their installation.

Kernel modules decorate their functions with :func:`kernel`; that only
records them, so importing a kernel module works on any torch. :func:`install`
registers the whole table for the PrivateUse1 dispatch key once the device
is set up. The table's keys are what :data:`hologram_torch.device.NATIVE_OPS`
lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

__all__ = ["DISPATCH_KEY", "cpu_keys", "install", "kernel", "op_name", "registered_names"]

DISPATCH_KEY = "PrivateUse1"

F = TypeVar("F", bound=Callable[..., Any])

_KERNELS: dict[str, Callable[..., Any]] = {}
# Libraries must stay alive for their registrations to stay in force.
_LIBRARIES: list[torch.library.Library] = []

cpu_keys = torch._C.DispatchKeySet(torch._C.DispatchKey.CPU)


def kernel(*names: str) -> Callable[[F], F]:
    """Records ``fn`` as the 'hologram' kernel of each aten overload in ``names`` ("add.Tensor", "mm")."""

    def record(fn: F) -> F:
        for name in names:
            if name in _KERNELS:
                raise RuntimeError(f"hologram: two kernels for aten::{name}")
            _KERNELS[name] = fn
        return fn

    return record


def registered_names() -> tuple[str, ...]:
    """``aten::name.overload`` of every recorded kernel, sorted."""
    return tuple(sorted(f"aten::{name[:-8] if name.endswith('.default') else name}" for name in _KERNELS))


def op_name(op: torch._ops.OpOverload) -> str:
    """``aten::name.overload`` (``aten::name`` for the default overload), as warnings and NATIVE_OPS spell it."""
    schema = op._schema
    return f"{schema.name}.{schema.overload_name}" if schema.overload_name else schema.name


def install() -> None:
    """Registers every recorded kernel for PrivateUse1 (once; the caller guards that)."""
    lib = torch.library.Library("aten", "IMPL")
    for name, fn in _KERNELS.items():
        lib.impl(name, fn, DISPATCH_KEY)
    _LIBRARIES.append(lib)


def install_fallback(fn: Callable[..., Any]) -> None:
    """Registers ``fn(op, *args, **kwargs)`` as the PrivateUse1 fallback of every other op."""
    lib = torch.library.Library("_", "IMPL")
    lib.fallback(fn, DISPATCH_KEY)
    _LIBRARIES.append(lib)
