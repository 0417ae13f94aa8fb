"""Backward kernels of the activations autograd calls: ReLU (threshold), sigmoid, tanh, GELU; and sign.

Each is a short chain of hologram ops. Three need a step function (the ReLU
mask, GELU's ``x != 0`` guard and sign), which hologram has no op for; they build
it from ``clip(x * 2**k * 2**k, 0, 1)``: every positive float, down to the
smallest subnormal, times two huge powers of two reaches 1 and is clipped
there, while zero and negatives clip to 0. It is exact (the products are
powers-of-two scalings, rounded only when they overflow to +inf, which
clips to 1 too); only a NaN input gives NaN where torch gives its gradient.
"""

from __future__ import annotations

import math
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
    is_float_device,
    out_ok,
    result,
    scalar_value,
    scratch,
)
from hologram_torch.device._registry import kernel

__all__: list[str] = []


# 2**k with (2**k)**2 beyond the smallest subnormal's reciprocal, and 2**k itself finite.
_SCALE = {"float32": 2.0**100, "float64": 2.0**600}
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_KAPPA = 0.044715


def _step(x: Buf, out: Buf) -> Buf:
    """``1.0 where x > 0 else 0.0`` (see the module docstring); ``out`` may be ``x``."""
    ex = executor()
    k = _SCALE[x.dtype.name]
    ops.mul_scalar(ex, x, k, out)
    ops.mul_scalar(ex, out, k, out)
    return ops.clip(ex, out, 0.0, 1.0, out)


def _pair(call: Call, grad: Any, x: Any, out: torch.Tensor | None
          ) -> tuple[str | None, tuple[int, ...], list[torch.Tensor]]:
    """(why the pair is not native or None, the result's shape, both expanded to it)."""
    check_same_device(call[0]._schema.name, grad, x, out)
    if not is_float_device(grad, x):
        return float_dtype_why(grad, x), (), []
    shape, expanded = broadcast(call[0]._schema.name, grad, x)
    return (None if out_ok(out, grad.dtype) else "out= of another dtype"), shape, expanded


# -- sign (the derivative of abs): step(x) - step(-x) ---------------------------------------------------

