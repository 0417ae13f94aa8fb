"""The CPU fallback: every aten op without a 'hologram' kernel runs on the CPU, in place.

The device's memory is host memory, so an op without a native kernel needs
no copies in: each 'hologram' tensor argument becomes a CPU tensor over the
same bytes (:func:`~hologram_torch.device._host.cpu_view`), the CPU kernel
runs, and each result goes back to the device:

* a result that shares an argument's memory (in-place and ``out=`` ops,
  views) is returned as the argument itself or as a 'hologram' view of the
  same storage with the same strides and offset, so aliasing is kept;
* any other result is copied into a new 'hologram' tensor.

The first fallback of each op warns (``warnings.warn``) naming the op;
``HOLOGRAM_TORCH_STRICT=1`` makes it an error instead (read at each call, so
it can be switched on and off at run time). The ops torch's tensor printing
runs are display work, not compute, and run on the CPU without a word.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from typing import Any

import torch

from hologram_torch.device import _host
from hologram_torch.device._common import check_same_device
from hologram_torch.device._registry import cpu_keys, op_name

__all__ = ["STRICT_ENV", "fallback", "run_on_cpu", "strict"]

STRICT_ENV = "HOLOGRAM_TORCH_STRICT"

# Ops that legitimately take CPU tensors of any shape next to device tensors (as on CUDA: index
# tensors may live on the CPU).
_CPU_ARGS_OK = frozenset({
    "aten::index.Tensor", "aten::index.Tensor_out", "aten::index_put_", "aten::index_put",
    "aten::_index_put_impl_",
})
# Modules whose calls are display work: tensor printing runs isfinite, masked_select, ... on a copy.
_QUIET_MODULES = frozenset({"torch._tensor_str"})

_warned: set[str] = set()
_warned_lock = threading.Lock()


def strict() -> bool:
    """True when ``HOLOGRAM_TORCH_STRICT`` asks for errors instead of CPU fallbacks."""
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def _printing() -> bool:
    """True when the current call comes from torch's tensor printing (walks the Python stack)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") in _QUIET_MODULES:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _announce(name: str, why: str | None) -> None:
    detail = f" for these arguments ({why})" if why else ""
    if strict():
        raise NotImplementedError(
            f"hologram: {name} has no native kernel on the 'hologram' device{detail}, and "
            f"{STRICT_ENV} is set, so it is not run on the CPU. Unset {STRICT_ENV} to allow the CPU "
            f"fallback, or move the tensors to the CPU yourself (tensor.cpu())."
        )
    key = f"{name} ({why})" if why else name
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(
        f"hologram: {name} has no native kernel on the 'hologram' device{detail}; running it on the CPU "
        f"(set {STRICT_ENV}=1 to make this an error)",
        RuntimeWarning,
        stacklevel=_caller_level(),
    )


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside this package (the user's op)."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("hologram_torch.device"):
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    return level


def _check_devices(name: str, leaves: list[Any]) -> None:
    """Raises torch's kind of error when device tensors are mixed with CPU/meta/other tensors."""
    if name not in _CPU_ARGS_OK:
        check_same_device(name, *leaves)


def _flatten(args: Any) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flatten(a))
        else:
            out.append(a)
    return out


_Pairs = list[tuple[torch.Tensor, torch.Tensor]]  # (CPU tensor the op sees, 'hologram' tensor)
_CPU = torch.device("cpu")


def _to_cpu(x: Any, pairs: _Pairs, resizable: bool = False) -> Any:
    if isinstance(x, (list, tuple)):
        return type(x)(_to_cpu(v, pairs) for v in x)
    if isinstance(x, torch.device) and x.type == "hologram":
        return _CPU  # a factory op's device=: make it on the CPU (the result is moved over afterwards)
    if not _host.is_hologram(x):
        return x
    # An empty out= tensor is resized by the CPU kernel to the result's shape. A CPU view's memory
    # cannot grow, so the op writes into a CPU tensor that can; _sync_back moves the result over.
    view = torch.empty(0, dtype=x.dtype) if resizable and x.numel() == 0 else _host.cpu_view(x)
    pairs.append((view, x))
    return view


