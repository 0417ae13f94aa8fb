"""Elementwise kernels: arithmetic, unary math, clamps and the update ops optimizers use.

Each op is registered in its functional, in-place and ``out=`` forms (the
structured ops of aten reach their ``out=`` form from the other two when no
kernel of their own exists, so all three are covered either way).

Native cases: operands on the 'hologram' device of one float dtype and the
same shape, or one such tensor and a scalar (a Python number or a 0-dim
tensor, which torch treats as a scalar). Broadcasting beyond that, mixed
dtypes and other dtypes go to the CPU fallback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from hologram import ops
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
    inplace_shape_error,
    is_float_device,
    out_ok,
    result,
    scalar_value,
    scratch,
)
from hologram_torch.device._registry import kernel

__all__: list[str] = []



def _scalar_for(x: Any, t: torch.Tensor) -> float | None:
    """``x`` as a scalar operand next to the float tensor ``t``, when type promotion keeps ``t``'s dtype."""
    if isinstance(x, torch.Tensor) and (
            x.dim() != 0 or (x.dtype.is_floating_point and t.dim() == 0 and x.dtype != t.dtype)):
        return None
    return scalar_value(x)


def _plan(name: str, self: Any, other: Any) -> tuple[str, Any, Any] | str:
    """How to run a binary op: ("tt", A, B) two tensors of the result's shape, ("ts", A, s), ("st", s, B);
    or why not.

    A tensor that broadcasts is expanded (the expansion is a copy into a
    contiguous buffer; the arithmetic stays one hologram op).
    """
    if is_float_device(self) and (s := _scalar_for(other, self)) is not None:
        return "ts", self, s
    if is_float_device(other) and (s := _scalar_for(self, other)) is not None:
        return "st", s, other
    if is_float_device(self, other):
        _, (a, b) = broadcast(name, self, other)
        return "tt", a, b
    return float_dtype_why(*(x for x in (self, other) if isinstance(x, torch.Tensor)))


def _add(a: Any, b: Any, o: Buf, kind: str, alpha: float = 1.0) -> None:
    ex = executor()
    if kind == "tt":
        ops.add(ex, a, b if alpha == 1 else ops.mul_scalar(ex, b, alpha), o)
    elif kind == "ts":
        ops.add_scalar(ex, a, b * alpha, o)
    elif alpha == 1:
        ops.add_scalar(ex, b, a, o)
    else:
        ops.add_scalar(ex, ops.mul_scalar(ex, b, alpha, o), a, o)


def _sub(a: Any, b: Any, o: Buf, kind: str, alpha: float = 1.0) -> None:
    ex = executor()
    if kind == "tt":
        ops.sub(ex, a, b if alpha == 1 else ops.mul_scalar(ex, b, alpha), o)
    elif kind == "ts":
        ops.add_scalar(ex, a, -b * alpha, o)
    else:
        ops.add_scalar(ex, ops.mul_scalar(ex, b, -alpha, o), a, o)


def _mul(a: Any, b: Any, o: Buf, kind: str, alpha: float = 1.0) -> None:
    ex = executor()
    if kind == "tt":
        ops.mul(ex, a, b, o)
    else:
        ops.mul_scalar(ex, a if kind == "ts" else b, b if kind == "ts" else a, o)


def _div(a: Any, b: Any, o: Buf, kind: str, alpha: float = 1.0) -> None:
    # A true division even by a scalar (a / s, not a * (1/s)): the scalar fills a scratch buffer.
    ex = executor()
    if kind == "tt":
        ops.div(ex, a, b, o)
    elif kind == "ts":
        ops.div(ex, a, scratch(a, b), o)
    else:
        ops.div(ex, scratch(b, a), b, o)


def _tensor_only(fn: Callable[..., Buf]) -> Callable[..., None]:
    def run(a: Any, b: Any, o: Buf, kind: str, alpha: float = 1.0) -> None:
        fn(executor(), a, b, o)

    return run


_BINARY: dict[str, Callable[..., None]] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div,
    "maximum": _tensor_only(ops.maximum), "minimum": _tensor_only(ops.minimum),
}


