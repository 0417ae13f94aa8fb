"""Dtype-generic ops on buffers: ``hologram.ops.add(exec, a, b, out=None)`` and friends.

Each op takes the executor first (as the original ``hologram-ffi`` API does),
works on whole buffers, infers rows and columns from :attr:`Buffer.shape`
(row-wise ops and reductions work on the last axis), allocates ``out`` when
it is not given and returns it. Operands must share one dtype (float32 or
float64) and one executor. The low-level ``*_f32``/``*_f64`` functions call
the same core entry points with explicit counts.
"""

from __future__ import annotations

import math
from typing import Literal

from hologram._core import check, fast, lib, raise_status
from hologram.buffer import Buffer
from hologram.errors import InvalidArgumentError, ShapeError
from hologram.executor import Executor

__all__ = [
    "abs", "add", "add_scalar", "binary_cross_entropy", "clip", "copy", "cross_entropy", "div", "exp",
    "fill", "gelu", "gemm", "log", "log_softmax", "matvec", "max", "maximum", "mean", "min", "minimum",
    "mse_loss", "mul", "mul_scalar", "neg", "relu", "sigmoid", "softmax", "sqrt", "sub", "sum", "tanh",
]

_ANY = lib.HG_DTYPE_ANY


def _buffer(x: object, name: str, op: str) -> Buffer:
    if not isinstance(x, Buffer):
        raise TypeError(f"{op}: {name!r} must be a hologram.Buffer, got {type(x).__name__}")
    return x


def _executor(x: object, op: str) -> Executor:
    if not isinstance(x, Executor):
        raise TypeError(f"{op}: the first argument must be a hologram.Executor, got {type(x).__name__}")
    return x


def _explain(op: str, **args: object) -> None:
    """Raises the TypeError that names a wrong argument (after a failed fast path)."""
    for name, value in args.items():
        if name == "exec":
            _executor(value, op)
        elif value is not None or name != "out":
            _buffer(value, name, op)


def _same_size(a: Buffer, b: Buffer, op: str, names: str = "a and b") -> None:
    if a.size != b.size:
        raise ShapeError(f"{op}: {names} differ in size ({a.size} vs {b.size} elements)")


def _out_like(exec: Executor, a: Buffer, out: Buffer | None, op: str, shape: tuple[int, ...] | None = None) -> Buffer:
    if out is None:
        if shape is None:
            return Buffer._like(exec, a)
        return Buffer._new(exec, shape, math.prod(shape), a._dtype)
    out = _buffer(out, "out", op)
    need = math.prod(a.shape if shape is None else shape)
    if out.size != need:
        raise ShapeError(f"{op}: out holds {out.size} elements, the result has {need}")
    return out


