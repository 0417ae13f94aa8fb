"""Softmax and log-softmax over the last dimension, forward and backward.

hologram's softmax ops work on rows (the last axis); another ``dim`` goes
to the CPU fallback. The backward formulas need a per-row sum spread back
over its row; :func:`spread_rows` does that with a rank-1 gemm
(``s @ ones``), which is exact (each output is one product by 1.0).
"""

from __future__ import annotations

import torch

from hologram import ops
from hologram_torch._bridge import rows_cols
from hologram_torch.device._common import (
    Buf,
    Call,
    aten,
    broadcast,
    buffer,
    check_same_device,
    decline,
    executor,
    float_dtype_why,
    is_float_device,
    out_ok,
    result,
)
from hologram_torch.device._registry import kernel

__all__ = ["spread_rows"]



def spread_rows(values: Buf, rows: int, cols: int) -> Buf:
    """A (rows, cols) buffer whose row ``i`` is ``values[i]`` everywhere (``values @ ones(1, cols)``)."""
    ex = executor()
    ones = ex.allocate((1, cols), values.dtype)
    ops.fill(ex, ones, 1.0)
    return ops.gemm(ex, values.reshape(rows, 1), ones)


def _why_not_last(dim: int, ndim: int) -> str | None:
    last = max(ndim, 1) - 1
    if dim % max(ndim, 1) != last:
        return f"dim={dim}; native: the last dim"
    return None


def _forward(call: Call, log: bool, self: torch.Tensor, dim: int, half_to_float: bool,
             out: torch.Tensor | None) -> torch.Tensor:
    check_same_device(call[0]._schema.name, self, out)
    why = (float_dtype_why(self) if not is_float_device(self) else
           "half_to_float" if half_to_float else _why_not_last(dim, self.dim()) or
           (None if out_ok(out, self.dtype) else "out= of another dtype"))
    if why is not None or self.numel() == 0:
        return decline(*call, why or "an empty tensor")  # type: ignore[no-any-return]
    with result(out, self.shape, self) as (res, o):
        rows, cols = rows_cols(self.shape)
        a = buffer(self, (rows, cols))
        (ops.log_softmax if log else ops.softmax)(executor(), a, o)
    return res


def _backward(call: Call, log: bool, grad: torch.Tensor, output: torch.Tensor, dim: int,
              input_dtype: torch.dtype, out: torch.Tensor | None) -> torch.Tensor:
    """softmax: ``y * (g - sum(g * y))``; log-softmax: ``g - exp(y) * sum(g)`` (sums over each row)."""
    check_same_device(call[0]._schema.name, grad, output, out)
    why = (float_dtype_why(grad, output) if not is_float_device(grad, output) else
           "input_dtype" if input_dtype != grad.dtype else _why_not_last(dim, grad.dim()) or
           (None if out_ok(out, grad.dtype) else "out= of another dtype"))
    if why is not None or grad.numel() == 0:
        return decline(*call, why or "an empty tensor")  # type: ignore[no-any-return]
    shape, (g_t, y_t) = broadcast(call[0]._schema.name, grad, output)
    ex = executor()
    rows, cols = rows_cols(shape)
    with result(out, shape, grad) as (res, o):
        g, y = buffer(g_t, (rows, cols)), buffer(y_t, (rows, cols))
        if log:
            row_sums = spread_rows(ops.sum(ex, g, axis=-1), rows, cols)
            ops.sub(ex, g, ops.mul(ex, ops.exp(ex, y), row_sums, row_sums), o)
        else:
            gy = ops.mul(ex, g, y)
            row_sums = spread_rows(ops.sum(ex, gy, axis=-1), rows, cols)
            ops.mul(ex, y, ops.sub(ex, g, row_sums, row_sums), o)
    return res


def _register(log: bool) -> None:
    name = "_log_softmax" if log else "_softmax"
    f_op, o_op = aten(name), aten(f"{name}.out")

    def f(self: torch.Tensor, dim: int, half_to_float: bool) -> torch.Tensor:
        return _forward((f_op, (self, dim, half_to_float), {}), log, self, dim, half_to_float, None)

    def o(self: torch.Tensor, dim: int, half_to_float: bool, *, out: torch.Tensor) -> torch.Tensor:
        return _forward((o_op, (self, dim, half_to_float), {"out": out}), log, self, dim, half_to_float, out)

    kernel(name)(f)
    kernel(f"{name}.out")(o)

    back = f"{name}_backward_data"
    b_op, bo_op = aten(back), aten(f"{back}.out")
    out_kw = "out" if log else "grad_input"  # the two schemas name their out= argument differently

    def b(grad_output: torch.Tensor, output: torch.Tensor, dim: int, input_dtype: torch.dtype) -> torch.Tensor:
        call: Call = (b_op, (grad_output, output, dim, input_dtype), {})
        return _backward(call, log, grad_output, output, dim, input_dtype, None)

    def bo(grad_output: torch.Tensor, output: torch.Tensor, dim: int, input_dtype: torch.dtype,
           **kwargs: torch.Tensor) -> torch.Tensor:
        out = kwargs[out_kw]
        call = (bo_op, (grad_output, output, dim, input_dtype), {out_kw: out})
        return _backward(call, log, grad_output, output, dim, input_dtype, out)

    kernel(back)(b)
    kernel(f"{back}.out")(bo)


_register(log=False)
_register(log=True)