def _binary(name: str, call: Call, self: Any, other: Any, alpha: Any, out: torch.Tensor | None,
            inplace: bool) -> torch.Tensor:
    check_same_device(name, self, other, out)
    plan = _plan(name, self, other)
    if isinstance(plan, str) or (plan[0] != "tt" and name in ("maximum", "minimum")):
        return decline(*call, plan if isinstance(plan, str) else "a 0-dim operand")  # type: ignore[no-any-return]
    kind, a, b = plan
    like = b if kind == "st" else a
    alpha_value = scalar_value(alpha)
    if alpha_value is None or not out_ok(out, like.dtype):
        return decline(*call, "alpha or out= of another dtype")  # type: ignore[no-any-return]
    if inplace and tuple(self.shape) != tuple(like.shape):
        raise inplace_shape_error(name + "_", self.shape, like.shape)
    with result(out, like.shape, like) as (res, o):
        a_op = buffer(a) if kind != "st" else a
        b_op = buffer(b) if kind != "ts" else b
        _BINARY[name](a_op, b_op, o, kind, alpha_value)
    return res


def _register_binary(name: str, with_alpha: bool) -> None:
    functional, inplace, out = (f"{name}.Tensor", f"{name}_.Tensor", f"{name}.out") if name in (
        "add", "sub", "mul", "div") else (name, None, f"{name}.out")
    f_op, o_op = aten(functional), aten(out)

    if with_alpha:
        def f(self: Any, other: Any, *, alpha: Any = 1) -> torch.Tensor:
            return _binary(name, (f_op, (self, other), {"alpha": alpha}), self, other, alpha, None, False)

        def o(self: Any, other: Any, *, alpha: Any = 1, out: torch.Tensor) -> torch.Tensor:
            return _binary(name, (o_op, (self, other), {"alpha": alpha, "out": out}), self, other, alpha, out,
                           False)
    else:
        def f(self: Any, other: Any) -> torch.Tensor:  # type: ignore[misc]
            return _binary(name, (f_op, (self, other), {}), self, other, 1, None, False)

        def o(self: Any, other: Any, *, out: torch.Tensor) -> torch.Tensor:  # type: ignore[misc]
            return _binary(name, (o_op, (self, other), {"out": out}), self, other, 1, out, False)

    kernel(functional)(f)
    kernel(out)(o)
    if inplace is None:
        return
    i_op = aten(inplace)
    if with_alpha:
        def i(self: torch.Tensor, other: Any, *, alpha: Any = 1) -> torch.Tensor:
            return _binary(name, (i_op, (self, other), {"alpha": alpha}), self, other, alpha, self, True)
    else:
        def i(self: torch.Tensor, other: Any) -> torch.Tensor:  # type: ignore[misc]
            return _binary(name, (i_op, (self, other), {}), self, other, 1, self, True)
    kernel(inplace)(i)


for _name in ("add", "sub"):
    _register_binary(_name, with_alpha=True)
for _name in ("mul", "div", "maximum", "minimum"):
    _register_binary(_name, with_alpha=False)


# -- scalar forms (torch routes most of them to the Tensor forms; these skip the wrapping) -------------

def _register_scalar(name: str, with_alpha: bool) -> None:
    f_op, i_op = aten(f"{name}.Scalar"), aten(f"{name}_.Scalar")
    if with_alpha:
        def f(self: torch.Tensor, other: Any, alpha: Any = 1) -> torch.Tensor:
            return _binary(name, (f_op, (self, other, alpha), {}), self, other, alpha, None, False)

        def i(self: torch.Tensor, other: Any, alpha: Any = 1) -> torch.Tensor:
            return _binary(name, (i_op, (self, other, alpha), {}), self, other, alpha, self, True)
    else:
        def f(self: torch.Tensor, other: Any) -> torch.Tensor:  # type: ignore[misc]
            return _binary(name, (f_op, (self, other), {}), self, other, 1, None, False)

        def i(self: torch.Tensor, other: Any) -> torch.Tensor:  # type: ignore[misc]
            return _binary(name, (i_op, (self, other), {}), self, other, 1, self, True)
    kernel(f"{name}.Scalar")(f)
    kernel(f"{name}_.Scalar")(i)