def _rows_cols(a: Buffer) -> tuple[int, int]:
    if not a.shape:
        return 1, 1
    cols = a.shape[-1]
    return (a.size // cols if cols else math.prod(a.shape[:-1])), cols


def _binary(code: int, name: str):  # type: ignore[no-untyped-def]
    call, like = fast.binary, Buffer._like

    def op(exec: Executor, a: Buffer, b: Buffer, out: Buffer | None = None) -> Buffer:
        try:
            n = a._n
            if b._n != n:
                _same_size(a, b, name)
            if out is None:
                out = like(exec, a)
            elif out._n != n:
                _out_like(exec, a, out, name)
            status = call(exec._ex_addr, code, _ANY, a._buf_addr, b._buf_addr, out._buf_addr, n)
        except AttributeError:
            _explain(name, exec=exec, a=a, b=b, out=out)
            raise
        if status:
            raise_status(status, name)
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` of two buffers of the same size; returns ``out``."
    return op


add = _binary(lib.HG_OP_ADD, "add")
sub = _binary(lib.HG_OP_SUB, "sub")
mul = _binary(lib.HG_OP_MUL, "mul")
div = _binary(lib.HG_OP_DIV, "div")
maximum = _binary(lib.HG_OP_MAXIMUM, "maximum")
minimum = _binary(lib.HG_OP_MINIMUM, "minimum")


def _unary(code: int, name: str, doc: str):  # type: ignore[no-untyped-def]
    call, like = fast.unary, Buffer._like

    def op(exec: Executor, a: Buffer, out: Buffer | None = None) -> Buffer:
        try:
            n = a._n
            if out is None:
                out = like(exec, a)
            elif out._n != n:
                _out_like(exec, a, out, name)
            status = call(exec._ex_addr, code, _ANY, a._buf_addr, out._buf_addr, n)
        except AttributeError:
            _explain(name, exec=exec, a=a, out=out)
            raise
        if status:
            raise_status(status, name)
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {doc}; returns ``out``."
    return op


neg = _unary(lib.HG_OP_NEG, "neg", "negation")
abs = _unary(lib.HG_OP_ABS, "abs", "absolute value")
relu = _unary(lib.HG_OP_RELU, "relu", "``max(x, 0)``")
sigmoid = _unary(lib.HG_OP_SIGMOID, "sigmoid", "logistic sigmoid (stable for large ``|x|``)")
tanh = _unary(lib.HG_OP_TANH, "tanh", "hyperbolic tangent")
exp = _unary(lib.HG_OP_EXP, "exp", "exponential")
log = _unary(lib.HG_OP_LOG, "log", "natural logarithm")
sqrt = _unary(lib.HG_OP_SQRT, "sqrt", "square root")


_GELU = {"none": _unary(lib.HG_OP_GELU, "gelu", "GELU"),
         "tanh": _unary(lib.HG_OP_GELU_TANH, "gelu", "tanh-form GELU")}


def gelu(exec: Executor, a: Buffer, out: Buffer | None = None,
         approximate: Literal["none", "tanh"] = "none") -> Buffer:
    """Elementwise GELU: the exact erf form, or PyTorch's ``approximate='tanh'`` form."""
    try:
        op = _GELU[approximate]
    except (KeyError, TypeError):
        raise InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}") from None
    return op(exec, a, out)  # type: ignore[no-any-return]


def _scalar(exec: Executor, code: int, name: str, a: Buffer, s0: float, s1: float, out: Buffer | None) -> Buffer:
    s0, s1 = float(s0), float(s1)
    try:
        out = _out_like(exec, a, out, name)
        status = fast.scalar(exec._ex_addr, code, _ANY, a._buf_addr, out._buf_addr, a._n, s0, s1)
    except AttributeError:
        _explain(name, exec=exec, a=a, out=out)
        raise
    if status:
        raise_status(status, name)
    return out


def add_scalar(exec: Executor, a: Buffer, scalar: float, out: Buffer | None = None) -> Buffer:
    """``a + scalar`` elementwise; returns ``out``."""
    return _scalar(exec, lib.HG_OP_ADD_SCALAR, "add_scalar", a, scalar, 0.0, out)


def mul_scalar(exec: Executor, a: Buffer, scalar: float, out: Buffer | None = None) -> Buffer:
    """``a * scalar`` elementwise; returns ``out``."""
    return _scalar(exec, lib.HG_OP_MUL_SCALAR, "mul_scalar", a, scalar, 0.0, out)


def clip(exec: Executor, a: Buffer, min_val: float, max_val: float, out: Buffer | None = None) -> Buffer:
    """``min(max(a, min_val), max_val)`` elementwise (NaN stays NaN, like ``np.clip``)."""
    return _scalar(exec, lib.HG_OP_CLIP, "clip", a, min_val, max_val, out)


def _reduction(code: int, name: str, doc: str):  # type: ignore[no-untyped-def]
    call = fast.reduce

    def op(exec: Executor, a: Buffer, axis: int | None = None, out: Buffer | None = None) -> float | Buffer:
        try:
            if axis is None:
                # Without out, the core writes the value into a scratch buffer of its own.
                out_addr = 0 if out is None else _out_like(exec, a, out, name, (1,))._buf_addr
                status, value = call(exec._ex_addr, code, _ANY, a._buf_addr, out_addr, 1, a._n)
                result: float | Buffer = value
            else:
                if axis not in (-1, len(a._shape) - 1):
                    raise InvalidArgumentError(
                        f"{name}: only axis=None or the last axis (-1) is supported, got {axis}")
                rows, cols = _rows_cols(a)
                out = _out_like(exec, a, out, name, a._shape[:-1] or (1,))
                status, _ = call(exec._ex_addr, code, _ANY, a._buf_addr, out._buf_addr, rows, cols)
                result = out
        except AttributeError:
            _explain(name, exec=exec, a=a, out=out)
            raise
        if status:
            raise_status(status, name)
        return result

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"{doc} of all elements (``axis=None``: returns a float) or over the last axis "
                  "(``axis=-1``: returns a buffer of one value per row).")
    return op


sum = _reduction(lib.HG_OP_SUM, "sum", "Sum")
max = _reduction(lib.HG_OP_MAX, "max", "Maximum (NaN propagates)")
min = _reduction(lib.HG_OP_MIN, "min", "Minimum (NaN propagates)")
mean = _reduction(lib.HG_OP_MEAN, "mean", "Mean")


def _rowwise(code: int, name: str, doc: str):  # type: ignore[no-untyped-def]
    call = fast.rowwise

    def op(exec: Executor, a: Buffer, out: Buffer | None = None) -> Buffer:
        try:
            out = _out_like(exec, a, out, name)
            rows, cols = _rows_cols(a)
            status = call(exec._ex_addr, code, _ANY, a._buf_addr, out._buf_addr, rows, cols)
        except AttributeError:
            _explain(name, exec=exec, a=a, out=out)
            raise
        if status:
            raise_status(status, name)
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{doc} over the last axis (max-subtracted, so large inputs do not overflow)."
    return op


softmax = _rowwise(lib.HG_OP_SOFTMAX, "softmax", "Softmax")
log_softmax = _rowwise(lib.HG_OP_LOG_SOFTMAX, "log_softmax", "Log-softmax")


def _loss(code: int, name: str, doc: str):  # type: ignore[no-untyped-def]
    call = fast.loss

    def op(exec: Executor, pred: Buffer, target: Buffer, out: Buffer | None = None) -> float:
        try:
            if target._n != pred._n:
                _same_size(pred, target, name, "pred and target")
            # Without out, the core writes the value into a scratch buffer of its own.
            out_addr = 0 if out is None else _buffer(out, "out", name)._buf_addr
            rows, cols = _rows_cols(pred)
            status, value = call(exec._ex_addr, code, _ANY, pred._buf_addr, target._buf_addr, out_addr, rows, cols)
        except AttributeError:
            _explain(name, exec=exec, pred=pred, target=target, out=out)
            raise
        if status:
            raise_status(status, name)
        return value

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


mse_loss = _loss(lib.HG_OP_MSE, "mse_loss", "Mean squared error ``mean((pred - target)**2)``.")
cross_entropy = _loss(
    lib.HG_OP_CROSS_ENTROPY, "cross_entropy",
    "Cross-entropy of probabilities ``-sum(target * log(pred)) / rows`` over the last axis "
    "(logs clamped at -100, as PyTorch does).",
)
binary_cross_entropy = _loss(
    lib.HG_OP_BINARY_CROSS_ENTROPY, "binary_cross_entropy",
    "Binary cross-entropy ``-mean(t log p + (1 - t) log(1 - p))`` (logs clamped at -100, as PyTorch does).",
)


def gemm(exec: Executor, a: Buffer, b: Buffer, out: Buffer | None = None, *, trans_a: bool = False,
         trans_b: bool = False, alpha: float = 1.0, beta: float = 0.0) -> Buffer:
    """``out = alpha * op(a) @ op(b) + beta * out`` on 2-D row-major buffers.

    ``op(x)`` is ``x.T`` when the matching ``trans_*`` flag is set. With
    ``beta == 0`` the old contents of ``out`` are never read.
    """
    try:
        sa, sb = a._shape, b._shape
    except AttributeError:
        _explain("gemm", exec=exec, a=a, b=b)
        raise
    for name, shape in (("a", sa), ("b", sb)):
        if len(shape) != 2:
            raise ShapeError(f"gemm: {name!r} must be 2-D (use buf.reshape(rows, cols)), got shape {shape}")
    m, k = (sa[1], sa[0]) if trans_a else sa
    kb, n = (sb[1], sb[0]) if trans_b else sb
    if k != kb:
        raise ShapeError(f"gemm: inner dimensions differ: op(a) is {m}x{k}, op(b) is {kb}x{n}")
    try:
        if out is None:
            beta = 0.0
            out = Buffer._new(exec, (m, n), m * n, a._dtype)
        elif out._n != m * n:
            _out_like(exec, a, out, "gemm", (m, n))
        status = fast.gemm(exec._ex_addr, _ANY, a._buf_addr, b._buf_addr, out._buf_addr, m, n, k, int(trans_a),
                           int(trans_b), float(alpha), float(beta))
    except AttributeError:
        _explain("gemm", exec=exec, a=a, b=b, out=out)
        raise
    if status:
        raise_status(status, "gemm")
    return out


def matvec(exec: Executor, a: Buffer, x: Buffer, out: Buffer | None = None) -> Buffer:
    """``out = a @ x`` for a 2-D ``a`` of shape ``(m, n)`` and ``x`` of ``n`` elements."""
    _executor(exec, "matvec")
    if _buffer(a, "a", "matvec").ndim != 2:
        raise ShapeError(f"matvec: 'a' must be 2-D, got shape {a.shape}")
    m, n = a.shape
    if _buffer(x, "x", "matvec").size != n:
        raise ShapeError(f"matvec: x has {x.size} elements, a has {n} columns")
    out = _out_like(exec, x, out, "matvec", (m,))
    status = fast.matvec(exec._ex_addr, _ANY, a._buf_addr, x._buf_addr, out._buf_addr, m, n)
    if status:
        raise_status(status, "matvec")
    return out


def fill(exec: Executor, buf: Buffer, value: float) -> Buffer:
    """Sets every element of ``buf`` to ``value``; returns it."""
    _executor(exec, "fill")
    check(lib.hg_fill(exec._h, _buffer(buf, "buf", "fill")._h, float(value), buf.size), "fill")
    return buf


def copy(exec: Executor, src: Buffer, dst: Buffer) -> Buffer:
    """Copies ``src`` into ``dst`` (same size and dtype); returns ``dst``."""
    _executor(exec, "copy")
    _same_size(_buffer(src, "src", "copy"), _buffer(dst, "dst", "copy"), "copy", "src and dst")
    check(lib.hg_copy(exec._h, src._h, dst._h, src.size), "copy")
    return dst
