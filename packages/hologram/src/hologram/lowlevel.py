"""The low-level functions of the original ``hologram-ffi`` Python API.

Names and argument order are kept: the executor first, then buffers, then
element counts ``n`` (matrices row-major). Each function is one call into the
C core, which validates everything (open executor, live buffers of that
executor, dtype, ``n`` within every buffer), so the Python side costs a few
attribute loads (the handles' addresses) and one METH_FASTCALL call, which
keeps the GIL for ops of fewer than 16K elements (releasing it would cost
about as much as the op) and releases it for larger ones. Bad arguments raise a :class:`~hologram.HologramError`
subclass naming the problem; nothing is silently truncated.

``*_f64`` twins take float64 buffers. ``buffer_copy_from_slice`` and
``buffer_to_vec`` move data as JSON text: they are kept for compatibility and
are the slow path — use ``Buffer.from_numpy``/``to_numpy`` (zero-copy) or
``buffer_copy_from_bytes``.
"""

from __future__ import annotations

import json
import numbers
import operator
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from hologram._core import fast, lib, raise_status
from hologram.buffer import Buffer
from hologram.errors import ExecutorMismatchError, InvalidArgumentError
from hologram.executor import Executor

__all__: list[str] = [
    "buffer_copy", "buffer_copy_from_bytes", "buffer_copy_from_slice", "buffer_fill",
    "buffer_to_bytes", "buffer_to_vec", "get_version",
]

_DTYPES = {"f32": lib.HG_DTYPE_FLOAT32, "f64": lib.HG_DTYPE_FLOAT64}
_TYPE_NAMES = {"f32": "float32", "f64": "float64"}


def _bad_call(name: str, exc: BaseException, **args: Any) -> NoReturn:
    """Turns a failed argument conversion into an error that names the argument."""
    for arg, value in args.items():
        if arg == "exec":
            if not isinstance(value, Executor):
                raise TypeError(f"{name}: 'exec' must be a hologram.Executor, got {type(value).__name__}") from None
        elif arg in ("a", "b", "c", "x", "y", "out", "pred", "target", "buf", "src", "dst"):
            if not isinstance(value, Buffer):
                raise TypeError(f"{name}: {arg!r} must be a hologram.Buffer, got {type(value).__name__}") from None
        elif arg in ("n", "m", "k"):
            try:
                count = operator.index(value)
            except TypeError:
                raise TypeError(f"{name}: {arg!r} must be an int, got {type(value).__name__}") from None
            if not -(2**63) <= count < 2**63:
                raise InvalidArgumentError(f"{name}: {arg}={count} is out of range for a 64-bit count") from None
        elif not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: {arg!r} must be a number, got {type(value).__name__}") from None
    raise exc


def _export(fn: Callable[..., Any], name: str, doc: str) -> None:
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "hologram"
    fn.__doc__ = doc
    globals()[name] = fn
    __all__.append(name)


def _binary(stem: str, code: int, sym: str, suffix: str) -> None:
    name, dtype, call = f"vector_{stem}_{suffix}", _DTYPES[suffix], fast.binary

    def f(exec: Executor, a: Buffer, b: Buffer, c: Buffer, n: int) -> None:
        try:
            status = call(exec._ex_addr, code, dtype, a._buf_addr, b._buf_addr, c._buf_addr, n)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, b=b, c=c, n=n)
        if status:
            raise_status(status, name, "c")

    _export(f, name, f"``c[:n] = {sym}`` elementwise on {_TYPE_NAMES[suffix]} buffers.")


def _unary(fname: str, code: int, what: str, suffix: str) -> None:
    name, dtype, call = f"{fname}_{suffix}", _DTYPES[suffix], fast.unary

    def f(exec: Executor, a: Buffer, c: Buffer, n: int) -> None:
        try:
            status = call(exec._ex_addr, code, dtype, a._buf_addr, c._buf_addr, n)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, c=c, n=n)
        if status:
            raise_status(status, name, "c")

    _export(f, name, f"``c[:n] = {what}(a[:n])`` elementwise on {_TYPE_NAMES[suffix]} buffers.")


def _rowwise(fname: str, code: int, what: str, suffix: str) -> None:
    name, dtype, call = f"{fname}_{suffix}", _DTYPES[suffix], fast.rowwise

    def f(exec: Executor, a: Buffer, c: Buffer, n: int) -> None:
        try:
            status = call(exec._ex_addr, code, dtype, a._buf_addr, c._buf_addr, 1, n)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, c=c, n=n)
        if status:
            raise_status(status, name, "c")

    _export(f, name, f"``c[:n] = {what}(a[:n])`` over the whole vector, {_TYPE_NAMES[suffix]}.")