for _name in ("add", "sub"):
    _register_scalar(_name, with_alpha=True)
for _name in ("mul", "div"):
    _register_scalar(_name, with_alpha=False)


# -- unary math ----------------------------------------------------------------------------------------

def _unary(call: Call, compute: Callable[[Buf, Buf], object], self: torch.Tensor,
           out: torch.Tensor | None) -> torch.Tensor:
    check_same_device(call[0]._schema.name, self, out)
    if not is_float_device(self) or not out_ok(out, self.dtype):
        return decline(*call, float_dtype_why(self, *([out] if out is not None else [])))  # type: ignore[no-any-return]
    with result(out, self.shape, self) as (res, o):
        compute(buffer(self), o)
    return res


def _register_unary(name: str, compute: Callable[[Buf, Buf], object], *, out_form: bool = True) -> None:
    f_op, i_op = aten(name), aten(f"{name}_")

    def f(self: torch.Tensor) -> torch.Tensor:
        return _unary((f_op, (self,), {}), compute, self, None)

    def i(self: torch.Tensor) -> torch.Tensor:
        return _unary((i_op, (self,), {}), compute, self, self)

    kernel(name)(f)
    kernel(f"{name}_")(i)
    if out_form:
        o_op = aten(f"{name}.out")

        def o(self: torch.Tensor, *, out: torch.Tensor) -> torch.Tensor:
            return _unary((o_op, (self,), {"out": out}), compute, self, out)

        kernel(f"{name}.out")(o)


def _hologram_unary(fn: Callable[..., Buf]) -> Callable[[Buf, Buf], object]:
    return lambda a, o: fn(executor(), a, o)


for _name in ("sqrt", "neg", "abs", "exp", "log", "sigmoid", "tanh"):
    _register_unary(_name, _hologram_unary(getattr(ops, _name)))
_register_unary("relu", _hologram_unary(ops.relu), out_form=False)  # aten has no relu.out
# 1 / x (Python's ``2 / t`` is ``t.reciprocal() * 2``) and 1 / sqrt(x): true divisions of a ones buffer.
_register_unary("reciprocal", lambda a, o: ops.div(executor(), scratch(a, 1.0), a, o))
_register_unary("rsqrt", lambda a, o: ops.div(executor(), scratch(a, 1.0), ops.sqrt(executor(), a), o))


def _gelu_compute(approximate: str) -> Callable[[Buf, Buf], object]:
    return lambda a, o: ops.gelu(executor(), a, o, approximate=approximate)  # type: ignore[arg-type]


def _gelu_checked(approximate: str) -> str:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return approximate


@kernel("gelu")
def gelu(self: torch.Tensor, *, approximate: str = "none") -> torch.Tensor:
    call = (aten("gelu"), (self,), {"approximate": approximate})
    return _unary(call, _gelu_compute(_gelu_checked(approximate)), self, None)


@kernel("gelu_")
def gelu_(self: torch.Tensor, *, approximate: str = "none") -> torch.Tensor:
    call = (aten("gelu_"), (self,), {"approximate": approximate})
    return _unary(call, _gelu_compute(_gelu_checked(approximate)), self, self)


@kernel("gelu.out")
def gelu_out(self: torch.Tensor, *, approximate: str = "none", out: torch.Tensor) -> torch.Tensor:
    call = (aten("gelu.out"), (self,), {"approximate": approximate, "out": out})
    return _unary(call, _gelu_compute(_gelu_checked(approximate)), self, out)


# -- pow with the exponents that are other hologram ops --------------------------------------------------