def _sync_back(pairs: _Pairs) -> None:
    """Carries what the CPU kernel did to its arguments' metadata over to the 'hologram' tensors.

    A stand-in (for an empty out= tensor) that the kernel resized: the device
    tensor is resized and gets the values. A CPU view the kernel restrided in
    place (an out= tensor of another shape that fit its storage): the device
    tensor gets the same sizes, strides and offset.
    """
    for view, device in pairs:
        if view.untyped_storage().data_ptr() != device.untyped_storage().data_ptr():
            if view.numel():
                device.resize_(view.shape)
                _host.cpu_view(device).copy_(view)
        elif (view.shape, view.stride(), view.storage_offset()) != (
                device.shape, device.stride(), device.storage_offset()):
            torch.ops.aten.set_.source_Storage_storage_offset.redispatch(
                cpu_keys, device, device.untyped_storage(), view.storage_offset(), view.shape, view.stride())


def _back(r: Any, pairs: _Pairs, storages: dict[int, torch.Tensor]) -> Any:
    if isinstance(r, (list, tuple)):
        return type(r)(_back(v, pairs, storages) for v in r)
    if not isinstance(r, torch.Tensor) or r.device.type != "cpu":
        return r
    for view, device in pairs:
        if r is view:
            return device  # the op returned an argument itself (in-place, out=): return the device tensor
    base = storages.get(_host.cpu_storage_ptr(r)) if r.untyped_storage().nbytes() else None
    if base is not None:
        return _host.hologram_view(base, r)  # a view of an argument's memory stays a view
    return _host.to_hologram(r)


def _written_kwargs(op: torch._ops.OpOverload) -> tuple[frozenset[int], frozenset[str]]:
    """Positions and names of the arguments ``op`` writes to and may resize (``out=``-style Tensors)."""
    positions, names = set(), set()
    for i, arg in enumerate(op._schema.arguments):
        info = arg.alias_info
        if info is not None and info.is_write and arg.kwarg_only and str(arg.type) == "Tensor":
            positions.add(i)
            names.add(arg.name)
    return frozenset(positions), frozenset(names)


def run_on_cpu(op: torch._ops.OpOverload, args: tuple[Any, ...], kwargs: dict[str, Any],
               why: str | None = None) -> Any:
    """Runs ``op`` on CPU twins of its 'hologram' arguments and brings the results back.

    ``why`` says why a native kernel declined (for the warning); None for ops with no native kernel.
    """
    name = op_name(op)
    _check_devices(name, _flatten(args) + _flatten(list(kwargs.values())))
    if not _printing():
        _announce(name, why)
    out_positions, out_names = _written_kwargs(op)
    pairs: _Pairs = []
    cpu_args = tuple(_to_cpu(a, pairs, i in out_positions) for i, a in enumerate(args))
    cpu_kwargs = {k: _to_cpu(v, pairs, k in out_names) for k, v in kwargs.items()}
    storages = {_host.cpu_storage_ptr(view): device for view, device in pairs if view.numel()}
    try:
        result = op(*cpu_args, **cpu_kwargs)
    except RuntimeError as exc:
        if "not resizable" not in str(exc):
            raise
        raise RuntimeError(
            f"hologram: {name} needs to resize an out= tensor on the 'hologram' device, which the CPU "
            "fallback cannot do in place; pass an out= tensor of the result's shape, or an empty one"
        ) from exc
    _sync_back(pairs)
    return _back(result, pairs, storages)


def fallback(op: torch._ops.OpOverload, *args: Any, **kwargs: Any) -> Any:
    """The PrivateUse1 fallback kernel (see the module docstring)."""
    return run_on_cpu(op, args, kwargs)
