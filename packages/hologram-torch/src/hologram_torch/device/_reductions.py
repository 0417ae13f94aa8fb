"""Reductions (sum, mean over any dims; max, min of all elements) and the MSE loss.

hologram reduces all elements or the last axis. A reduction over other
dims is brought to that form: over leading dims (the bias gradient of
``Linear`` sums over dim 0) it is a gemm with a vector of ones (column
sums); over any other set the reduced dims are permuted to the end first
(one contiguous copy of the input, then a row reduction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from hologram import ops
from hologram_torch.device._common import (
    Call,
    aten,
    buffer,
    check_same_device,
    decline,
    executor,
    float_dtype_why,
    is_float_device,
    out_ok,
    result,
    scalar_value,
)
from hologram_torch.device._registry import kernel

__all__: list[str] = []



def _dims(dim: Sequence[int] | int | None, ndim: int) -> list[int]:
    """The reduced dims, normalised and sorted (all of them for None or [])."""
    if dim is None:
        return list(range(ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    if not dims:
        return list(range(ndim))
    size = max(ndim, 1)
    normalised = set()
    for d in dims:
        if not -size <= d < size:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {d})")
        normalised.add(d % size)
    if len(normalised) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return sorted(normalised) if ndim else []


def _reduce(call: Call, mean: bool, self: torch.Tensor, dim: Any, keepdim: bool, dtype: torch.dtype | None,
            out: torch.Tensor | None) -> torch.Tensor:
    check_same_device(call[0]._schema.name, self, out)
    if not is_float_device(self) or (dtype is not None and dtype != self.dtype) or not out_ok(out, self.dtype):
        return decline(*call, float_dtype_why(self) if not is_float_device(self) else "dtype= or out= of another "
                       "dtype")  # type: ignore[no-any-return]
    dims = _dims(dim, self.dim())
    kept = [d for d in range(self.dim()) if d not in dims]
    shape = tuple(1 if d in dims else n for d, n in enumerate(self.shape)) if keepdim else tuple(
        self.shape[d] for d in kept)
    if self.numel() == 0:
        return decline(*call, "an empty tensor")  # type: ignore[no-any-return]
    ex = executor()
    rows = 1
    for d in dims:
        rows *= self.shape[d]
    cols = self.numel() // rows
    with result(out, shape, self) as (res, o):
        if not kept:
            (ops.mean if mean else ops.sum)(ex, buffer(self), out=o)
        elif dims == list(range(len(dims))):
            # Leading dims: column sums as ones(rows) @ x(rows, cols), written as x^T @ ones.
            ones = ex.allocate((rows, 1), o.dtype)
            ops.fill(ex, ones, 1.0)
            ops.gemm(ex, buffer(self, (rows, cols)), ones, o.reshape(cols, 1), trans_a=True,
                     alpha=1.0 / rows if mean else 1.0)
        else:
            # Reduced dims last (a contiguous copy unless they already are), then one row reduction.
            moved = self.permute(*kept, *dims)
            (ops.mean if mean else ops.sum)(ex, buffer(moved, (cols, rows)), axis=-1, out=o)
    return res


def _register_reduction(mean: bool) -> None:
    name = "mean" if mean else "sum"
    functional = "mean.dim" if mean else "sum.dim_IntList"
    out_name = "mean.out" if mean else "sum.IntList_out"
    f_op, o_op = aten(functional), aten(out_name)

    def f(self: torch.Tensor, dim: Any = None, keepdim: bool = False, *, dtype: torch.dtype | None = None
          ) -> torch.Tensor:
        call = (f_op, (self, dim, keepdim), {"dtype": dtype})
        return _reduce(call, mean, self, dim, keepdim, dtype, None)

    def o(self: torch.Tensor, dim: Any = None, keepdim: bool = False, *, dtype: torch.dtype | None = None,
          out: torch.Tensor) -> torch.Tensor:
        call = (o_op, (self, dim, keepdim), {"dtype": dtype, "out": out})
        return _reduce(call, mean, self, dim, keepdim, dtype, out)

    f.__name__ = f"{name}_kernel"
    kernel(functional)(f)
    kernel(out_name)(o)


_register_reduction(mean=False)
_register_reduction(mean=True)


def _extreme(call: Call, largest: bool, self: torch.Tensor) -> torch.Tensor:
    check_same_device(call[0]._schema.name, self)
    if not is_float_device(self) or self.numel() == 0:
        return decline(*call, float_dtype_why(self) if self.numel() else "an empty tensor")  # type: ignore[no-any-return]
    with result(None, (), self) as (res, o):
        (ops.max if largest else ops.min)(executor(), buffer(self), out=o)
    return res


@kernel("max")
def max_all(self: torch.Tensor) -> torch.Tensor:
    return _extreme((aten("max"), (self,), {}), True, self)


@kernel("min")
def min_all(self: torch.Tensor) -> torch.Tensor:
    return _extreme((aten("min"), (self,), {}), False, self)


# -- MSE loss --------------------------------------------------------------------------------------------------

_NONE, _MEAN, _SUM = 0, 1, 2


def _loss_operands(call: Call, a: Any, b: Any, out: torch.Tensor | None, reduction: int) -> str | None:
    check_same_device(call[0]._schema.name, a, b, out)
    if not is_float_device(a, b):
        return float_dtype_why(a, b)
    if a.shape != b.shape:
        return "target of another shape (torch broadcasts it with a warning)"
    if reduction not in (_NONE, _MEAN, _SUM):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return None if out_ok(out, a.dtype) else "out= of another dtype"


def _mse(call: Call, self: torch.Tensor, target: torch.Tensor, reduction: int, out: torch.Tensor | None
         ) -> torch.Tensor:
    why = _loss_operands(call, self, target, out, reduction)
    if why is not None or self.numel() == 0:
        return decline(*call, why or "an empty tensor")  # type: ignore[no-any-return]
    ex = executor()
    with result(out, self.shape if reduction == _NONE else (), self) as (res, o):
        a, b = buffer(self), buffer(target)
        if reduction == _MEAN:
            ops.mse_loss(ex, a, b, out=o)
        else:
            d = ops.sub(ex, a, b)
            ops.mul(ex, d, d, d if reduction == _SUM else o)
            if reduction == _SUM:
                ops.sum(ex, d, out=o)
    return res


@kernel("mse_loss")
def mse_loss(self: torch.Tensor, target: torch.Tensor, reduction: int = _MEAN) -> torch.Tensor:
    return _mse((aten("mse_loss"), (self, target, reduction), {}), self, target, reduction, None)


@kernel("mse_loss.out")
def mse_loss_out(self: torch.Tensor, target: torch.Tensor, reduction: int = _MEAN, *, out: torch.Tensor
                 ) -> torch.Tensor:
    return _mse((aten("mse_loss.out"), (self, target, reduction), {"out": out}), self, target, reduction, out)


def _mse_backward(call: Call, grad: torch.Tensor, self: torch.Tensor, target: torch.Tensor, reduction: int,
                  out: torch.Tensor | None) -> torch.Tensor:
    """``norm * (self - target) * grad``, ``norm`` = 2/N for the mean, else 2 (torch's formula)."""
    why = _loss_operands(call, self, target, out, reduction)
    g = scalar_value(grad) if isinstance(grad, torch.Tensor) and grad.dim() == 0 else None
    if why is None and g is None and not (is_float_device(grad, self) and grad.shape == self.shape):
        why = "a grad_output of another shape or dtype"
    if why is not None:
        return decline(*call, why)  # type: ignore[no-any-return]
    ex = executor()
    norm = 2.0 / self.numel() if reduction == _MEAN else 2.0
    with result(out, self.shape, self) as (res, o):
        d = ops.sub(ex, buffer(self), buffer(target), o)
        if g is not None:
            ops.mul_scalar(ex, d, norm * g, o)
        else:
            ops.mul_scalar(ex, ops.mul(ex, d, buffer(grad), o), norm, o)
    return res


@kernel("mse_loss_backward")
def mse_loss_backward(grad_output: torch.Tensor, self: torch.Tensor, target: torch.Tensor, reduction: int
                      ) -> torch.Tensor:
    call: Call = (aten("mse_loss_backward"), (grad_output, self, target, reduction), {})
    return _mse_backward(call, grad_output, self, target, reduction, None)


@kernel("mse_loss_backward.grad_input")
def mse_loss_backward_out(grad_output: torch.Tensor, self: torch.Tensor, target: torch.Tensor, reduction: int,
                          *, grad_input: torch.Tensor) -> torch.Tensor:
    call = (aten("mse_loss_backward.grad_input"), (grad_output, self, target, reduction),
            {"grad_input": grad_input})
    return _mse_backward(call, grad_output, self, target, reduction, grad_input)