def _pow_compute(exponent: float) -> Callable[[Buf, Buf], object] | None:
    ex = executor()
    if exponent == 2:
        return lambda a, o: ops.mul(ex, a, a, o)
    if exponent == 1:
        return lambda a, o: ops.copy(ex, a, o)
    if exponent == 0.5:
        return lambda a, o: ops.sqrt(ex, a, o)
    if exponent == -1:
        return lambda a, o: ops.div(ex, scratch(a, 1.0), a, o)
    if exponent == 0:
        return lambda a, o: ops.fill(ex, o, 1.0)
    return None


def _pow(call: Call, self: torch.Tensor, exponent: Any, out: torch.Tensor | None) -> torch.Tensor:
    value = scalar_value(exponent)
    compute = _pow_compute(value) if value is not None else None
    if compute is None:
        return decline(*call, f"exponent {exponent!r}; native: 0, 0.5, 1, 2, -1")  # type: ignore[no-any-return]
    return _unary(call, compute, self, out)


@kernel("pow.Tensor_Scalar")
def pow_tensor_scalar(self: torch.Tensor, exponent: Any) -> torch.Tensor:
    return _pow((aten("pow.Tensor_Scalar"), (self, exponent), {}), self, exponent, None)


@kernel("pow_.Scalar")
def pow_scalar_(self: torch.Tensor, exponent: Any) -> torch.Tensor:
    return _pow((aten("pow_.Scalar"), (self, exponent), {}), self, exponent, self)


@kernel("pow.Tensor_Scalar_out")
def pow_tensor_scalar_out(self: torch.Tensor, exponent: Any, *, out: torch.Tensor) -> torch.Tensor:
    return _pow((aten("pow.Tensor_Scalar_out"), (self, exponent), {"out": out}), self, exponent, out)


# -- clamps ----------------------------------------------------------------------------------------------

def _clamp(call: Call, self: torch.Tensor, lo: Any, hi: Any, out: torch.Tensor | None) -> torch.Tensor:
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo_v = -math.inf if lo is None else scalar_value(lo)
    hi_v = math.inf if hi is None else scalar_value(hi)
    if lo_v is None or hi_v is None or isinstance(lo, torch.Tensor) or isinstance(hi, torch.Tensor):
        return decline(*call, "tensor bounds")  # type: ignore[no-any-return]
    return _unary(call, lambda a, o: ops.clip(executor(), a, lo_v, hi_v, o), self, out)


@kernel("clamp")
def clamp(self: torch.Tensor, min: Any = None, max: Any = None) -> torch.Tensor:
    return _clamp((aten("clamp"), (self, min, max), {}), self, min, max, None)


@kernel("clamp_")
def clamp_(self: torch.Tensor, min: Any = None, max: Any = None) -> torch.Tensor:
    return _clamp((aten("clamp_"), (self, min, max), {}), self, min, max, self)


@kernel("clamp.out")
def clamp_out(self: torch.Tensor, min: Any = None, max: Any = None, *, out: torch.Tensor) -> torch.Tensor:
    return _clamp((aten("clamp.out"), (self, min, max), {"out": out}), self, min, max, out)


def _register_clamp_side(side: str) -> None:
    for name, inplace in ((f"clamp_{side}", False), (f"clamp_{side}_", True), (f"clamp_{side}.out", False)):
        op = aten(name)

        def k(self: torch.Tensor, bound: Any, *, out: torch.Tensor | None = None, _op: Any = op,
              _inplace: bool = inplace) -> torch.Tensor:
            call = (_op, (self, bound), {"out": out} if out is not None else {})
            lo, hi = (bound, None) if side == "min" else (None, bound)
            return _clamp(call, self, lo, hi, self if _inplace else out)

        kernel(name)(k)


_register_clamp_side("min")
_register_clamp_side("max")


# -- the update ops of SGD and Adam ----------------------------------------------------------------------

def _operands(call: Call, out: torch.Tensor | None, inplace: bool, *tensors: Any
              ) -> tuple[str | None, tuple[int, ...], list[torch.Tensor]]:
    """(why not native or None, the result's shape, the tensors expanded to it)."""
    name = call[0]._schema.name
    check_same_device(name, *tensors, out)
    if not is_float_device(*tensors):
        return float_dtype_why(*tensors), (), []
    shape, expanded = broadcast(name, *tensors)
    if inplace and shape != tuple(tensors[0].shape):
        raise inplace_shape_error(name, tensors[0].shape, shape)
    if not inplace and not out_ok(out, tensors[0].dtype):
        return "out= of another dtype", (), []
    return None, shape, expanded


