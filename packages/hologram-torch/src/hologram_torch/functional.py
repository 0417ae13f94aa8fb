"""``hologram_torch.functional``: PyTorch's functional ops, run by Hologram.

Names and semantics follow ``torch`` / ``torch.nn.functional``. Every
function takes an optional :class:`hologram.Executor` first, as the original
API does (``add(exec, a, b)``), or none (``add(a, b)``: the default
executor, created on first use). Inputs are float32 or float64 tensors on the
CPU or on the ``'hologram'`` device; contiguous CPU tensors are read in place
and the result is a new tensor that Hologram wrote into.

Each call is a ``hologram::`` torch op, so autograd, ``torch.compile`` and
``torch.library.opcheck`` work. When nothing needs a gradient and no
compiler is tracing, the op's kernel is called directly, which skips the
dispatcher's fixed cost (the same kernel either way); for plain contiguous
CPU tensors on the default executor the elementwise, activation and softmax
calls go further, straight to the core (:mod:`hologram_torch._lean`).

Broadcasting is deliberately narrow: a Python number, a 0-dim tensor, or a
tensor of the same shape. Anything else raises :class:`hologram.ShapeError`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import torch

import hologram
from hologram_torch import _lean, _ops
from hologram_torch._bridge import check_float, executor_id

__all__ = [
    "add", "cross_entropy", "div", "gelu", "linear", "log_softmax", "matmul", "mse_loss", "mul", "relu",
    "sigmoid", "softmax", "sub", "tanh",
]

F = TypeVar("F", bound=Callable[..., Any])
Scalar = int | float


def _takes_executor(fn: F) -> F:
    """Lets ``fn(exec, *args)`` and ``fn(*args)`` both work: a leading Executor becomes ``executor=``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], hologram.Executor):
            if "executor" in kwargs:
                raise TypeError(f"{fn.__name__}() got the executor twice (positionally and as executor=)")
            kwargs["executor"] = args[0]
            args = args[1:]
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _direct(args: tuple[Any, ...]) -> bool:
    """True when the kernel may be called without the dispatcher: no autograd, no tracing."""
    if torch.compiler.is_compiling():
        return False
    if torch.is_grad_enabled():
        for a in args:
            if isinstance(a, torch.Tensor) and a.requires_grad:
                return False
    return True


def _run(op: Any, *args: Any) -> torch.Tensor:
    """Calls the ``hologram::`` op: its kernel directly when nothing traces or needs gradients."""
    if _direct(args):
        return op._init_fn(*args)  # type: ignore[no-any-return]
    return op(*args)  # type: ignore[no-any-return]


def _check_same_shape(op: str, a: torch.Tensor, b: torch.Tensor, names: str = "a and b") -> None:
    if a.shape != b.shape:
        raise hologram.ShapeError(
            f"hologram_torch.{op}: {names} have shapes {tuple(a.shape)} and {tuple(b.shape)}; hologram "
            "broadcasts only a scalar or a tensor of the same shape (expand it explicitly with "
            "b.expand_as(a) if that is what you mean)"
        )


def _binary(name: str, tensor_op: Any, scalar_fn: Callable[[torch.Tensor, float, int], torch.Tensor],
            lean_scalar: Callable[[float], tuple[str, float] | None]) -> Any:
    """``lean_scalar(s)`` names the scalar op and operand that ``scalar_fn`` uses for ``op(a, s)``."""

    def fn(a: torch.Tensor | Scalar, b: torch.Tensor | Scalar, *, executor: hologram.Executor | None = None
           ) -> torch.Tensor:
        if executor is None:
            if type(b) is float or type(b) is int:  # not bool, not a number subclass
                spec = lean_scalar(float(b)) if abs(b) <= _MAX_LEAN_INT else None
                out = _lean.scalar(spec[0], a, spec[1]) if spec is not None else None
            else:
                out = _lean.binary(name, a, b)
            if out is not None:
                return out
        if not isinstance(a, torch.Tensor):
            if not isinstance(b, torch.Tensor):
                raise TypeError(f"hologram_torch.{name}: at least one argument must be a tensor")
            a = torch.full_like(b, float(a))
        key = executor_id(executor)
        if not isinstance(b, torch.Tensor):
            if isinstance(b, bool) or not isinstance(b, (int, float)):
                raise TypeError(f"hologram_torch.{name}: b must be a tensor or a number, got {type(b).__name__}")
            check_float(name, a=a)
            return scalar_fn(a, float(b), key)
        check_float(name, a=a, b=b)
        if b.dim() == 0 and a.dim() != 0:
            b = b.expand_as(a)
        elif a.dim() == 0 and b.dim() != 0:
            a = a.expand_as(b)
        _check_same_shape(name, a, b)
        return _run(tensor_op, a, b, key)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Elementwise ``torch.{name}(a, b)``: same-shape tensors, or one of them a Python "
                  "number or 0-dim tensor.")
    return _takes_executor(fn)


