"""The ``hologram::`` torch ops: real ``torch.library`` custom ops over Hologram kernels.

Each op has three registrations, so autograd, ``torch.compile`` and
``torch.library.opcheck`` all see an ordinary operator:

* the kernel: one :mod:`hologram.hostcall` call on the tensors' addresses:
  contiguous inputs are read in place, the result is a new torch tensor
  that the op writes into (:mod:`hologram_torch._bridge`);
* ``register_fake``: the output's shape and dtype, for tracing;
* ``register_autograd``: the backward formula. The FLOP-heavy gradients
  (of ``matmul`` and ``linear``) call ``hologram::`` ops again; the cheap
  elementwise ones are written with torch ops, so that they are themselves
  differentiable (double backward works).

The trailing ``int executor`` argument names the executor
(:func:`hologram_torch._bridge.executor_id`; 0 is the default one). Tensors
on the ``'hologram'`` device live in host memory too, so the same host calls
run on them.
"""

# No `from __future__ import annotations` here: torch < 2.5 infers op schemas from real annotation
# objects, and only from typing.Optional (not `X | None`).
import math
from typing import Any, Optional

import torch

import hologram
from hologram import hostcall
from hologram_torch._bridge import contiguous, dtype_name, empty, empty_like, executor_for, rows_cols

__all__ = [
    "add", "add_scalar", "cross_entropy", "div", "gelu", "linear", "log_softmax", "matmul", "mse_loss",
    "mul", "mul_scalar", "relu", "sigmoid", "softmax", "sub", "tanh",
]

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _need_grads(ctx: Any, n: int) -> tuple[bool, ...]:
    """The first ``n`` entries of ``needs_input_grad`` (torch counts only some non-tensor inputs)."""
    flags = tuple(ctx.needs_input_grad)[:n]
    return flags + (False,) * (n - len(flags))


# -- elementwise binary ------------------------------------------------------------------------

