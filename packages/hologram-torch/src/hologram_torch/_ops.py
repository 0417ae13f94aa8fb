"""The ``hologram::`` torch ops: real ``torch.library`` custom ops over Hologram kernels.

Each op has three registrations, so autograd, ``torch.compile`` and
``torch.library.opcheck`` all see an ordinary operator:

* the kernel: arguments become hologram buffers sharing the tensors' memory
  (:mod:`hologram_torch._bridge`), the result is a new torch tensor that a
  buffer wraps, and one hologram op writes into it;
* ``register_fake``: the output's shape and dtype, for tracing;
* ``register_autograd``: the backward formula. The FLOP-heavy gradients
  (of ``matmul`` and ``linear``) call ``hologram::`` ops again; the cheap
  elementwise ones are written with torch ops, so that they are themselves
  differentiable (double backward works).

The trailing ``int executor`` argument names the executor
(:func:`hologram_torch._bridge.executor_id`; 0 is the default one). Tensors
on the ``'hologram'`` device always run on the device's executor.
"""

# No `from __future__ import annotations` here: torch < 2.5 infers op schemas from real annotation
# objects, and only from typing.Optional (not `X | None`).
import math
from typing import Any, Optional

import torch

import hologram
from hologram_torch._bridge import as_buffer, executor_for, new_output

__all__ = [
    "add", "add_scalar", "cross_entropy", "div", "gelu", "linear", "log_softmax", "matmul", "mse_loss",
    "mul", "mul_scalar", "relu", "sigmoid", "softmax", "sub", "tanh",
]

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _executor(key: int, t: torch.Tensor) -> hologram.Executor:
    if t.device.type == "hologram":
        from hologram_torch.device import _storage

        return _storage.executor()
    return executor_for(key)


def _need_grads(ctx: Any, n: int) -> tuple[bool, ...]:
    """The first ``n`` entries of ``needs_input_grad`` (torch counts only some non-tensor inputs)."""
    flags = tuple(ctx.needs_input_grad)[:n]
    return flags + (False,) * (n - len(flags))


# -- elementwise binary ------------------------------------------------------------------------