# Integers beyond this go the full way, whose float() conversion explains an overflow.
_MAX_LEAN_INT = 2**1000

add = _binary("add", _ops.add, lambda a, s, k: _run(_ops.add_scalar, a, s, k), lambda s: ("add_scalar", s))
sub = _binary("sub", _ops.sub, lambda a, s, k: _run(_ops.add_scalar, a, -s, k), lambda s: ("add_scalar", -s))
mul = _binary("mul", _ops.mul, lambda a, s, k: _run(_ops.mul_scalar, a, s, k), lambda s: ("mul_scalar", s))
div = _binary("div", _ops.div, lambda a, s, k: _run(_ops.mul_scalar, a, 1.0 / s, k) if s != 0
              else _run(_ops.div, a, torch.full_like(a, 0.0), k),
              lambda s: ("mul_scalar", 1.0 / s) if s != 0 else None)


def _activation(name: str, op: Any, doc: str) -> Any:
    def fn(x: torch.Tensor, *, executor: hologram.Executor | None = None) -> torch.Tensor:
        if executor is None:
            out = _lean.unary(name, x)
            if out is not None:
                return out
        check_float(name, x=x)
        return _run(op, x, executor_id(executor))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return _takes_executor(fn)


relu = _activation("relu", _ops.relu, "``torch.relu(x)``: ``max(x, 0)`` elementwise.")
sigmoid = _activation("sigmoid", _ops.sigmoid, "``torch.sigmoid(x)``, stable for large ``|x|``.")
tanh = _activation("tanh", _ops.tanh, "``torch.tanh(x)``.")


_GELU_OPS = {"none": "gelu", "tanh": "gelu_tanh"}


@_takes_executor
def gelu(x: torch.Tensor, approximate: Literal["none", "tanh"] = "none", *,
         executor: hologram.Executor | None = None) -> torch.Tensor:
    """``torch.nn.functional.gelu``: the exact erf form, or ``approximate='tanh'``."""
    if executor is None and approximate in _GELU_OPS:
        out = _lean.unary(_GELU_OPS[approximate], x)
        if out is not None:
            return out
    check_float("gelu", x=x)
    if approximate not in _GELU_OPS:
        raise hologram.InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _run(_ops.gelu, x, approximate, executor_id(executor))


def _rowwise(name: str, op: Any) -> Any:
    def fn(x: torch.Tensor, dim: int = -1, *, executor: hologram.Executor | None = None) -> torch.Tensor:
        if executor is None:
            out = _lean.rowwise(name, x, dim)
            if out is not None:
                return out
        check_float(name, x=x)
        key = executor_id(executor)
        if x.dim() == 0:
            return _run(op, x.reshape(1), key).reshape(())
        d = dim + x.dim() if dim < 0 else dim
        if not 0 <= d < x.dim():
            raise IndexError(f"hologram_torch.{name}: dim {dim} is out of range for a {x.dim()}-D tensor")
        if d == x.dim() - 1:
            return _run(op, x, key)
        # Another axis: move it last (one copy in), run the row kernel, move it back (a view).
        return _run(op, x.movedim(d, -1).contiguous(), key).movedim(-1, d)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``torch.nn.functional.{name}(x, dim)``: max-subtracted over ``dim`` "
                  "(default the last; other axes are moved last and back).")
    return _takes_executor(fn)


softmax = _rowwise("softmax", _ops.softmax)
log_softmax = _rowwise("log_softmax", _ops.log_softmax)


@_takes_executor
def matmul(a: torch.Tensor, b: torch.Tensor, *, executor: hologram.Executor | None = None) -> torch.Tensor:
    """``torch.matmul`` for 2-D @ 2-D, batched 3-D @ 3-D (same batch) and 3-D @ 2-D."""
    check_float("matmul", a=a, b=b)
    ok = (a.dim(), b.dim()) in ((2, 2), (3, 3), (3, 2))
    if not ok:
        raise hologram.ShapeError(
            f"hologram_torch.matmul: supports 2-D @ 2-D, 3-D @ 3-D and 3-D @ 2-D, got {a.dim()}-D @ {b.dim()}-D"
        )
    if a.shape[-1] != b.shape[-2]:
        raise hologram.ShapeError(
            f"hologram_torch.matmul: inner dimensions differ: {tuple(a.shape)} @ {tuple(b.shape)}"
        )
    if a.dim() == 3 and b.dim() == 3 and a.shape[0] != b.shape[0]:
        raise hologram.ShapeError(
            f"hologram_torch.matmul: batch sizes differ: {a.shape[0]} and {b.shape[0]} (no batch broadcasting)"
        )
    return _run(_ops.matmul, a, b, executor_id(executor))


