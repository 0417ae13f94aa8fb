"""Ops on raw host memory: the fast path for frameworks that own their arrays.

A tensor library (hologram-torch is the first user) already holds its data
in host memory and knows each array's address. Wrapping every operand in a
:class:`hologram.Buffer` for one call costs a handle, a lock and a Python
object per operand; these functions hand the addresses straight to the core,
which runs the same validation and kernels as the buffer ops. Each operand
is a C-contiguous array of ``dtype`` (``"float32"`` or ``"float64"``) at an
integer address (``tensor.data_ptr()``, ``array.ctypes.data``) that must stay
valid for the call; nothing is retained afterwards. Only executors whose
memory the CPU addresses accept them (others raise
:class:`hologram.NotHostAddressableError`).

    >>> import numpy as np, hologram as hg
    >>> from hologram import hostcall
    >>> a = np.arange(4, dtype=np.float32); out = np.empty_like(a)
    >>> with hg.Executor(backend="cpu") as ex:
    ...     hostcall.binary(ex, "add", "float32", a.ctypes.data, a.ctypes.data, out.ctypes.data, 4)
    >>> out.tolist()
    [0.0, 2.0, 4.0, 6.0]

Op names are those of :mod:`hologram.ops` (``"add"``, ``"relu"``,
``"gelu_tanh"``, ``"mul_scalar"``, ``"softmax"``, ``"sum"``, ``"mse"``...).
"""

from __future__ import annotations

from hologram._core import fast, lib, raise_status
from hologram.errors import DTypeError, InvalidArgumentError
from hologram.executor import Executor

__all__ = ["binary", "gemm", "loss", "reduce", "rowwise", "scalar", "unary"]

_DTYPES = {"float32": lib.HG_DTYPE_FLOAT32, "float64": lib.HG_DTYPE_FLOAT64}
_FAMILIES = {
    "binary": ("add", "sub", "mul", "div", "maximum", "minimum"),
    "unary": ("neg", "abs", "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "gelu", "gelu_tanh"),
    "scalar": ("add_scalar", "mul_scalar", "clip"),
    "rowwise": ("softmax", "log_softmax"),
    "reduce": ("sum", "max", "min", "mean"),
    "loss": ("mse", "cross_entropy", "binary_cross_entropy"),
}
_CODES = {family: {name: getattr(lib, f"HG_OP_{name.upper()}") for name in names}
          for family, names in _FAMILIES.items()}


def _code(family: str, op: str) -> int:
    try:
        return _CODES[family][op]
    except KeyError:
        raise InvalidArgumentError(
            f"hostcall.{family}: unknown op {op!r}; expected one of {', '.join(_FAMILIES[family])}"
        ) from None


def _dtype(dtype: str) -> int:
    try:
        return _DTYPES[dtype]
    except (KeyError, TypeError):
        raise DTypeError(f"hostcall: dtype must be 'float32' or 'float64', got {dtype!r}") from None


def _handle(executor: Executor, family: str) -> int:
    """The executor's handle address, for the METH_FASTCALL entry points (hologram_core._fast_calls)."""
    try:
        return executor._ex_addr
    except AttributeError:
        raise TypeError(f"hostcall.{family}: the first argument must be a hologram.Executor, "
                        f"got {type(executor).__name__}") from None


def binary(executor: Executor, op: str, dtype: str, a: int, b: int, out: int, n: int) -> None:
    """``out[i] = op(a[i], b[i])`` for ``n`` elements (``out`` may be ``a`` or ``b``)."""
    status = fast.binary_host(_handle(executor, "binary"), _code("binary", op), _dtype(dtype), a, b, out, n)
    if status:
        raise_status(status, op)


def unary(executor: Executor, op: str, dtype: str, a: int, out: int, n: int) -> None:
    """``out[i] = op(a[i])`` for ``n`` elements."""
    status = fast.unary_host(_handle(executor, "unary"), _code("unary", op), _dtype(dtype), a, out, n)
    if status:
        raise_status(status, op)


def scalar(executor: Executor, op: str, dtype: str, a: int, out: int, n: int, s0: float,
           s1: float = 0.0) -> None:
    """``out[i] = op(a[i], s0[, s1])``: ``add_scalar``, ``mul_scalar``, ``clip`` (``s0``/``s1`` = min/max)."""
    status = fast.scalar_host(_handle(executor, "scalar"), _code("scalar", op), _dtype(dtype), a, out, n,
                              s0, s1)
    if status:
        raise_status(status, op)


def rowwise(executor: Executor, op: str, dtype: str, a: int, out: int, rows: int, cols: int) -> None:
    """Row-wise ``softmax``/``log_softmax`` of a ``rows x cols`` row-major array."""
    status = fast.rowwise_host(_handle(executor, "rowwise"), _code("rowwise", op), _dtype(dtype), a, out,
                               rows, cols)
    if status:
        raise_status(status, op)


def reduce(executor: Executor, op: str, dtype: str, a: int, out: int, rows: int, cols: int) -> None:
    """``out[r] = op(a[r, :])`` over each row of a ``rows x cols`` array (``rows=1``: everything)."""
    status = fast.reduce_host(_handle(executor, "reduce"), _code("reduce", op), _dtype(dtype), a, out,
                              rows, cols)
    if status:
        raise_status(status, op)


def loss(executor: Executor, op: str, dtype: str, pred: int, target: int, out: int, rows: int,
         cols: int) -> None:
    """``out[0] = op(pred, target)`` (``mse``, ``cross_entropy``, ``binary_cross_entropy``)."""
    status = fast.loss_host(_handle(executor, "loss"), _code("loss", op), _dtype(dtype), pred, target, out,
                            rows, cols)
    if status:
        raise_status(status, op)


def gemm(executor: Executor, dtype: str, a: int, b: int, c: int, m: int, n: int, k: int, *,
         trans_a: bool = False, trans_b: bool = False, alpha: float = 1.0, beta: float = 0.0) -> None:
    """``c = alpha * op(a) @ op(b) + beta * c`` on row-major arrays; ``c`` is ``m x n``."""
    status = fast.gemm_host(_handle(executor, "gemm"), _dtype(dtype), a, b, c, m, n, k, int(trans_a),
                            int(trans_b), float(alpha), float(beta))
    if status:
        raise_status(status, "gemm")