def _binary(name: str, hg_op: Any) -> Any:
    @torch.library.custom_op(f"hologram::{name}", mutates_args=())
    def op(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
        ex = _executor(executor, a)
        out, out_buf = new_output(ex, a.shape, a)
        hg_op(ex, as_buffer(ex, a), as_buffer(ex, b), out_buf)
        return out

    @op.register_fake
    def _(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
        torch._check(a.shape == b.shape, lambda: f"hologram::{name}: shapes {a.shape} and {b.shape} differ")
        return torch.empty_like(a, memory_format=torch.contiguous_format)

    return op


add = _binary("add", hologram.ops.add)
sub = _binary("sub", hologram.ops.sub)
mul = _binary("mul", hologram.ops.mul)
div = _binary("div", hologram.ops.div)


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

def _scalar(name: str, hg_op: Any) -> Any:
    @torch.library.custom_op(f"hologram::{name}", mutates_args=())
    def op(a: torch.Tensor, scalar: float, executor: int = 0) -> torch.Tensor:
        ex = _executor(executor, a)
        out, out_buf = new_output(ex, a.shape, a)
        hg_op(ex, as_buffer(ex, a), scalar, out_buf)
        return out

    @op.register_fake
    def _(a: torch.Tensor, scalar: float, executor: int = 0) -> torch.Tensor:
        return torch.empty_like(a, memory_format=torch.contiguous_format)

    return op


add_scalar = _scalar("add_scalar", hologram.ops.add_scalar)
mul_scalar = _scalar("mul_scalar", hologram.ops.mul_scalar)


def _setup_scalar(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.scalar = inputs[1]


add_scalar.register_autograd(lambda ctx, g: (g, None, None), setup_context=_setup_scalar)
mul_scalar.register_autograd(lambda ctx, g: (g * ctx.scalar, None, None), setup_context=_setup_scalar)


# -- activations -------------------------------------------------------------------------------

def _unary(name: str, hg_op: Any) -> Any:
    @torch.library.custom_op(f"hologram::{name}", mutates_args=())
    def op(a: torch.Tensor, executor: int = 0) -> torch.Tensor:
        ex = _executor(executor, a)
        out, out_buf = new_output(ex, a.shape, a)
        hg_op(ex, as_buffer(ex, a), out_buf)
        return out

    @op.register_fake
    def _(a: torch.Tensor, executor: int = 0) -> torch.Tensor:
        return torch.empty_like(a, memory_format=torch.contiguous_format)

    return op


relu = _unary("relu", hologram.ops.relu)
sigmoid = _unary("sigmoid", hologram.ops.sigmoid)
tanh = _unary("tanh", hologram.ops.tanh)
softmax = _unary("softmax", hologram.ops.softmax)
log_softmax = _unary("log_softmax", hologram.ops.log_softmax)


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
    ex = _executor(executor, a)
    out, out_buf = new_output(ex, a.shape, a)
    hologram.ops.gelu(ex, as_buffer(ex, a), out_buf, approximate=approximate)  # type: ignore[arg-type]
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

def _as_gemm_operand(ex: hologram.Executor, t: torch.Tensor) -> tuple[hologram.Buffer, bool]:
    """A 2-D operand for gemm: the tensor itself, or its transpose with the trans flag when that is
    contiguous (the backward pass's ``g @ b.T`` then needs no copy)."""
    if not t.is_contiguous() and t.mT.is_contiguous():
        return as_buffer(ex, t.mT), True
    return as_buffer(ex, t), False


def _gemm_into(ex: hologram.Executor, a: torch.Tensor, b: torch.Tensor, out_buf: hologram.Buffer,
               beta: float = 0.0) -> None:
    a_buf, trans_a = _as_gemm_operand(ex, a)
    b_buf, trans_b = _as_gemm_operand(ex, b)
    hologram.ops.gemm(ex, a_buf, b_buf, out_buf, trans_a=trans_a, trans_b=trans_b, beta=beta)


def _matmul_shape(a: torch.Size, b: torch.Size) -> tuple[int, ...]:
    if len(a) == 2 and len(b) == 2:
        return (a[0], b[1])
    if len(a) == 3 and len(b) == 3:
        return (a[0], a[1], b[2])
    return (a[0], a[1], b[1])  # 3-D @ 2-D


@torch.library.custom_op("hologram::matmul", mutates_args=())
def matmul(a: torch.Tensor, b: torch.Tensor, executor: int = 0) -> torch.Tensor:
    ex = _executor(executor, a)
    out, out_buf = new_output(ex, _matmul_shape(a.shape, b.shape), a)
    if a.dim() == 2:
        _gemm_into(ex, a, b, out_buf.reshape(out.shape))
    elif b.dim() == 2:  # (B, m, k) @ (k, n): one gemm over the B*m rows
        _gemm_into(ex, a.reshape(-1, a.shape[-1]), b, out_buf.reshape(a.shape[0] * a.shape[1], b.shape[1]))
    else:
        for i in range(a.shape[0]):
            _, out_i = new_output_view(ex, out, i)
            _gemm_into(ex, a[i], b[i], out_i)
    return out


def new_output_view(ex: hologram.Executor, out: torch.Tensor, i: int) -> tuple[torch.Tensor, hologram.Buffer]:
    """Batch ``i`` of a contiguous output tensor, as a buffer sharing its memory."""
    view = out[i]
    return view, as_buffer(ex, view)


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
    ex = _executor(executor, x)
    rows = x.numel() // x.shape[-1] if x.shape[-1] else math.prod(x.shape[:-1])
    out, out_buf = new_output(ex, (*x.shape[:-1], weight.shape[0]), x)
    beta = 0.0
    if bias is not None and out.numel():
        # Seed every row with the bias (a broadcast copy on host memory), then gemm accumulates.
        from hologram_torch._bridge import _host_array

        _host_array(out).reshape(rows, weight.shape[0])[...] = _host_array(bias)
        beta = 1.0
    _gemm_into(ex, x.reshape(rows, x.shape[-1]), weight.mT, out_buf.reshape(rows, weight.shape[0]), beta)
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
    ex = _executor(executor, pred)
    out, out_buf = new_output(ex, (), pred)
    hologram.ops.mse_loss(ex, as_buffer(ex, pred), as_buffer(ex, target), out_buf)
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
    ex = _executor(executor, logits)
    rows = logits.shape[:-1]
    _logp, logp_buf = new_output(ex, logits.shape, logits)
    hologram.ops.log_softmax(ex, as_buffer(ex, logits), logp_buf)
    _prod, prod_buf = new_output(ex, logits.shape, logits)
    hologram.ops.mul(ex, logp_buf, as_buffer(ex, target), prod_buf)
    out, out_buf = new_output(ex, rows, logits)
    hologram.ops.sum(ex, prod_buf, axis=-1, out=out_buf)
    hologram.ops.neg(ex, out_buf, out_buf)
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
