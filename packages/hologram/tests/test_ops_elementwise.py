"""Elementwise ops against float64 NumPy references.

Every op runs in float32 and float64, through ``hg.ops`` and through the
low-level ``hg.<name>_f32/_f64`` functions, into a fresh output and in place
(the output is the input), on hypothesis-drawn arrays: sizes 0, 1, odd,
around the kernels' unroll widths and up to 5000, with NaN, +-inf, signed
zeros, subnormals, the extremes of the dtype and arguments at the overflow
thresholds of exp/sigmoid/tanh (+-88, +-104, +-710, +-1e4). Low-level outputs
get a spare tail that must stay untouched (only ``n`` elements are written).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pytest
from backends_under_test import BackendUnderTest, tolerance
from hypothesis import given
from hypothesis import strategies as st
from op_reference import (
    APIS,
    DTYPES,
    EPS32,
    EPS64,
    F32,
    F64,
    SENTINEL,
    SUB32,
    SUB64,
    Tol,
    arrays,
    bulk_activations,
    bulk_wide,
    check,
    exact,
    f64,
    fixture_examples,
    gelu_tanh_u,
    lowlevel,
    ref_gelu,
    ref_gelu_tanh,
    ref_sigmoid,
    sizes,
    to_dtype,
)

import hologram as hg

#: Run on every backend of the op suite (conftest.py).
ALL_BACKENDS = True

# ---------------------------------------------------------------------------------------------
# Accuracy required of each op, per dtype, against the float64 reference of the same inputs.
# ---------------------------------------------------------------------------------------------

_ROUNDED = ("IEEE +, -, *, sqrt are correctly rounded; for float32 the float64 result rounded "
            "to float32 is that same value (double rounding is innocuous since 53 >= 2*24 + 2), "
            "so there is exactly one right answer, signed zeros included")
_SELECT = "a selection of one operand (no rounding); the sign of max(-0.0, +0.0) is unspecified"
# float32 transcendentals: libm's expf/logf/tanhf are within 1-2 ulp (glibc measures <= 1.3), the
# CPU backend's own kernels within 3.5 (cpu_vmath.h; gelu is the least accurate): 4 eps (4-8 ulp)
# leaves margin for other backends while still failing any float32 evaluation with cancellation. Results that
# underflow into the subnormals have an absolute resolution of one subnormal step: 2 of those.
_F32_LIBM = Tol("close", rtol=4 * EPS32, atol=2 * SUB32,
                note="libm-grade float32: 4 eps relative, 2 subnormal steps absolute")
# float64: the result of libm and of NumPy's own loops each err by <= 2-4 ulp.
_F64_LIBM = Tol("close", rtol=8 * EPS64, atol=2 * SUB64,
                note="libm-grade float64: 8 eps relative, 2 subnormal steps absolute")

TOL: dict[str, dict[np.dtype, Tol]] = {
    "add": {F32: exact(note=_ROUNDED), F64: exact(note=_ROUNDED)},
    "sub": {F32: exact(note=_ROUNDED), F64: exact(note=_ROUNDED)},
    "mul": {F32: exact(note=_ROUNDED), F64: exact(note=_ROUNDED)},
    # IEEE division is correctly rounded too; one ulp admits a reciprocal-and-multiply kernel.
    "div": {d: Tol("ulp", ulps=1, signed_zeros=True, note="division: 1 ulp") for d in (F32, F64)},
    "maximum": {F32: exact(False, _SELECT), F64: exact(False, _SELECT)},
    "minimum": {F32: exact(False, _SELECT), F64: exact(False, _SELECT)},
    # Sign manipulation only: bit-exact, including the sign of zero.
    "neg": {F32: exact(note="sign flip"), F64: exact(note="sign flip")},
    "abs": {F32: exact(note="sign clear"), F64: exact(note="sign clear")},
    "relu": {F32: exact(False, _SELECT), F64: exact(False, _SELECT)},
    "sqrt": {F32: exact(note=_ROUNDED), F64: exact(note=_ROUNDED)},
    # The scalar is rounded to the buffer's dtype first (as NumPy does with a Python float
    # next to a float32 array); then one IEEE operation.
    "add_scalar": {F32: exact(note=_ROUNDED), F64: exact(note=_ROUNDED)},
    "mul_scalar": {F32: exact(note=_ROUNDED), F64: exact(note=_ROUNDED)},
    "clip": {F32: exact(False, _SELECT), F64: exact(False, _SELECT)},
    # fill stores the value rounded to the dtype; copy moves bits (checked bit-exact, NaN payloads too).
    "fill": {F32: exact(note="value rounded to the dtype"), F64: exact(note="value rounded to the dtype")},
    "copy": {F32: exact(note="bit copy"), F64: exact(note="bit copy")},
    "exp": {F32: _F32_LIBM, F64: _F64_LIBM},
    "log": {F32: _F32_LIBM, F64: _F64_LIBM},
    "tanh": {F32: _F32_LIBM, F64: _F64_LIBM},
    "sigmoid": {F32: _F32_LIBM, F64: _F64_LIBM},
    "gelu": {
        F32: _F32_LIBM,
        # erfc's relative condition number at z = -x/sqrt 2 is ~2z^2 = x^2: the one rounding of
        # x/sqrt 2 that any float64 evaluation makes moves the result by ~x^2 ulp. Below
        # x ~ -37 erfc itself is subnormal, so the absolute slack scales with |x| too.
        F64: Tol("close", rtol=8 * EPS64, atol=8 * SUB64, rfactor=lambda x: 1.0 + x * x,
                 afactor=lambda x: 1.0 + np.abs(x), note="8 eps * (1 + x^2): erfc's conditioning"),
    },
    "gelu_tanh": {
        F32: _F32_LIBM,
        # x * sigmoid(2u): a relative error d in u becomes |2u| d in the result when u << 0, and
        # u = sqrt(2/pi)(x + 0.044715 x^3) takes ~4 roundings to evaluate in float64.
        # Results near x ~ -21 are tiny (down to subnormal): 8 subnormal steps * (1 + |x|) of
        # absolute slack, as for gelu (test_gelu_tanh_f64_tiny_results pins that range).
        F64: Tol("close", rtol=16 * EPS64, atol=8 * SUB64,
                 rfactor=lambda x: 1.0 + np.abs(2.0 * gelu_tanh_u(x)),
                 afactor=lambda x: 1.0 + np.abs(x),
                 note="16 eps * (1 + |2u|): conditioning of exp(2u)"),
    },
}


# ---------------------------------------------------------------------------------------------
# The ops, each reachable through both APIs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    ops: Callable[..., Any]                  # hg.ops.<name>
    stem: str                                # low-level name without _f32/_f64
    ref: Callable[..., np.ndarray]           # float64 reference
    bulk: Callable[..., np.ndarray] = bulk_wide


def _positive_wide(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.abs(bulk_wide(rng, n)) * np.where(rng.random(n) < 0.05, -1.0, 1.0)


BINARY: dict[str, Op] = {
    "add": Op(hg.ops.add, "vector_add", np.add),
    "sub": Op(hg.ops.sub, "vector_sub", np.subtract),
    "mul": Op(hg.ops.mul, "vector_mul", np.multiply),
    "div": Op(hg.ops.div, "vector_div", np.divide),
    "maximum": Op(hg.ops.maximum, "vector_max", np.maximum),
    "minimum": Op(hg.ops.minimum, "vector_min", np.minimum),
}

UNARY: dict[str, Op] = {
    "neg": Op(hg.ops.neg, "vector_neg", np.negative),
    "abs": Op(hg.ops.abs, "vector_abs", np.abs),
    "relu": Op(hg.ops.relu, "vector_relu", lambda x: np.maximum(x, 0.0)),
    "exp": Op(hg.ops.exp, "vector_exp", np.exp, bulk_activations),
    "log": Op(hg.ops.log, "vector_log", np.log, _positive_wide),
    "sqrt": Op(hg.ops.sqrt, "vector_sqrt", np.sqrt, _positive_wide),
    "sigmoid": Op(hg.ops.sigmoid, "sigmoid", ref_sigmoid, bulk_activations),
    "tanh": Op(hg.ops.tanh, "tanh", np.tanh, bulk_activations),
    "gelu": Op(partial(hg.ops.gelu, approximate="none"), "gelu", ref_gelu, bulk_activations),
    "gelu_tanh": Op(partial(hg.ops.gelu, approximate="tanh"), "gelu_tanh", ref_gelu_tanh, bulk_activations),
}

SCALAR: dict[str, Op] = {
    "add_scalar": Op(hg.ops.add_scalar, "scalar_add", np.add),
    "mul_scalar": Op(hg.ops.mul_scalar, "scalar_mul", np.multiply),
}

MODES = ("new", "inplace")
DTYPE_IDS = ["f32", "f64"]


def _lowlevel_out(ex: hg.Executor, n: int, dtype: Any) -> hg.Buffer:
    """A low-level output with two spare elements past ``n`` that must stay as they are."""
    return ex.from_numpy(np.full(n + 2, SENTINEL, dtype=dtype))


def _result(out: hg.Buffer, n: int, spare_tail: bool) -> np.ndarray:
    got = out.to_numpy().reshape(-1).copy()
    if spare_tail:
        assert (got[n:] == SENTINEL).all(), f"elements past n={n} were written: {got[n:]}"
    return got[:n]


def run(ex: hg.Executor, api: str, op: Op, inputs: list[np.ndarray], mode: str,
        scalars: tuple[float, ...] = ()) -> np.ndarray:
    """Runs ``op`` on copies of ``inputs`` through ``api``; returns the result as an array.

    mode "new": a separate output (ops: allocated by the op; low-level: with a spare
    tail); "inplace": the output is the first input's buffer. Inputs that are not
    the output must come back unchanged.
    """
    dtype = inputs[0].dtype
    n = inputs[0].size
    bufs = [ex.from_numpy(x) for x in inputs]
    if api == "ops":
        out = bufs[0] if mode == "inplace" else None
        res = op.ops(ex, *bufs, *scalars, out=out)
        assert isinstance(res, hg.Buffer) and res.dtype == dtype and res.shape == inputs[0].shape
        if mode == "inplace":
            assert res is bufs[0]
        got = _result(res, n, False)
    else:
        out = bufs[0] if mode == "inplace" else _lowlevel_out(ex, n, dtype)
        assert lowlevel(op.stem, dtype)(ex, *bufs, out, n, *scalars) is None
        got = _result(out, n, mode != "inplace")
    for i, (x, b) in enumerate(zip(inputs, bufs, strict=True)):
        if not (i == 0 and mode == "inplace"):
            np.testing.assert_array_equal(b.to_numpy(), x, err_msg="an input was modified")
    return got


# ---------------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(BINARY))
@fixture_examples()
@given(data=st.data())
def test_binary(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str, mode: str, data: st.DataObject) -> None:
    op = BINARY[name]
    n = data.draw(sizes, label="n")
    a = data.draw(arrays(dtype, n, bulk=op.bulk), label="a")
    b = data.draw(arrays(dtype, n, bulk=op.bulk), label="b")
    got = run(ex, api, op, [a, b], mode)
    with np.errstate(all="ignore"):
        ref = op.ref(f64(a), f64(b))
    check(tolerance(TOL, backend, name, dtype), got, ref, dtype, what=f"{name} {np.dtype(dtype)} {api} {mode}",
          inputs={"a": a, "b": b})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(UNARY))
@fixture_examples()
@given(data=st.data())
def test_unary(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str, mode: str, data: st.DataObject) -> None:
    op = UNARY[name]
    x = data.draw(arrays(dtype, bulk=op.bulk), label="x")
    got = run(ex, api, op, [x], mode)
    with np.errstate(all="ignore"):
        ref = op.ref(f64(x))
    check(tolerance(TOL, backend, name, dtype), got, ref, dtype, what=f"{name} {np.dtype(dtype)} {api} {mode}",
          inputs={"x": x}, x=f64(x))


#: Python floats of any magnitude: they are rounded to the buffer's dtype by the op.
scalars = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.1, 1e-40, 1e-310, 1e39, 3.5e38]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(SCALAR))
@fixture_examples()
@given(data=st.data())
def test_scalar(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str, mode: str, data: st.DataObject) -> None:
    op = SCALAR[name]
    x = data.draw(arrays(dtype), label="x")
    s = data.draw(scalars, label="scalar")
    got = run(ex, api, op, [x], mode, (s,))
    s_rounded = float(to_dtype(s, dtype))
    with np.errstate(all="ignore"):
        ref = op.ref(f64(x), s_rounded)
    check(tolerance(TOL, backend, name, dtype), got, ref, dtype,
          what=f"{name}(scalar={s!r}) {np.dtype(dtype)} {api} {mode}", inputs={"x": x})


CLIP = Op(hg.ops.clip, "vector_clip", lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi))
bounds = st.one_of(st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, -1.0, 1.0, math.inf, -math.inf]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@fixture_examples()
@given(data=st.data())
def test_clip(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str, mode: str, data: st.DataObject) -> None:
    """np.minimum(np.maximum(x, lo), hi): lo > hi gives hi, NaN in x stays NaN."""
    x = data.draw(arrays(dtype), label="x")
    lo, hi = data.draw(bounds, label="lo"), data.draw(bounds, label="hi")
    got = run(ex, api, CLIP, [x], mode, (lo, hi))
    with np.errstate(all="ignore"):
        ref = CLIP.ref(f64(x), float(to_dtype(lo, dtype)), float(to_dtype(hi, dtype)))
    check(tolerance(TOL, backend, "clip", dtype), got, ref, dtype,
          what=f"clip({lo!r}, {hi!r}) {np.dtype(dtype)} {api} {mode}", inputs={"x": x})


# ---------------------------------------------------------------------------------------------
# Fixed cases
# ---------------------------------------------------------------------------------------------


def _edge_pair(dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    fi = np.finfo(dtype)
    a = np.array([1.5, -0.0, 0.0, np.nan, np.inf, -np.inf, fi.smallest_subnormal, fi.max, 3.0, -2.0, 7.0],
                 dtype=dtype)
    b = np.array([-0.25, 0.0, -0.0, 1.0, np.inf, 2.0, fi.smallest_subnormal, fi.max, np.nan, 0.0, 3.0],
                 dtype=dtype)
    return a, b


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_aliasing(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str) -> None:
    """The output may be exactly the second input, or both inputs and the output one buffer."""
    op = BINARY[name]
    tol = tolerance(TOL, backend, name, dtype)
    a, b = _edge_pair(dtype)
    n = a.size

    def fn(ex: hg.Executor, x: hg.Buffer, y: hg.Buffer, out: hg.Buffer) -> None:
        if api == "ops":
            assert op.ops(ex, x, y, out=out) is out
        else:
            lowlevel(op.stem, dtype)(ex, x, y, out, n)

    with np.errstate(all="ignore"):
        # out is b: a (op) b lands in b.
        ba, bb = ex.from_numpy(a), ex.from_numpy(b)
        fn(ex, ba, bb, out=bb)
        check(tol, bb.to_numpy(), op.ref(f64(a), f64(b)), dtype, what=f"{name} out=b", inputs={"a": a, "b": b})
        np.testing.assert_array_equal(ba.to_numpy(), a)
        # a is b is out: x (op) x in place.
        bx = ex.from_numpy(a)
        fn(ex, bx, bx, out=bx)
        check(tol, bx.to_numpy(), op.ref(f64(a), f64(a)), dtype, what=f"{name} a=b=out", inputs={"a": a})


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.usefixtures("host_memory")
def test_wrapped_array_in_place(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str) -> None:
    """An in-place op on a buffer that wraps a NumPy array updates that array."""
    arr = np.linspace(-3.0, 3.0, 33).astype(dtype)
    want = to_dtype(ref_sigmoid(f64(arr)), dtype)
    buf = ex.wrap(arr)
    if api == "ops":
        hg.ops.sigmoid(ex, buf, out=buf)
    else:
        lowlevel("sigmoid", dtype)(ex, buf, buf, arr.size)
    check(tolerance(TOL, backend, "sigmoid", dtype), arr, want, dtype, what="sigmoid in place on a wrapped array")


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_subnormals_are_not_flushed(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str) -> None:
    """Gradual underflow: no flush-to-zero of subnormal inputs or results."""
    s = np.finfo(dtype).smallest_subnormal
    tiny = np.finfo(dtype).tiny
    a = np.array([s, 3 * s, tiny, tiny / 2, -s], dtype=dtype)
    b = np.array([s, s, -tiny / 2, tiny / 4, s], dtype=dtype)
    np.testing.assert_array_equal(run(ex, api, BINARY["add"], [a, b], "new"),
                                  np.array([2 * s, 4 * s, tiny / 2, tiny * 0.75, 0.0], dtype=dtype))
    np.testing.assert_array_equal(run(ex, api, BINARY["sub"], [a, b], "new"), (a - b))
    np.testing.assert_array_equal(run(ex, api, SCALAR["mul_scalar"], [a], "new", (0.5,)), a * dtype(0.5))
    np.testing.assert_array_equal(run(ex, api, UNARY["neg"], [a], "new"), -a)
    assert (run(ex, api, UNARY["sqrt"], [np.abs(a)], "new") > 0).all()


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "gelu", "gelu_tanh"])
def test_near_overflow(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str) -> None:
    """At and beyond the overflow thresholds: saturate to the right limit, never NaN."""
    x = np.array([88.0, 88.72, 89.0, 103.0, 104.0, 700.0, 709.7, 710.0, 746.0, 1e4, 1e30],
                 dtype=np.float64)
    x = np.concatenate([x, -x]).astype(dtype)
    got = run(ex, api, UNARY[name], [x], "new")
    with np.errstate(all="ignore"):
        ref = UNARY[name].ref(f64(x))
    check(tolerance(TOL, backend, name, dtype), got, ref, dtype, what=f"{name} near overflow", inputs={"x": x}, x=f64(x))
    assert not np.isnan(got).any()
    big = np.abs(f64(x)) >= 1e4
    pos, neg = big & (x > 0), big & (x < 0)
    limits = {"exp": (np.inf, 0.0), "sigmoid": (1.0, 0.0), "tanh": (1.0, -1.0),
              "gelu": (None, 0.0), "gelu_tanh": (None, 0.0)}[name]
    if limits[0] is not None:
        assert (got[pos] == limits[0]).all(), got[pos]
    else:
        np.testing.assert_array_equal(got[pos], x[pos])  # gelu(x) = x for large x
    assert (got[neg] == limits[1]).all(), got[neg]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_clip_with_lo_above_hi_gives_hi(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    x = np.array([-5.0, 0.0, 1.5, 2.5, 10.0, np.nan, np.inf, -np.inf], dtype=dtype)
    want = np.array([1.0, 1.0, 1.0, 1.0, 1.0, np.nan, 1.0, 1.0], dtype=dtype)
    np.testing.assert_array_equal(hg.ops.clip(ex, ex.from_numpy(x), 2.0, 1.0).to_numpy(), want)
    out = ex.allocate(x.size, dtype)
    lowlevel("vector_clip", dtype)(ex, ex.from_numpy(x), out, x.size, 2.0, 1.0)
    np.testing.assert_array_equal(out.to_numpy(), want)
    np.testing.assert_array_equal(want, np.clip(f64(x), 2.0, 1.0).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("lo_hi", [(math.nan, 1.0), (0.0, math.nan), (math.nan, math.nan)])
def test_clip_rejects_nan_bounds(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, lo_hi: tuple[float, float]) -> None:
    a = ex.from_numpy(np.arange(4, dtype=dtype))
    with pytest.raises(hg.InvalidArgumentError, match="NaN"):
        hg.ops.clip(ex, a, *lo_hi)
    with pytest.raises(hg.InvalidArgumentError, match="NaN"):
        lowlevel("vector_clip", dtype)(ex, a, ex.allocate(4, dtype), 4, *lo_hi)


def test_gelu_rejects_unknown_approximation(ex: hg.Executor, backend: BackendUnderTest) -> None:
    with pytest.raises(hg.InvalidArgumentError, match="approximate"):
        hg.ops.gelu(ex, ex.zeros(3), approximate="erf")  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.float64], ids=["f64"])
@pytest.mark.parametrize("api", APIS)
def test_gelu_tanh_f64_tiny_results(ex: hg.Executor, backend: BackendUnderTest, api: str, dtype: Any) -> None:
    """x in [-21.52, -21.16] once overflowed exp(-2u) and gave -0.0 instead of tiny results."""
    x = np.array([-21.165, -21.2, -21.25, -21.4, -21.5], dtype=np.float64)
    got = run(ex, api, UNARY["gelu_tanh"], [x], "new")
    ref = ref_gelu_tanh(x)
    assert (ref < 0).all() and (np.abs(ref) < 1.2e-307).all()
    check(Tol("close", rtol=16 * EPS64, atol=8 * SUB64, rfactor=lambda x: 1.0 + np.abs(2.0 * gelu_tanh_u(x)),
              afactor=lambda x: 1.0 + np.abs(x)), got, ref, np.float64, what="gelu_tanh f64", inputs={"x": x}, x=x)


fill_values = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1e-40, 1e-310, 3.5e38, 1e39]))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@fixture_examples()
@given(data=st.data())
def test_fill_and_copy(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str, data: st.DataObject) -> None:
    """fill writes the value rounded to the dtype; copy is bit-exact; both touch only n elements."""
    x = data.draw(arrays(dtype), label="x")
    value = data.draw(fill_values, label="value")
    n = x.size
    buf = ex.from_numpy(np.full(n + 2, SENTINEL, dtype=dtype))
    dst = ex.from_numpy(np.full(n + 2, SENTINEL, dtype=dtype))
    if api == "ops":
        src = ex.from_numpy(np.concatenate([x, np.full(2, SENTINEL, dtype)]))
        assert hg.ops.fill(ex, buf, value) is buf
        assert hg.ops.copy(ex, src, dst) is dst
        want_fill = np.full(n + 2, to_dtype(value, dtype))
    else:
        src = ex.from_numpy(x)
        hg.buffer_fill(ex, buf, value, n)
        hg.buffer_copy(ex, src, dst, n)
        want_fill = np.concatenate([np.full(n, to_dtype(value, dtype)), np.full(2, SENTINEL, dtype)])
    check(tolerance(TOL, backend, "fill", dtype), buf.to_numpy(), want_fill, dtype, what=f"fill({value!r}) {api}")
    got = dst.to_numpy()
    check(tolerance(TOL, backend, "copy", dtype), got[:n], x, dtype, what=f"copy {api}")
    # Bit-exact copy (NaN payloads included); the ops copy moves the whole buffer.
    np.testing.assert_array_equal(got[:n].view(f"u{got.itemsize}"), x.view(f"u{x.itemsize}"))
    assert (got[n:] == SENTINEL).all()


# A device backend's vector loop works in tiles (CUDA: 4 x 256 float4 per block, all loads
# issued before the first store), with a scalar tail: sizes on both sides of a tile, of a
# vector and of the tail, each in a fresh output and in place.
_TILE_SIZES = [3, 4, 5, 1023, 1024, 1025, 4095, 4096, 4097, 4100, 8191, 12_289, (1 << 20) + 3]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", ["add", "relu", "gelu"])
def test_sizes_around_vector_tiles(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any) -> None:
    rng = np.random.default_rng(len(name))
    for n in _TILE_SIZES:
        x = (rng.standard_normal(n) * 4).astype(dtype)
        y = (rng.standard_normal(n) * 4).astype(dtype)
        if name == "add":
            ref, args = f64(x) + f64(y), (x, y)
        else:
            ref, args = UNARY[name].ref(f64(x)), (x,)
        tol = tolerance(TOL, backend, name, dtype)
        op = BINARY[name] if name == "add" else UNARY[name]
        bufs = [ex.from_numpy(a) for a in args]
        check(tol, op.ops(ex, *bufs).to_numpy(), ref, dtype, what=f"{name} n={n}", inputs={"x": x}, x=x)
        op.ops(ex, *bufs, out=bufs[0])
        check(tol, bufs[0].to_numpy(), ref, dtype, what=f"{name} n={n} in place", inputs={"x": x}, x=x)