def _addc(name: str, call: Call, self: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor, value: Any,
          out: torch.Tensor | None) -> torch.Tensor:
    """``self + value * (t1 * t2)`` (addcmul) or ``self + value * (t1 / t2)`` (addcdiv)."""
    why, shape, expanded = _operands(call, out, out is self, self, t1, t2)
    v = scalar_value(value)
    if why is not None or v is None:
        return decline(*call, why or "value")  # type: ignore[no-any-return]
    s, a, b = expanded
    ex = executor()
    with result(out, shape, self) as (res, o):
        combine = ops.mul if name == "addcmul" else ops.div
        tmp = combine(ex, buffer(a), buffer(b))
        if v != 1:
            ops.mul_scalar(ex, tmp, v, tmp)
        ops.add(ex, buffer(s), tmp, o)
    return res


def _register_addc(name: str) -> None:
    f_op, i_op, o_op = aten(name), aten(f"{name}_"), aten(f"{name}.out")

    def f(self: torch.Tensor, tensor1: torch.Tensor, tensor2: torch.Tensor, *, value: Any = 1) -> torch.Tensor:
        return _addc(name, (f_op, (self, tensor1, tensor2), {"value": value}), self, tensor1, tensor2, value,
                     None)

    def i(self: torch.Tensor, tensor1: torch.Tensor, tensor2: torch.Tensor, *, value: Any = 1) -> torch.Tensor:
        return _addc(name, (i_op, (self, tensor1, tensor2), {"value": value}), self, tensor1, tensor2, value,
                     self)

    def o(self: torch.Tensor, tensor1: torch.Tensor, tensor2: torch.Tensor, *, value: Any = 1,
          out: torch.Tensor) -> torch.Tensor:
        call = (o_op, (self, tensor1, tensor2), {"value": value, "out": out})
        return _addc(name, call, self, tensor1, tensor2, value, out)

    kernel(name)(f)
    kernel(f"{name}_")(i)
    kernel(f"{name}.out")(o)


_register_addc("addcmul")
_register_addc("addcdiv")


def _lerp(call: Call, self: torch.Tensor, end: torch.Tensor, weight: Any, out: torch.Tensor | None
          ) -> torch.Tensor:
    """``self + weight * (end - self)``, computed from the nearer end as torch does."""
    why, shape, expanded = _operands(call, out, out is self, self, end)
    w = scalar_value(weight)
    if why is not None or w is None:
        return decline(*call, why or "weight")  # type: ignore[no-any-return]
    ex = executor()
    with result(out, shape, self) as (res, o):
        s, e = buffer(expanded[0]), buffer(expanded[1])
        diff = ops.sub(ex, e, s)
        if abs(w) < 0.5:
            ops.add(ex, s, ops.mul_scalar(ex, diff, w, diff), o)
        else:
            ops.sub(ex, e, ops.mul_scalar(ex, diff, 1.0 - w, diff), o)
    return res


@kernel("lerp.Scalar")
def lerp_scalar(self: torch.Tensor, end: torch.Tensor, weight: Any) -> torch.Tensor:
    return _lerp((aten("lerp.Scalar"), (self, end, weight), {}), self, end, weight, None)


@kernel("lerp_.Scalar")
def lerp_scalar_(self: torch.Tensor, end: torch.Tensor, weight: Any) -> torch.Tensor:
    return _lerp((aten("lerp_.Scalar"), (self, end, weight), {}), self, end, weight, self)


@kernel("lerp.Scalar_out")
def lerp_scalar_out(self: torch.Tensor, end: torch.Tensor, weight: Any, *, out: torch.Tensor) -> torch.Tensor:
    return _lerp((aten("lerp.Scalar_out"), (self, end, weight), {"out": out}), self, end, weight, out)
