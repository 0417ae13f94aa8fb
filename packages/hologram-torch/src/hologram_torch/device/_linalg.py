"""Matrix products: mm, addmm, bmm and the matrix-vector addmv (mv, ``w @ v``) as hologram gemm.

A transposed view of a contiguous matrix (``weight.t()`` in ``Linear``,
``input.t()`` in its weight gradient) is not copied: gemm reads the
contiguous original with its ``trans_*`` flag set. Other strided operands
are made contiguous once. ``addmm``'s ``self`` (the bias) is broadcast into
the result first (a copy), then gemm accumulates onto it with ``beta``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from hologram import ops
from hologram_torch.device import _host
from hologram_torch.device._common import (
    Buf,
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



def _matrix(t: torch.Tensor) -> tuple[Buf, bool]:
    """A 2-D operand for gemm: (buffer, transposed?) without copying a transposed contiguous matrix."""
    rows, cols = t.shape
    if not t.is_contiguous() and rows > 1 and cols > 1 and t.stride() == (1, rows):
        return buffer(t.t(), (cols, rows)), True
    return buffer(t, (rows, cols)), False


def _check_mm(name: str, a: torch.Tensor, b: torch.Tensor) -> None:
    if a.dim() != 2 or b.dim() != 2:
        raise RuntimeError(f"{name}: self must be a matrix" if a.dim() != 2 else f"{name}: mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")


def _product(a: torch.Tensor, b: torch.Tensor, o: Buf, alpha: float, beta: float) -> None:
    """``o = alpha * a @ b + beta * o`` for 2-D tensors and a (m, n) buffer."""
    ex = executor()
    m, n = a.shape[0], b.shape[1]
    o = o.reshape(m, n) if o.shape != (m, n) else o
    if a.shape[1] == 0:  # an empty inner dimension: the product is all zeros
        if beta == 0:
            ops.fill(ex, o, 0.0)
        elif beta != 1:
            ops.mul_scalar(ex, o, beta, o)
        return
    (ab, ta), (bb, tb) = _matrix(a), _matrix(b)
    ops.gemm(ex, ab, bb, o, trans_a=ta, trans_b=tb, alpha=alpha, beta=beta)


def _write_bias(bias: torch.Tensor, o: Buf, shape: tuple[int, ...]) -> None:
    """Broadcasts ``bias`` into the result buffer ``o``; gemm then adds the product onto it (``beta``)."""
    src = _host.cpu_view(bias) if _host.is_hologram(bias) else bias
    o.to_numpy().reshape(shape)[...] = np.broadcast_to(src.detach().numpy(), shape)


def _why(name: str, out: torch.Tensor | None, *tensors: Any) -> str | None:
    check_same_device(name, *tensors, out)
    if not is_float_device(*tensors):
        return float_dtype_why(*tensors)
    return None if out_ok(out, tensors[0].dtype) else "out= of another dtype"


def _mm(call: Call, self: torch.Tensor, mat2: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
    why = _why("mm", out, self, mat2)
    if why is not None:
        return decline(*call, why)  # type: ignore[no-any-return]
    _check_mm("mm", self, mat2)
    with result(out, (self.shape[0], mat2.shape[1]), self) as (res, o):
        if res.numel():
            _product(self, mat2, o, 1.0, 0.0)
    return res


@kernel("mm")
def mm(self: torch.Tensor, mat2: torch.Tensor) -> torch.Tensor:
    return _mm((aten("mm"), (self, mat2), {}), self, mat2, None)


@kernel("mm.out")
def mm_out(self: torch.Tensor, mat2: torch.Tensor, *, out: torch.Tensor) -> torch.Tensor:
    return _mm((aten("mm.out"), (self, mat2), {"out": out}), self, mat2, out)


def _addmm(call: Call, self: torch.Tensor, mat1: torch.Tensor, mat2: torch.Tensor, beta: Any, alpha: Any,
           out: torch.Tensor | None, inplace: bool) -> torch.Tensor:
    """``beta * self + alpha * mat1 @ mat2``."""
    check_same_device("addmm", self)
    why = _why("addmm", None if inplace else out, mat1, mat2)
    if why is None and self.dtype != mat1.dtype:
        why = float_dtype_why(self, mat1)
    b, a = scalar_value(beta), scalar_value(alpha)
    if why is not None or a is None or b is None:
        return decline(*call, why or "beta/alpha")  # type: ignore[no-any-return]
    _check_mm("addmm", mat1, mat2)
    shape = (mat1.shape[0], mat2.shape[1])
    try:
        if tuple(torch.broadcast_shapes(self.shape, shape)) != shape:
            raise RuntimeError
    except RuntimeError:
        raise RuntimeError(f"addmm: self of shape {tuple(self.shape)} does not broadcast to the product's "
                           f"shape {shape}") from None
    if inplace and tuple(self.shape) != shape:
        raise RuntimeError(f"addmm_: self has shape {tuple(self.shape)}, the product {shape}")
    with result(out, shape, mat1) as (res, o):
        if not res.numel():
            return res
        if b != 0 and not inplace:
            _write_bias(self, o, shape)
        _product(mat1, mat2, o, a, b)
    return res


@kernel("addmm")
def addmm(self: torch.Tensor, mat1: torch.Tensor, mat2: torch.Tensor, *, beta: Any = 1, alpha: Any = 1
          ) -> torch.Tensor:
    call = (aten("addmm"), (self, mat1, mat2), {"beta": beta, "alpha": alpha})
    return _addmm(call, self, mat1, mat2, beta, alpha, None, False)


@kernel("addmm_")
def addmm_(self: torch.Tensor, mat1: torch.Tensor, mat2: torch.Tensor, *, beta: Any = 1, alpha: Any = 1
           ) -> torch.Tensor:
    call = (aten("addmm_"), (self, mat1, mat2), {"beta": beta, "alpha": alpha})
    return _addmm(call, self, mat1, mat2, beta, alpha, self, True)


@kernel("addmm.out")
def addmm_out(self: torch.Tensor, mat1: torch.Tensor, mat2: torch.Tensor, *, beta: Any = 1, alpha: Any = 1,
              out: torch.Tensor) -> torch.Tensor:
    call = (aten("addmm.out"), (self, mat1, mat2), {"beta": beta, "alpha": alpha, "out": out})
    return _addmm(call, self, mat1, mat2, beta, alpha, out, out is self)


def _addmv(call: Call, self: torch.Tensor | None, mat: torch.Tensor, vec: torch.Tensor, beta: Any, alpha: Any,
           out: torch.Tensor | None, inplace: bool) -> torch.Tensor:
    """``beta * self + alpha * mat @ vec`` (``self`` None: ``mv``), the vector as a one-column matrix."""
    name = "mv" if self is None else "addmv"
    check_same_device(name, *(t for t in (self,) if t is not None))
    why = _why(name, None if inplace else out, mat, vec)
    if why is None and self is not None and self.dtype != mat.dtype:
        why = float_dtype_why(self, mat)
    b, a = (0.0, 1.0) if self is None else (scalar_value(beta), scalar_value(alpha))
    if why is not None or a is None or b is None:
        return decline(*call, why or "beta/alpha")  # type: ignore[no-any-return]
    if mat.dim() != 2 or vec.dim() != 1 or (self is not None and self.dim() > 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {1 if self is None else self.dim()}, "
                           f"{mat.dim()}, {vec.dim()}")
    shape = (mat.shape[0],)
    if mat.shape[1] != vec.shape[0] or (self is not None and self.numel() not in (1, shape[0])):
        size = shape[0] if self is None or self.dim() == 0 else self.shape[0]
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({mat.shape[0]}x{mat.shape[1]}), "
                           f"vec ({vec.shape[0]})")
    if inplace and self is not None and tuple(self.shape) != shape:
        raise RuntimeError(f"addmv_: self has shape {tuple(self.shape)}, the product {shape}")
    with result(out, shape, mat) as (res, o):
        if not res.numel():
            return res
        if self is not None and b != 0 and not inplace:
            _write_bias(self, o, shape)
        _product(mat, vec.unsqueeze(1), o.reshape(shape[0], 1), a, b)
    return res


@kernel("mv")
def mv(self: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    return _addmv((aten("mv"), (self, vec), {}), None, self, vec, 0, 1, None, False)


@kernel("mv.out")
def mv_out(self: torch.Tensor, vec: torch.Tensor, *, out: torch.Tensor) -> torch.Tensor:
    return _addmv((aten("mv.out"), (self, vec), {"out": out}), None, self, vec, 0, 1, out, False)


@kernel("addmv")
def addmv(self: torch.Tensor, mat: torch.Tensor, vec: torch.Tensor, *, beta: Any = 1, alpha: Any = 1
          ) -> torch.Tensor:
    call = (aten("addmv"), (self, mat, vec), {"beta": beta, "alpha": alpha})
    return _addmv(call, self, mat, vec, beta, alpha, None, False)


@kernel("addmv_")
def addmv_(self: torch.Tensor, mat: torch.Tensor, vec: torch.Tensor, *, beta: Any = 1, alpha: Any = 1
           ) -> torch.Tensor:
    call = (aten("addmv_"), (self, mat, vec), {"beta": beta, "alpha": alpha})
    return _addmv(call, self, mat, vec, beta, alpha, self, True)


@kernel("addmv.out")
def addmv_out(self: torch.Tensor, mat: torch.Tensor, vec: torch.Tensor, *, beta: Any = 1, alpha: Any = 1,
              out: torch.Tensor) -> torch.Tensor:
    call = (aten("addmv.out"), (self, mat, vec), {"beta": beta, "alpha": alpha, "out": out})
    return _addmv(call, self, mat, vec, beta, alpha, out, out is self)


def _bmm(call: Call, self: torch.Tensor, mat2: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
    why = _why("bmm", out, self, mat2)
    if why is not None:
        return decline(*call, why)  # type: ignore[no-any-return]
    if self.dim() != 3 or mat2.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if self.dim() != 3 else "batch2 must be a 3D tensor")
    if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{self.shape[0]}, {self.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    shape = (self.shape[0], self.shape[1], mat2.shape[2])
    with result(out, shape, self) as (res, o):
        if res.numel():
            per = shape[1] * shape[2]
            flat = o.to_numpy().reshape(-1)
            ex = executor()
            for i in range(shape[0]):
                # Each batch writes into its slice of the result (a zero-copy buffer over that slice).
                _product(self[i], mat2[i], ex.wrap(flat[i * per:(i + 1) * per]), 1.0, 0.0)
    return res


@kernel("bmm")
def bmm(self: torch.Tensor, mat2: torch.Tensor) -> torch.Tensor:
    return _bmm((aten("bmm"), (self, mat2), {}), self, mat2, None)


@kernel("bmm.out")
def bmm_out(self: torch.Tensor, mat2: torch.Tensor, *, out: torch.Tensor) -> torch.Tensor:
    return _bmm((aten("bmm.out"), (self, mat2), {"out": out}), self, mat2, out)