@_takes_executor
def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, *,
           executor: hologram.Executor | None = None) -> torch.Tensor:
    """``torch.nn.functional.linear``: ``x @ weight.T + bias`` for ``x`` of shape ``(..., in)``."""
    check_float("linear", x=x, weight=weight, bias=bias)
    if weight.dim() != 2:
        raise hologram.ShapeError(f"hologram_torch.linear: weight must be 2-D (out, in), got {tuple(weight.shape)}")
    if x.dim() == 0 or x.shape[-1] != weight.shape[1]:
        raise hologram.ShapeError(
            f"hologram_torch.linear: input of shape {tuple(x.shape)} does not match weight "
            f"{tuple(weight.shape)} (its last dimension must be {weight.shape[1]})"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise hologram.ShapeError(
            f"hologram_torch.linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}"
        )
    return _run(_ops.linear, x, weight, bias, executor_id(executor))


def _reduce(op: str, losses: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise hologram.InvalidArgumentError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


@_takes_executor
def mse_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean", *,
             executor: hologram.Executor | None = None) -> torch.Tensor:
    """``torch.nn.functional.mse_loss`` (same shapes; reduction 'mean', 'sum' or 'none')."""
    check_float("mse_loss", input=input, target=target)
    _check_same_shape("mse_loss", input, target, "input and target")
    key = executor_id(executor)
    if reduction == "mean":
        return _run(_ops.mse_loss, input, target, key)
    if reduction == "sum":
        return _run(_ops.mse_loss, input, target, key) * input.numel()
    diff = _run(_ops.sub, input, target, key)
    return _reduce("mse_loss", _run(_ops.mul, diff, diff, key), reduction)


@_takes_executor
def cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0, *,
                  executor: hologram.Executor | None = None) -> torch.Tensor:
    """``torch.nn.functional.cross_entropy`` of logits ``(N, C)`` (or ``(C,)``).

    ``target`` is class indices (an integer tensor of shape ``(N,)``) or class
    probabilities (the shape of ``input``). ``label_smoothing`` is supported;
    ``weight`` and a used ``ignore_index`` are not (they raise).
    """
    check_float("cross_entropy", input=input)
    if weight is not None:
        raise hologram.UnsupportedOperationError(
            "hologram_torch.cross_entropy: per-class weight is not supported; use torch.nn.functional.cross_entropy"
        )
    if input.dim() not in (1, 2):
        raise hologram.ShapeError(
            f"hologram_torch.cross_entropy: input must be (N, C) or (C,) logits, got shape {tuple(input.shape)}"
        )
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"hologram_torch.cross_entropy: target must be a tensor, got {type(target).__name__}")
    classes = input.shape[-1]
    if target.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        if tuple(target.shape) != tuple(input.shape[:-1]):
            raise hologram.ShapeError(
                f"hologram_torch.cross_entropy: class-index target must have shape {tuple(input.shape[:-1])}, "
                f"got {tuple(target.shape)}"
            )
        if not torch.compiler.is_compiling() and target.numel():
            lo, hi = int(target.min()), int(target.max())
            if lo == ignore_index or hi == ignore_index:
                raise hologram.UnsupportedOperationError(
                    "hologram_torch.cross_entropy: ignore_index is not supported; filter those rows out first"
                )
            if lo < 0 or hi >= classes:
                raise IndexError(f"hologram_torch.cross_entropy: class index out of range [0, {classes})")
        probs = torch.nn.functional.one_hot(target.long(), classes).to(input.dtype)
    else:
        check_float("cross_entropy", input=input, target=target)
        _check_same_shape("cross_entropy", input, target, "input and probability target")
        probs = target
    if label_smoothing:
        if not 0.0 <= label_smoothing <= 1.0:
            raise hologram.InvalidArgumentError(
                f"hologram_torch.cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
            )
        probs = probs * (1.0 - label_smoothing) + label_smoothing / classes
    losses = _run(_ops.cross_entropy, input, probs, executor_id(executor))
    return _reduce("cross_entropy", losses, reduction)