def _sign(call: Call, self: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
    check_same_device(call[0]._schema.name, self, out)
    if not is_float_device(self) or not out_ok(out, self.dtype):
        return decline(*call, float_dtype_why(self, *([out] if out is not None else [])))  # type: ignore[no-any-return]
    ex = executor()
    with result(out, self.shape, self) as (res, o):
        x = buffer(self)
        negative = _step(ops.neg(ex, x), scratch(x))
        ops.sub(ex, _step(x, scratch(x)), negative, o)
    return res


def _register_sign(name: str) -> None:
    f_op, i_op, o_op = aten(name), aten(f"{name}_"), aten(f"{name}.out")

    def f(self: torch.Tensor) -> torch.Tensor:
        return _sign((f_op, (self,), {}), self, None)

    def i(self: torch.Tensor) -> torch.Tensor:
        return _sign((i_op, (self,), {}), self, self)

    def o(self: torch.Tensor, *, out: torch.Tensor) -> torch.Tensor:
        return _sign((o_op, (self,), {"out": out}), self, out)

    kernel(name)(f)
    kernel(f"{name}_")(i)
    kernel(f"{name}.out")(o)


_register_sign("sign")
_register_sign("sgn")  # the same for real tensors; abs's backward calls it


# -- ReLU: threshold_backward(grad, result, 0) -----------------------------------------------------------

def _threshold_backward(call: Call, grad: torch.Tensor, x: torch.Tensor, threshold: Any,
                        out: torch.Tensor | None) -> torch.Tensor:
    """``grad where x > threshold else 0``."""
    t = scalar_value(threshold)
    why, shape, expanded = _pair(call, grad, x, out)
    if why is not None or t is None:
        return decline(*call, why or "threshold")  # type: ignore[no-any-return]
    g, xe = expanded
    ex = executor()
    with result(out, shape, grad) as (res, o):
        xb = buffer(xe)
        mask = _step(ops.add_scalar(ex, xb, -t) if t != 0 else xb, scratch(xb))
        ops.mul(ex, buffer(g), mask, o)
    return res


@kernel("threshold_backward")
def threshold_backward(grad_output: torch.Tensor, self: torch.Tensor, threshold: Any) -> torch.Tensor:
    call: Call = (aten("threshold_backward"), (grad_output, self, threshold), {})
    return _threshold_backward(call, grad_output, self, threshold, None)


@kernel("threshold_backward.grad_input")
def threshold_backward_out(grad_output: torch.Tensor, self: torch.Tensor, threshold: Any, *,
                           grad_input: torch.Tensor) -> torch.Tensor:
    call = (aten("threshold_backward.grad_input"), (grad_output, self, threshold), {"grad_input": grad_input})
    return _threshold_backward(call, grad_output, self, threshold, grad_input)


# -- sigmoid and tanh: from the forward output -------------------------------------------------------------

def _sigmoid_grad(g: Buf, y: Buf, o: Buf) -> None:
    """``g * (1 - y) * y``."""
    ex = executor()
    one_minus = ops.add_scalar(ex, ops.neg(ex, y), 1.0)
    ops.mul(ex, ops.mul(ex, g, one_minus, one_minus), y, o)


def _tanh_grad(g: Buf, y: Buf, o: Buf) -> None:
    """``g * (1 - y * y)``."""
    ex = executor()
    one_minus = ops.mul(ex, y, y)
    ops.add_scalar(ex, ops.neg(ex, one_minus, one_minus), 1.0, one_minus)
    ops.mul(ex, g, one_minus, o)


def _from_output(call: Call, compute: Any, grad: torch.Tensor, y: torch.Tensor,
                 out: torch.Tensor | None) -> torch.Tensor:
    why, shape, expanded = _pair(call, grad, y, out)
    if why is not None:
        return decline(*call, why)  # type: ignore[no-any-return]
    with result(out, shape, grad) as (res, o):
        compute(buffer(expanded[0]), buffer(expanded[1]), o)
    return res


def _register_from_output(name: str, compute: Any) -> None:
    f_op, o_op = aten(name), aten(f"{name}.grad_input")

    def f(grad_output: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        return _from_output((f_op, (grad_output, output), {}), compute, grad_output, output, None)

    def o(grad_output: torch.Tensor, output: torch.Tensor, *, grad_input: torch.Tensor) -> torch.Tensor:
        call = (o_op, (grad_output, output), {"grad_input": grad_input})
        return _from_output(call, compute, grad_output, output, grad_input)

    kernel(name)(f)
    kernel(f"{name}.grad_input")(o)


_register_from_output("sigmoid_backward", _sigmoid_grad)
_register_from_output("tanh_backward", _tanh_grad)


# -- GELU ------------------------------------------------------------------------------------------------------

def _gelu_grad_exact(g: Buf, x: Buf, o: Buf) -> None:
    """``g * (Phi(x) + x * phi(x))``, with ``Phi(x) = gelu(x) / x`` (hologram has gelu but no erf).

    At ``x == 0`` the quotient is 0/0; there ``Phi`` is 1/2, and a step
    mask picks it: ``Phi = nz * gelu(xs) / xs + (1 - nz) / 2`` with
    ``nz = [x != 0]`` and ``xs = x + (1 - nz)`` (never zero).
    """
    ex = executor()
    nz = _step(ops.abs(ex, x), scratch(x))               # [x != 0]
    zero = ops.add_scalar(ex, ops.neg(ex, nz), 1.0)      # [x == 0]
    xs = ops.add(ex, x, zero)
    cdf = ops.div(ex, ops.gelu(ex, xs), xs)
    ops.mul(ex, cdf, nz, cdf)
    ops.add(ex, cdf, ops.mul_scalar(ex, zero, 0.5, zero), cdf)
    # phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    pdf = ops.mul(ex, x, x)
    ops.mul_scalar(ex, ops.exp(ex, ops.mul_scalar(ex, pdf, -0.5, pdf), pdf), _INV_SQRT_2PI, pdf)
    ops.add(ex, cdf, ops.mul(ex, x, pdf, pdf), cdf)
    ops.mul(ex, g, cdf, o)


def _gelu_grad_tanh(g: Buf, x: Buf, o: Buf) -> None:
    """Derivative of ``0.5 x (1 + tanh(u))``, ``u = sqrt(2/pi) (x + 0.044715 x^3)``, as torch writes it."""
    ex = executor()
    x_sq = ops.mul(ex, x, x)
    inner = ops.add_scalar(ex, ops.mul_scalar(ex, x_sq, _KAPPA), 1.0)     # 1 + k x^2
    ops.mul_scalar(ex, ops.mul(ex, inner, x, inner), _SQRT_2_OVER_PI, inner)  # u
    th = ops.tanh(ex, inner, inner)
    left_derivative = ops.mul_scalar(ex, ops.add_scalar(ex, th, 1.0), 0.5)  # 0.5 (1 + tanh u)
    tanh_derivative = ops.add_scalar(ex, ops.neg(ex, ops.mul(ex, th, th)), 1.0)
    inner_derivative = ops.add_scalar(ex, ops.mul_scalar(ex, x_sq, 3.0 * _KAPPA, x_sq), 1.0)
    ops.mul_scalar(ex, inner_derivative, _SQRT_2_OVER_PI, inner_derivative)
    right = ops.mul(ex, ops.mul_scalar(ex, x, 0.5), tanh_derivative)
    ops.mul(ex, right, inner_derivative, right)
    ops.add(ex, left_derivative, right, right)
    ops.mul(ex, g, right, o)


def _gelu_backward(call: Call, grad: torch.Tensor, x: torch.Tensor, approximate: str,
                   out: torch.Tensor | None) -> torch.Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    compute = _gelu_grad_exact if approximate == "none" else _gelu_grad_tanh
    return _from_output(call, compute, grad, x, out)


@kernel("gelu_backward")
def gelu_backward(grad_output: torch.Tensor, self: torch.Tensor, *, approximate: str = "none") -> torch.Tensor:
    call = (aten("gelu_backward"), (grad_output, self), {"approximate": approximate})
    return _gelu_backward(call, grad_output, self, approximate, None)


@kernel("gelu_backward.grad_input")
def gelu_backward_out(grad_output: torch.Tensor, self: torch.Tensor, *, approximate: str = "none",
                      grad_input: torch.Tensor) -> torch.Tensor:
    call = (aten("gelu_backward.grad_input"), (grad_output, self),
            {"approximate": approximate, "grad_input": grad_input})
    return _gelu_backward(call, grad_output, self, approximate, grad_input)