def _scalar(stem: str, code: int, sym: str, suffix: str) -> None:
    name, dtype, call = f"scalar_{stem}_{suffix}", _DTYPES[suffix], fast.scalar

    def f(exec: Executor, a: Buffer, c: Buffer, n: int, scalar: float) -> None:
        try:
            status = call(exec._ex_addr, code, dtype, a._buf_addr, c._buf_addr, n, scalar, 0.0)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, c=c, n=n, scalar=scalar)
        if status:
            raise_status(status, name, "c")

    _export(f, name, f"``c[:n] = a[:n] {sym} scalar`` on {_TYPE_NAMES[suffix]} buffers.")


def _clip(suffix: str) -> None:
    name, dtype, call, code = f"vector_clip_{suffix}", _DTYPES[suffix], fast.scalar, lib.HG_OP_CLIP

    def f(exec: Executor, a: Buffer, c: Buffer, n: int, min_val: float, max_val: float) -> None:
        try:
            status = call(exec._ex_addr, code, dtype, a._buf_addr, c._buf_addr, n, min_val, max_val)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, c=c, n=n, min_val=min_val, max_val=max_val)
        if status:
            raise_status(status, name, "c")

    _export(f, name, f"``c[:n] = min(max(a[:n], min_val), max_val)`` on {_TYPE_NAMES[suffix]} buffers.")


def _reduce(stem: str, code: int, suffix: str) -> None:
    name, dtype, call = f"reduce_{stem}_{suffix}", _DTYPES[suffix], fast.reduce

    def f(exec: Executor, a: Buffer, out: Buffer, n: int) -> float:
        try:
            status, value = call(exec._ex_addr, code, dtype, a._buf_addr, out._buf_addr, 1, n)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, out=out, n=n)
        if status:
            raise_status(status, name)
        return value

    _export(f, name, f"The {stem} of ``a[:n]`` ({_TYPE_NAMES[suffix]}); also written to ``out[0]``.")


def _loss(stem: str, code: int, formula: str, suffix: str) -> None:
    name, dtype, call = f"{stem}_loss_{suffix}", _DTYPES[suffix], fast.loss

    def f(exec: Executor, pred: Buffer, target: Buffer, out: Buffer, n: int) -> float:
        try:
            status, value = call(exec._ex_addr, code, dtype, pred._buf_addr, target._buf_addr, out._buf_addr, 1, n)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, pred=pred, target=target, out=out, n=n)
        if status:
            raise_status(status, name)
        return value

    _export(f, name, f"{formula} over ``n`` {_TYPE_NAMES[suffix]} elements; also written to ``out[0]``.")


def _gemm(suffix: str) -> None:
    name, dtype, call = f"gemm_{suffix}", _DTYPES[suffix], fast.gemm

    def f(exec: Executor, a: Buffer, b: Buffer, c: Buffer, m: int, n: int, k: int) -> None:
        try:
            status = call(exec._ex_addr, dtype, a._buf_addr, b._buf_addr, c._buf_addr, m, n, k, 0, 0, 1.0, 0.0)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, b=b, c=c, m=m, n=n, k=k)
        if status:
            raise_status(status, name)

    _export(f, name, f"``C = A @ B`` with A m x k, B k x n, C m x n, row-major {_TYPE_NAMES[suffix]}.")


def _matvec(suffix: str) -> None:
    name, dtype, call = f"matvec_{suffix}", _DTYPES[suffix], fast.matvec

    def f(exec: Executor, a: Buffer, x: Buffer, y: Buffer, m: int, n: int) -> None:
        try:
            status = call(exec._ex_addr, dtype, a._buf_addr, x._buf_addr, y._buf_addr, m, n)
        except (AttributeError, TypeError, OverflowError) as exc:
            _bad_call(name, exc, exec=exec, a=a, x=x, y=y, m=m, n=n)
        if status:
            raise_status(status, name)

    _export(f, name, f"``y = A @ x`` with A m x n row-major, {_TYPE_NAMES[suffix]}.")