def _binary(name: str) -> Any:
    @torch.library.custom_op(f"hologram::{name}", mutates_args=())
    def op(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
        a, b = contiguous(a), contiguous(b)
        out = empty_like(a)
        hostcall.binary(executor_for(executor), name, dtype_name(a), a.data_ptr(), b.data_ptr(), out.data_ptr(),
                        a.numel())
        return out

    @op.register_fake
    def _(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
        torch._check(a.shape == b.shape, lambda: f"hologram::{name}: shapes {a.shape} and {b.shape} differ")
        return torch.empty_like(a, memory_format=torch.contiguous_format)

    return op


add = _binary("add")
sub = _binary("sub")
mul = _binary("mul")
div = _binary("div")


def _setup_save_inputs(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.save_for_backward(inputs[0], inputs[1])
    ctx.executor = inputs[-1]


def _setup_save_output(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.save_for_backward(output)
    ctx.executor = inputs[-1]


def _add_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    return g, g, None


def _sub_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    return g, -g, None


def _mul_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    a, b = ctx.saved_tensors
    ga, gb = _need_grads(ctx, 2)
    return (mul(g, b, ctx.executor) if ga else None), (mul(g, a, ctx.executor) if gb else None), None


def _div_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    a, b = ctx.saved_tensors
    grad_a = div(g, b, ctx.executor)
    return grad_a, -grad_a * a / b, None


add.register_autograd(_add_backward)
sub.register_autograd(_sub_backward)
mul.register_autograd(_mul_backward, setup_context=_setup_save_inputs)
div.register_autograd(_div_backward, setup_context=_setup_save_inputs)


# -- elementwise with a scalar -----------------------------------------------------------------

def _scalar(name: str) -> Any:
    @torch.library.custom_op(f"hologram::{name}", mutates_args=())
    def op(a: torch.Tensor, scalar: float, executor: int = 0) -> torch.Tensor:
        a = contiguous(a)
        out = empty_like(a)
        hostcall.scalar(executor_for(executor), name, dtype_name(a), a.data_ptr(), out.data_ptr(), a.numel(),
                        scalar)
        return out

    @op.register_fake
    def _(a: torch.Tensor, scalar: float, executor: int = 0) -> torch.Tensor:
        return torch.empty_like(a, memory_format=torch.contiguous_format)

    return op


add_scalar = _scalar("add_scalar")
mul_scalar = _scalar("mul_scalar")


def _setup_scalar(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.scalar = inputs[1]


add_scalar.register_autograd(lambda ctx, g: (g, None, None), setup_context=_setup_scalar)
mul_scalar.register_autograd(lambda ctx, g: (g * ctx.scalar, None, None), setup_context=_setup_scalar)


# -- activations -------------------------------------------------------------------------------

def _rowwise_into(ex: hologram.Executor, name: str, a: torch.Tensor, out: torch.Tensor) -> None:
    rows, cols = rows_cols(a.shape)
    hostcall.rowwise(ex, name, dtype_name(a), a.data_ptr(), out.data_ptr(), rows, cols)


def _unary(name: str, rowwise: bool = False) -> Any:
    @torch.library.custom_op(f"hologram::{name}", mutates_args=())
    def op(a: torch.Tensor, executor: int = 0) -> torch.Tensor:
        a = contiguous(a)
        out = empty_like(a)
        ex = executor_for(executor)
        if rowwise:
            _rowwise_into(ex, name, a, out)
        else:
            hostcall.unary(ex, name, dtype_name(a), a.data_ptr(), out.data_ptr(), a.numel())
        return out

    @op.register_fake
    def _(a: torch.Tensor, executor: int = 0) -> torch.Tensor:
        return torch.empty_like(a, memory_format=torch.contiguous_format)

    return op


relu = _unary("relu")
sigmoid = _unary("sigmoid")
tanh = _unary("tanh")
softmax = _unary("softmax", rowwise=True)
log_softmax = _unary("log_softmax", rowwise=True)


def _relu_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    (y,) = ctx.saved_tensors
    # aten's own ReLU gradient: differentiable, and native on the 'hologram' device.
    return torch.ops.aten.threshold_backward(g, y, 0), None


def _sigmoid_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    (y,) = ctx.saved_tensors
    return g * y * (1 - y), None


def _tanh_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    (y,) = ctx.saved_tensors
    return g * (1 - y * y), None


def _softmax_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    (y,) = ctx.saved_tensors
    return y * (g - (g * y).sum(dim=-1, keepdim=True)), None


def _log_softmax_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    (y,) = ctx.saved_tensors
    return g - torch.exp(y) * g.sum(dim=-1, keepdim=True), None


for _op, _backward in ((relu, _relu_backward), (sigmoid, _sigmoid_backward), (tanh, _tanh_backward),
                       (softmax, _softmax_backward), (log_softmax, _log_softmax_backward)):
    _op.register_autograd(_backward, setup_context=_setup_save_output)


@torch.library.custom_op("hologram::gelu", mutates_args=())
def gelu(a: torch.Tensor, approximate: str, executor: int = 0) -> torch.Tensor:
    if approximate not in ("none", "tanh"):
        raise hologram.InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    a = contiguous(a)
    out = empty_like(a)
    hostcall.unary(executor_for(executor), "gelu" if approximate == "none" else "gelu_tanh", dtype_name(a),
                   a.data_ptr(), out.data_ptr(), a.numel())
    return out


@gelu.register_fake
def _(a: torch.Tensor, approximate: str, executor: int = 0) -> torch.Tensor:
    return torch.empty_like(a, memory_format=torch.contiguous_format)


def _setup_gelu(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.save_for_backward(inputs[0])
    ctx.approximate = inputs[1]


def _gelu_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    (x,) = ctx.saved_tensors
    if ctx.approximate == "tanh":
        k = math.sqrt(2.0 / math.pi)
        inner = k * (x + 0.044715 * x * x * x)
        t = torch.tanh(inner)
        d_inner = k * (1 + 3 * 0.044715 * x * x)
        grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner
    else:
        cdf = 0.5 * (1 + torch.erf(x * _SQRT_HALF))
        pdf = torch.exp(-0.5 * x * x) * _INV_SQRT_2PI
        grad = cdf + x * pdf
    return g * grad, None, None


gelu.register_autograd(_gelu_backward, setup_context=_setup_gelu)


# -- matrix products ---------------------------------------------------------------------------

def _gemm_operand(t: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """A row-major 2-D operand for gemm: ``t`` itself, or its transpose with the trans flag when
    that is contiguous (the backward pass's ``g @ b.T`` then needs no copy)."""
    if not t.is_contiguous() and t.mT.is_contiguous():
        return t.mT, True
    return contiguous(t), False


def _gemm_into(ex: hologram.Executor, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor,
               beta: float = 0.0) -> None:
    """``out = a @ b (+ out if beta)`` for 2-D ``a`` (m x k) and ``b`` (k x n) into contiguous ``out``."""
    (m, k), n = a.shape, b.shape[1]
    a_op, trans_a = _gemm_operand(a)
    b_op, trans_b = _gemm_operand(b)
    hostcall.gemm(ex, dtype_name(a), a_op.data_ptr(), b_op.data_ptr(), out.data_ptr(), m, n, k,
                  trans_a=trans_a, trans_b=trans_b, beta=beta)


def _matmul_shape(a: torch.Size, b: torch.Size) -> tuple[int, ...]:
    if len(a) == 2 and len(b) == 2:
        return (a[0], b[1])
    if len(a) == 3 and len(b) == 3:
        return (a[0], a[1], b[2])
    return (a[0], a[1], b[1])  # 3-D @ 2-D


@torch.library.custom_op("hologram::matmul", mutates_args=())
def matmul(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
    ex = executor_for(executor)
    out = empty(_matmul_shape(a.shape, b.shape), a)
    if a.dim() == 2:
        _gemm_into(ex, a, b, out)
    elif b.dim() == 2:  # (B, m, k) @ (k, n): one gemm over the B*m rows
        _gemm_into(ex, a.reshape(-1, a.shape[-1]), b, out)
    else:
        for i in range(a.shape[0]):
            _gemm_into(ex, a[i], b[i], out[i])
    return out


@matmul.register_fake
def _(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
    return a.new_empty(_matmul_shape(a.shape, b.shape))


def _matmul_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    a, b = ctx.saved_tensors
    need_a, need_b = _need_grads(ctx, 2)
    grad_a = grad_b = None
    if need_a:
        grad_a = matmul(g, b.mT, ctx.executor)
    if need_b:
        if a.dim() == 3 and b.dim() == 2:
            grad_b = matmul(a.reshape(-1, a.shape[-1]).mT, g.reshape(-1, g.shape[-1]), ctx.executor)
        else:
            grad_b = matmul(a.mT, g, ctx.executor)
    return grad_a, grad_b, None


matmul.register_autograd(_matmul_backward, setup_context=_setup_save_inputs)


@torch.library.custom_op("hologram::linear", mutates_args=())
def linear(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,  # noqa: UP045
           executor: int = 0) -> torch.Tensor:
    ex = executor_for(executor)
    rows, _ = rows_cols(x.shape)
    out = empty((*x.shape[:-1], weight.shape[0]), x)
    out2d = out.view(rows, weight.shape[0])
    beta = 0.0
    if bias is not None and out.numel():
        out2d.copy_(bias.expand_as(out2d))  # every row starts as the bias; gemm accumulates onto it
        beta = 1.0
    _gemm_into(ex, x.reshape(rows, x.shape[-1]), weight.mT, out2d, beta)
    return out


@linear.register_fake
def _(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,  # noqa: UP045
      executor: int = 0) -> torch.Tensor:
    return x.new_empty((*x.shape[:-1], weight.shape[0]))


def _setup_linear(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.save_for_backward(inputs[0], inputs[1])
    ctx.executor = inputs[-1]


def _linear_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    x, w = ctx.saved_tensors
    need_x, need_w, need_b = _need_grads(ctx, 3)
    g2 = g.reshape(-1, w.shape[0])
    grad_x = matmul(g2, w, ctx.executor).reshape(x.shape) if need_x else None
    grad_w = matmul(g2.mT, x.reshape(-1, x.shape[-1]), ctx.executor) if need_w else None
    grad_b = g2.sum(dim=0) if need_b else None
    return grad_x, grad_w, grad_b, None


linear.register_autograd(_linear_backward, setup_context=_setup_linear)


# -- losses ------------------------------------------------------------------------------------

@torch.library.custom_op("hologram::mse_loss", mutates_args=())
def mse_loss(pred: torch.Tensor, target: torch.Tensor, executor: int = 0) -> torch.Tensor:
    """Mean of ``(pred - target)**2`` as a 0-dim tensor."""
    pred, target = contiguous(pred), contiguous(target)
    out = empty((), pred)
    rows, cols = rows_cols(pred.shape)
    hostcall.loss(executor_for(executor), "mse", dtype_name(pred), pred.data_ptr(), target.data_ptr(),
                  out.data_ptr(), rows, cols)
    return out


@mse_loss.register_fake
def _(pred: torch.Tensor, target: torch.Tensor, executor: int = 0) -> torch.Tensor:
    return pred.new_empty(())


def _mse_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    pred, target = ctx.saved_tensors
    diff = (pred - target) * (2.0 / max(pred.numel(), 1)) * g
    need_p, need_t = _need_grads(ctx, 2)
    return (diff if need_p else None), (-diff if need_t else None), None


mse_loss.register_autograd(_mse_backward, setup_context=_setup_save_inputs)


@torch.library.custom_op("hologram::cross_entropy", mutates_args=())
def cross_entropy(logits: torch.Tensor, target: torch.Tensor, executor: int = 0) -> torch.Tensor:
    """Per-row ``-sum(target * log_softmax(logits))`` over the last axis: shape ``logits.shape[:-1]``."""
    ex = executor_for(executor)
    logits, target = contiguous(logits), contiguous(target)
    dt, (rows, cols) = dtype_name(logits), rows_cols(logits.shape)
    terms = empty_like(logits)
    _rowwise_into(ex, "log_softmax", logits, terms)
    hostcall.binary(ex, "mul", dt, terms.data_ptr(), target.data_ptr(), terms.data_ptr(), terms.numel())
    out = empty(logits.shape[:-1], logits)
    hostcall.reduce(ex, "sum", dt, terms.data_ptr(), out.data_ptr(), rows, cols)
    hostcall.unary(ex, "neg", dt, out.data_ptr(), out.data_ptr(), out.numel())
    return out


@cross_entropy.register_fake
def _(logits: torch.Tensor, target: torch.Tensor, executor: int = 0) -> torch.Tensor:
    return logits.new_empty(logits.shape[:-1])


def _cross_entropy_backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
    logits, target = ctx.saved_tensors
    need_l, need_t = _need_grads(ctx, 2)
    g = g.unsqueeze(-1)
    grad_l = grad_t = None
    if need_l:
        grad_l = (softmax(logits, ctx.executor) * target.sum(dim=-1, keepdim=True) - target) * g
    if need_t:
        grad_t = -log_softmax(logits, ctx.executor) * g
    return grad_l, grad_t, None


cross_entropy.register_autograd(_cross_entropy_backward, setup_context=_setup_save_inputs)