for _sfx in ("f32", "f64"):
    for _stem, _code, _sym in (
        ("add", lib.HG_OP_ADD, "a[:n] + b[:n]"), ("sub", lib.HG_OP_SUB, "a[:n] - b[:n]"),
        ("mul", lib.HG_OP_MUL, "a[:n] * b[:n]"), ("div", lib.HG_OP_DIV, "a[:n] / b[:n]"),
        ("min", lib.HG_OP_MINIMUM, "minimum(a[:n], b[:n])"), ("max", lib.HG_OP_MAXIMUM, "maximum(a[:n], b[:n])"),
    ):
        _binary(_stem, _code, _sym, _sfx)
    for _fname, _code, _what in (
        ("vector_abs", lib.HG_OP_ABS, "abs"), ("vector_neg", lib.HG_OP_NEG, "-"),
        ("vector_relu", lib.HG_OP_RELU, "relu"), ("vector_exp", lib.HG_OP_EXP, "exp"),
        ("vector_log", lib.HG_OP_LOG, "log"), ("vector_sqrt", lib.HG_OP_SQRT, "sqrt"),
        ("sigmoid", lib.HG_OP_SIGMOID, "sigmoid"), ("tanh", lib.HG_OP_TANH, "tanh"),
        ("gelu", lib.HG_OP_GELU, "gelu (erf form)"), ("gelu_tanh", lib.HG_OP_GELU_TANH, "gelu (tanh form)"),
    ):
        _unary(_fname, _code, _what, _sfx)
    _rowwise("softmax", lib.HG_OP_SOFTMAX, "softmax", _sfx)
    _rowwise("log_softmax", lib.HG_OP_LOG_SOFTMAX, "log_softmax", _sfx)
    _scalar("add", lib.HG_OP_ADD_SCALAR, "+", _sfx)
    _scalar("mul", lib.HG_OP_MUL_SCALAR, "*", _sfx)
    _clip(_sfx)
    for _stem, _code in (("sum", lib.HG_OP_SUM), ("min", lib.HG_OP_MIN), ("max", lib.HG_OP_MAX),
                         ("mean", lib.HG_OP_MEAN)):
        _reduce(_stem, _code, _sfx)
    for _stem, _code, _formula in (
        ("mse", lib.HG_OP_MSE, "``mean((pred - target)**2)``"),
        ("cross_entropy", lib.HG_OP_CROSS_ENTROPY, "``-sum(target * log(pred))`` (logs clamped at -100)"),
        ("binary_cross_entropy", lib.HG_OP_BINARY_CROSS_ENTROPY,
         "``-mean(t log p + (1 - t) log(1 - p))`` (logs clamped at -100)"),
    ):
        _loss(_stem, _code, _formula, _sfx)
    _gemm(_sfx)
    _matvec(_sfx)


def _owned(exec: Any, buf: Any, name: str) -> Buffer:
    if not isinstance(exec, Executor):
        raise TypeError(f"{name}: 'exec' must be a hologram.Executor, got {type(exec).__name__}")
    if not isinstance(buf, Buffer):
        raise TypeError(f"{name}: 'buf' must be a hologram.Buffer, got {type(buf).__name__}")
    if buf.executor is not exec:
        raise ExecutorMismatchError(f"{name}: the buffer belongs to another executor")
    return buf


def buffer_copy_from_bytes(exec: Executor, buf: Buffer, data: Any) -> None:
    """Copies raw bytes (exactly ``buf.nbytes``, any buffer-protocol object) into ``buf``."""
    _owned(exec, buf, "buffer_copy_from_bytes").from_bytes(data)


def buffer_to_bytes(exec: Executor, buf: Buffer) -> bytes:
    """The contents of ``buf`` as ``bytes`` (one copy)."""
    return _owned(exec, buf, "buffer_to_bytes").to_bytes()


def buffer_copy_from_slice(exec: Executor, buf: Buffer, data: str) -> None:
    """Copies a JSON list of numbers into ``buf``. Slow path, kept for compatibility."""
    _owned(exec, buf, "buffer_copy_from_slice")
    try:
        values = json.loads(data)
    except (TypeError, json.JSONDecodeError) as exc:
        raise InvalidArgumentError(f"buffer_copy_from_slice: data must be a JSON list of numbers ({exc})") from None
    if not isinstance(values, list):
        raise InvalidArgumentError("buffer_copy_from_slice: data must be a JSON list of numbers")
    try:
        array = np.array(values, dtype=buf.dtype.numpy)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"buffer_copy_from_slice: data must be a flat list of numbers ({exc})") from None
    buf.from_numpy(array)


def buffer_to_vec(exec: Executor, buf: Buffer) -> str:
    """The contents of ``buf`` as JSON text. Slow path, kept for compatibility."""
    return json.dumps(_owned(exec, buf, "buffer_to_vec").to_numpy().ravel().tolist())


def buffer_fill(exec: Executor, buf: Buffer, value: float, n: int) -> None:
    """Sets ``buf[:n]`` to ``value``."""
    _owned(exec, buf, "buffer_fill")
    try:
        status = lib.hg_fill(exec._h, buf._h, value, n)
    except (TypeError, OverflowError) as exc:
        _bad_call("buffer_fill", exc, value=value, n=n)
    if status:
        raise_status(status, "buffer_fill")


def buffer_copy(exec: Executor, src: Buffer, dst: Buffer, n: int) -> None:
    """Copies ``src[:n]`` into ``dst[:n]``."""
    try:
        status = lib.hg_copy(exec._h, src._h, dst._h, n)
    except (AttributeError, TypeError, OverflowError) as exc:
        _bad_call("buffer_copy", exc, exec=exec, src=src, dst=dst, n=n)
    if status:
        raise_status(status, "buffer_copy")


def get_version() -> str:
    """The version of the hologram package."""
    from hologram import __version__

    return __version__
