"""Reductions, softmax/log_softmax and the losses against float64 NumPy references.

1-D inputs run through ``hg.ops`` (``axis=None``) and the low-level
``hg.reduce_*``/``hg.softmax*``/``hg.*_loss`` functions (one row of ``n``);
2-D inputs (rows x cols, either may be 0) run through ``hg.ops`` over the last
axis, which the low-level API cannot express. Sums are checked against the
exactly rounded sum (``math.fsum``), so the tolerances below are error bounds
of the summation itself, not of a second, equally rounded summation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
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
    bulk_logits,
    bulk_probs,
    bulk_unit,
    bulk_wide,
    check,
    check_bound,
    clamped_log,
    elements,
    eps,
    exact,
    exact_sum,
    f64,
    fixture_examples,
    lowlevel,
    matrices,
    row_sums,
    subnormal,
    summation_slack,
)

import hologram as hg

#: Run on every backend of the op suite (conftest.py).
ALL_BACKENDS = True

# ---------------------------------------------------------------------------------------------
# Accuracy required of each op, per dtype, against the float64 reference of the same inputs.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SumTol:
    """A summation bound: |got - exact| <= final eps |exact| + (log2 n + chain) eps sum|terms| + sub.

    exact is the correctly rounded (math.fsum) sum of the float64 terms, eps and sub
    (smallest subnormal) those of the dtype. `final`: ulps for rounding the result to the
    dtype (and a division, for means and losses). The second term is the error bound of a
    pairwise/blocked summation in the dtype (NumPy's own kind: log2 n levels plus
    sequential chains inside blocks), which a naive running sum (error ~ n eps) exceeds on
    long rows; `chain` also absorbs the roundings of computing each term (t log p, ...).
    """

    final: float
    chain: float


_SELECT = exact(False, "a selection of one element: no rounding (the sign of a zero result unspecified)")

TOL: dict[str, dict[np.dtype, Tol | SumTol]] = {
    "sum": {F32: SumTol(final=1, chain=16), F64: SumTol(final=1, chain=16)},
    "mean": {F32: SumTol(final=2, chain=16), F64: SumTol(final=2, chain=16)},  # + the division by n
    "max": {F32: _SELECT, F64: _SELECT},
    "min": {F32: _SELECT, F64: _SELECT},
    # softmax: exp(x - max) is one libm call (x - max is exact, or its rounding is shared with
    # any implementation), the row sum is a sum of positive terms (relative error
    # (log2 n + chain) eps, <= 36 eps for n = 1M), then one division. float32 results
    # rounded from a float64 evaluation carry <= 2 ulp; outputs that underflow into the
    # subnormals have an absolute resolution of one subnormal step.
    "softmax": {
        F32: Tol("close", rtol=4 * EPS32, atol=2 * SUB32, note="4 eps32"),
        F64: Tol("close", rtol=64 * EPS64, atol=2 * SUB64, note="64 eps64: exp + positive sum + division"),
    },
    # log_softmax = (x - max) - log(sum): log turns the sum's relative error into an absolute
    # error of the same size, whatever the magnitude of the output (near 0 when one element
    # dominates), hence an absolute term besides the relative one. float32: the sum cannot be
    # resolved finer than eps32 in float32.
    "log_softmax": {
        F32: Tol("close", rtol=4 * EPS32, atol=4 * EPS32, note="4 eps32 relative + 4 eps32 absolute"),
        F64: Tol("close", rtol=8 * EPS64, atol=64 * EPS64, note="8 eps64 relative + 64 eps64 absolute"),
    },
    # Losses are sums of per-element terms: (p - t)^2 (two roundings), t * max(log p, -100)
    # (one libm call + one product), the two-sided BCE term (two of those), then a division.
    "mse_loss": {F32: SumTol(final=2, chain=18), F64: SumTol(final=2, chain=18)},
    "cross_entropy": {F32: SumTol(final=2, chain=18), F64: SumTol(final=2, chain=18)},
    "binary_cross_entropy": {F32: SumTol(final=2, chain=20), F64: SumTol(final=2, chain=20)},
}

DTYPE_IDS = ["f32", "f64"]


def _tol(backend: BackendUnderTest, name: str, dtype: Any) -> Tol:
    t = tolerance(TOL, backend, name, dtype)
    assert isinstance(t, Tol)
    return t


def _sum_allowed(backend: BackendUnderTest, name: str, dtype: Any, ref: np.ndarray, mag: np.ndarray, n: Any) -> np.ndarray:
    """The :class:`SumTol` bound of ``name`` for results ``ref`` of ``n`` terms with sum|terms| ``mag``."""
    t = tolerance(TOL, backend, name, dtype)
    assert isinstance(t, SumTol)
    with np.errstate(invalid="ignore", over="ignore"):
        return t.final * eps(dtype) * np.abs(ref) + summation_slack(n, dtype, t.chain) * mag + subnormal(dtype)


def _as_result(value: float, dtype: Any) -> np.ndarray:
    """A float returned by a reduction, checked to be a value of ``dtype``, as a 0-d array."""
    assert isinstance(value, float), type(value)
    as_dtype = np.asarray(value, dtype=np.float64).astype(dtype)
    if not math.isnan(value):
        assert float(as_dtype) == value, f"{value!r} is not a {np.dtype(dtype)} value"
    return as_dtype


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------

REDUCTIONS = ("sum", "mean", "max", "min")


def reduce_1d(ex: hg.Executor, api: str, name: str, x: np.ndarray) -> np.ndarray:
    """The reduction of all of ``x`` through ``api``; also checks the buffers around it."""
    a = ex.from_numpy(x)
    if api == "ops":
        value = getattr(hg.ops, name)(ex, a)
    else:
        out = ex.from_numpy(np.full(2, SENTINEL, dtype=x.dtype))
        value = lowlevel(f"reduce_{name}", x.dtype)(ex, a, out, x.size)
        o = out.to_numpy()
        assert o[1] == SENTINEL, "reduce wrote past out[0]"
        np.testing.assert_array_equal(o[0], np.asarray(value, dtype=x.dtype), err_msg="out[0] != result")
    np.testing.assert_array_equal(a.to_numpy(), x, err_msg="the input was modified")
    return _as_result(value, x.dtype)


def check_reduction(backend: BackendUnderTest, name: str, got: np.ndarray, x2d: np.ndarray, dtype: Any, what: str) -> None:
    """Checks per-row results ``got`` (shape rows) of reduction ``name`` of the rows of ``x2d``."""
    x64 = f64(x2d)
    rows, cols = x64.shape
    if name in ("max", "min"):
        with np.errstate(invalid="ignore"):
            ref = (np.max if name == "max" else np.min)(x64, axis=1) if cols else np.empty(rows)
        check(_tol(backend, name, dtype), got, ref, dtype, what=what)
        return
    exact_rows, mag = row_sums(x64)
    if name == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            exact_rows, mag = exact_rows / cols, mag / cols  # 0/0: mean of nothing is NaN
    check_bound(got, exact_rows, dtype, _sum_allowed(backend, name, dtype, exact_rows, mag, cols), what=what,
                note=str(tolerance(TOL, backend, name, dtype)))


def _reduction_elements(backend: BackendUnderTest, dtype: Any, limit: float = 1e30) -> st.SearchStrategy[float]:
    """Any value, but float64 magnitudes below 1e300 so that no exact partial sum overflows.

    A backend that sums float32 in float32 (``wide_sums`` False) gets magnitudes below
    ``limit`` instead, so that no partial sum of its rows (up to ~7000 terms) overflows.
    """
    if np.dtype(dtype) == F32 and backend.wide_sums:
        return elements(dtype)
    if np.dtype(dtype) == F32:
        return st.one_of(elements(dtype, lo=-limit, hi=limit, nan=False),
                         st.sampled_from([math.nan, math.inf, -math.inf]))
    return st.one_of(elements(dtype, lo=-1e300, hi=1e300, nan=False),
                     st.sampled_from([math.nan, math.inf, -math.inf]))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", REDUCTIONS)
@fixture_examples()
@given(data=st.data())
def test_reduce_1d(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str, data: st.DataObject) -> None:
    x = data.draw(arrays(dtype, elems=_reduction_elements(backend, dtype), bulk=bulk_wide), label="x")
    what = f"{name} {np.dtype(dtype)} {api} n={x.size}"
    if x.size == 0 and name in ("max", "min"):
        with pytest.raises(hg.ShapeError, match="empty"):
            reduce_1d(ex, api, name, x)
        return
    got = reduce_1d(ex, api, name, x)
    check_reduction(backend, name, got.reshape(1), x.reshape(1, -1), dtype, what)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", REDUCTIONS)
@fixture_examples()
@given(data=st.data())
def test_reduce_rows(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, data: st.DataObject) -> None:
    """ops.<name>(axis=-1) of rows x cols, into a fresh or a given (NaN-filled) output."""
    x = data.draw(matrices(dtype, elems=_reduction_elements(backend, dtype), bulk=bulk_wide), label="x")
    rows, cols = x.shape
    given_out = data.draw(st.booleans(), label="given out")
    a = ex.from_numpy(x)
    out = ex.from_numpy(np.full(rows, np.nan, dtype=dtype)) if given_out else None
    fn = getattr(hg.ops, name)
    if cols == 0 and rows > 0 and name in ("max", "min"):
        with pytest.raises(hg.ShapeError, match="empty"):
            fn(ex, a, axis=-1, out=out)
        return
    res = fn(ex, a, axis=-1, out=out)
    assert isinstance(res, hg.Buffer) and res.shape == (rows,) and res.dtype == dtype
    if given_out:
        assert res is out
    check_reduction(backend, name, res.to_numpy(), x, dtype, f"{name} {np.dtype(dtype)} rows={rows} cols={cols}")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_reduce_last_axis_of_3d(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    x = np.arange(2 * 3 * 5, dtype=dtype).reshape(2, 3, 5) - 7
    a = ex.from_numpy(x)
    for name, ref in (("sum", x.sum(-1)), ("max", x.max(-1)), ("min", x.min(-1)), ("mean", x.mean(-1))):
        res = getattr(hg.ops, name)(ex, a, axis=-1)
        assert res.shape == (2, 3)
        np.testing.assert_allclose(res.to_numpy(), ref, rtol=eps(dtype))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", ["tenths", "mixed_signs", "ill_conditioned"])
def test_sum_of_a_million(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str, case: str) -> None:
    """1M elements: the error stays at the pairwise level (log2 n), where a naive running sum
    in the dtype drifts by ~n eps (0.1 summed 1M times in float32 naively is 1% off)."""
    n = 1_000_000
    rng = np.random.default_rng(1234)
    if case == "tenths":
        x = np.full(n, 0.1, dtype=dtype)
    elif case == "mixed_signs":
        x = rng.standard_normal(n).astype(dtype)
    else:  # large cancelling pairs around a small signal
        big = rng.uniform(1e3, 1e4, n // 2)
        x = np.concatenate([big, -big])
        x[::7] += 1.0
        x = rng.permutation(x).astype(dtype)
    for name in ("sum", "mean"):
        got = reduce_1d(ex, api, name, x)
        check_reduction(backend, name, got.reshape(1), x.reshape(1, -1), dtype, f"{name} of 1M ({case})")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_empty_reductions(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    """sum of nothing is 0, mean is NaN, max/min have no identity and raise ShapeError."""
    for api in APIS:
        assert float(reduce_1d(ex, api, "sum", np.empty(0, dtype))) == 0.0
        assert math.isnan(float(reduce_1d(ex, api, "mean", np.empty(0, dtype))))
        for name in ("max", "min"):
            with pytest.raises(hg.ShapeError):
                reduce_1d(ex, api, name, np.empty(0, dtype))
    empty_rows = ex.from_numpy(np.empty((4, 0), dtype))
    np.testing.assert_array_equal(hg.ops.sum(ex, empty_rows, axis=-1).to_numpy(), np.zeros(4))
    assert np.isnan(hg.ops.mean(ex, empty_rows, axis=-1).to_numpy()).all()
    for fn in (hg.ops.max, hg.ops.min):
        with pytest.raises(hg.ShapeError):
            fn(ex, empty_rows, axis=-1)
        with pytest.raises(hg.ShapeError):
            fn(ex, empty_rows)  # axis=None: all 0 elements
        # No rows at all: nothing to reduce, nothing to complain about (as NumPy).
        assert hg.ops.max(ex, ex.from_numpy(np.empty((0, 3), dtype)), axis=-1).shape == (0,)
        assert hg.ops.min(ex, ex.from_numpy(np.empty((0, 0), dtype)), axis=-1).shape == (0,)


# ---------------------------------------------------------------------------------------------
# softmax / log_softmax
# ---------------------------------------------------------------------------------------------


def ref_softmax(x2d: np.ndarray) -> np.ndarray:
    x = f64(x2d)
    if x.shape[-1] == 0:
        return x.copy()
    with np.errstate(all="ignore"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def ref_log_softmax(x2d: np.ndarray) -> np.ndarray:
    x = f64(x2d)
    if x.shape[-1] == 0:
        return x.copy()
    with np.errstate(all="ignore"):
        z = x - x.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


ROWWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {"softmax": ref_softmax,
                                                           "log_softmax": ref_log_softmax}


def _logit_elements(dtype: Any) -> st.SearchStrategy[float]:
    """Mostly finite logits up to +-1e4 (one-hot rows), with the overflow thresholds, NaN and inf."""
    return st.one_of(elements(dtype, lo=-1e4, hi=1e4), elements(dtype))


def rowwise(ex: hg.Executor, api: str, name: str, x: np.ndarray, inplace: bool) -> np.ndarray:
    """softmax/log_softmax of ``x`` (1-D: one row; 2-D: ops only) through ``api``."""
    a = ex.from_numpy(x)
    if api == "ops":
        res = getattr(hg.ops, name)(ex, a, out=a if inplace else None)
        assert res.shape == x.shape and res.dtype == x.dtype
        if inplace:
            assert res is a
        got = res.to_numpy().copy()
    else:
        out = a if inplace else ex.from_numpy(np.full(x.size + 2, 12345.0, dtype=x.dtype))
        assert lowlevel(name, x.dtype)(ex, a, out, x.size) is None
        got = out.to_numpy().copy()
        if not inplace:
            assert (got[x.size:] == 12345.0).all(), "wrote past n"
            got = got[:x.size]
    if not inplace:
        np.testing.assert_array_equal(a.to_numpy(), x, err_msg="the input was modified")
    return got


@pytest.mark.parametrize("inplace", [False, True], ids=["new", "inplace"])
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
@fixture_examples()
@given(data=st.data())
def test_rowwise_1d(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str, inplace: bool,
                    data: st.DataObject) -> None:
    x = data.draw(arrays(dtype, elems=_logit_elements(dtype), bulk=bulk_logits), label="x")
    got = rowwise(ex, api, name, x, inplace)
    ref = ROWWISE[name](x.reshape(1, -1)).reshape(-1)
    check(_tol(backend, name, dtype), got, ref, dtype, what=f"{name} {np.dtype(dtype)} {api} n={x.size}",
          inputs={"x": x})


@pytest.mark.parametrize("inplace", [False, True], ids=["new", "inplace"])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
@fixture_examples()
@given(data=st.data())
def test_rowwise_rows(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, inplace: bool, data: st.DataObject) -> None:
    x = data.draw(matrices(dtype, elems=_logit_elements(dtype), bulk=bulk_logits), label="x")
    got = rowwise(ex, "ops", name, x, inplace)
    check(_tol(backend, name, dtype), got, ROWWISE[name](x), dtype,
          what=f"{name} {np.dtype(dtype)} shape={x.shape}", inputs={"x": x})
    if x.size and name == "softmax":
        sums = f64(got).sum(axis=-1)
        ok = ~np.isnan(sums)
        np.testing.assert_allclose(sums[ok], 1.0, rtol=x.shape[1] * 4 * eps(dtype))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_rowwise_saturated_rows(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str) -> None:
    """Logits at +-88, +-700, +-1e4 (exp of them overflows) still give finite probabilities."""
    rows = [
        [88.0, 89.0, -88.0, 0.0],
        [700.0, 710.0, -700.0, 1e4 - 1e4],
        [1e4, -1e4, 1e4, 0.0],
        [-1e4, -1e4 + 1.0, -1e4 + 2.0, -1e4 + 3.0],
        [-745.0, -746.0, -710.0, -700.0],
        [3.0, 3.0, 3.0, 3.0],
    ]
    for row in rows:
        x = np.array(row, dtype=dtype)
        got = rowwise(ex, api, name, x, inplace=False)
        ref = ROWWISE[name](x.reshape(1, -1)).reshape(-1)
        assert np.isfinite(got).all(), (row, got)
        check(_tol(backend, name, dtype), got, ref, dtype, what=f"{name} {row}", inputs={"x": x})
    x = np.array([1e4, -1e4, 1e4, 0.0], dtype=dtype)
    if name == "softmax":
        np.testing.assert_array_equal(rowwise(ex, api, name, x, False), [0.5, 0.0, 0.5, 0.0])


@pytest.mark.parametrize("n", [7, 1000, 300_000])  # 300K: one row split over the threads
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_rowwise_nan_and_infinite_entries(ex: hg.Executor, name: str, dtype: Any, n: int) -> None:
    """Whatever the position of a NaN (or +inf) in the row, the whole row is NaN, as in the max-subtracted
    NumPy formula; an all-NaN row too; a -inf entry of a finite row gives 0 / -inf."""
    base = np.random.default_rng(n).standard_normal(n).astype(dtype)
    for pos in (0, n // 2, n - 1):
        for bad in (np.nan, np.inf):
            x = base.copy()
            x[pos] = bad
            assert np.isnan(rowwise(ex, "ops", name, x, False)).all(), (bad, pos)
    assert np.isnan(rowwise(ex, "ops", name, np.full(n, np.nan, dtype), False)).all()
    x = base.copy()
    x[n // 2] = -np.inf
    got = rowwise(ex, "ops", name, x, False)
    assert got[n // 2] == (0.0 if name == "softmax" else -np.inf)
    ref = ROWWISE[name](x.reshape(1, -1)).reshape(-1)
    finite = np.arange(n) != n // 2
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_rowwise_long_row(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any) -> None:
    x = np.random.default_rng(7).standard_normal(1_000_000).astype(dtype) * 3
    for inplace in (False, True):
        got = rowwise(ex, "ops", name, x.copy(), inplace)
        check(_tol(backend, name, dtype), got, ROWWISE[name](x.reshape(1, -1)).reshape(-1), dtype,
              what=f"{name} of 1M")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_rowwise_empty(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any) -> None:
    for shape in [(0,), (3, 0), (0, 5), (0, 0)]:
        res = getattr(hg.ops, name)(ex, ex.from_numpy(np.empty(shape, dtype)))
        assert res.shape == shape
    lowlevel(name, dtype)(ex, ex.allocate(0, dtype), ex.allocate(0, dtype), 0)


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------


def loss_terms(name: str, p: np.ndarray, t: np.ndarray) -> np.ndarray:
    p, t = f64(p), f64(t)
    with np.errstate(all="ignore"):
        if name == "mse_loss":
            return (p - t) ** 2
        if name == "cross_entropy":
            return t * clamped_log(p)
        return t * clamped_log(p) + (1.0 - t) * clamped_log(1.0 - p)


def loss_reference(name: str, p2d: np.ndarray, t2d: np.ndarray) -> tuple[float, float]:
    """The loss of rows x cols pred/target and the sum of |terms| / divisor (for the bound)."""
    rows, cols = p2d.shape
    terms = loss_terms(name, p2d, t2d)
    divisor = rows if name == "cross_entropy" else rows * cols
    sign = 1.0 if name == "mse_loss" else -1.0
    if divisor == 0:
        return math.nan, math.nan
    with np.errstate(all="ignore"):
        return (sign * exact_sum(terms) / divisor, exact_sum(np.abs(terms)) / divisor)


LL_LOSS = {"mse_loss": "mse_loss", "cross_entropy": "cross_entropy_loss",
           "binary_cross_entropy": "binary_cross_entropy_loss"}


def run_loss(ex: hg.Executor, api: str, name: str, p: np.ndarray, t: np.ndarray) -> np.ndarray:
    bp, bt = ex.from_numpy(p), ex.from_numpy(t)
    if api == "ops":
        value = getattr(hg.ops, name)(ex, bp, bt)
    else:
        out = ex.from_numpy(np.full(2, SENTINEL, dtype=p.dtype))
        value = lowlevel(LL_LOSS[name], p.dtype)(ex, bp, bt, out, p.size)
        o = out.to_numpy()
        assert o[1] == SENTINEL
        np.testing.assert_array_equal(o[0], np.asarray(value, dtype=p.dtype))
    np.testing.assert_array_equal(bp.to_numpy(), p)
    np.testing.assert_array_equal(bt.to_numpy(), t)
    return _as_result(value, p.dtype)


def check_loss(backend: BackendUnderTest, name: str, got: np.ndarray, p2d: np.ndarray, t2d: np.ndarray, dtype: Any, what: str) -> None:
    ref, mag = loss_reference(name, p2d, t2d)
    n = p2d.size
    allowed = _sum_allowed(backend, name, dtype, np.array([ref]), np.array([mag]), n)
    if name == "binary_cross_entropy" and n:
        # log(1 - p) may be taken of 1 - p rounded (the CPU, PyTorch) or exactly (WebGPU's
        # float-float 1 - p): for p below eps the two differ by ~p, which both definitions allow.
        with np.errstate(all="ignore"):
            p64, t64 = f64(p2d), f64(t2d)
            gap = np.abs((1.0 - t64) * (np.maximum(np.log1p(-p64), -100.0) - clamped_log(1.0 - p64)))
            allowed = allowed + np.nan_to_num(exact_sum(gap)) / n
    check_bound(got.reshape(1), np.array([ref]), dtype, allowed,
                what=what, note=str(tolerance(TOL, backend, name, dtype)))


def _loss_inputs(backend: BackendUnderTest, name: str, dtype: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Strategies kwargs for pred and target of each loss."""
    if name == "mse_loss":
        # (p - t)^2 of magnitudes below 1e15 stays far from float32's overflow when summed.
        anything = {"elems": _reduction_elements(backend, dtype, limit=1e15), "bulk": bulk_wide}
        return anything, anything
    probs = {"elems": elements(dtype, lo=0.0, hi=1.0, nan=False, overflow=False), "bulk": bulk_probs}
    if name == "cross_entropy":
        weights = {"elems": elements(dtype, lo=0.0, hi=1.0, nan=False, overflow=False),
                   "bulk": lambda rng, n: np.abs(bulk_unit(rng, n))}
        return probs, weights
    return probs, probs


LOSSES = ("mse_loss", "cross_entropy", "binary_cross_entropy")


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", LOSSES)
@fixture_examples()
@given(data=st.data())
def test_loss_1d(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, api: str, data: st.DataObject) -> None:
    """One row of n: cross-entropy divides by rows = 1."""
    pk, tk = _loss_inputs(backend, name, dtype)
    p = data.draw(arrays(dtype, **pk), label="pred")
    t = data.draw(arrays(dtype, p.size, **tk), label="target")
    got = run_loss(ex, api, name, p, t)
    check_loss(backend, name, got, p.reshape(1, -1), t.reshape(1, -1), dtype, f"{name} {np.dtype(dtype)} {api} n={p.size}")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", LOSSES)
@fixture_examples()
@given(data=st.data())
def test_loss_rows(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any, data: st.DataObject) -> None:
    """rows x cols through ops: cross-entropy divides by rows, mse and bce by rows*cols."""
    pk, tk = _loss_inputs(backend, name, dtype)
    p = data.draw(matrices(dtype, **pk), label="pred")
    t = data.draw(arrays(dtype, p.size, **tk), label="target").reshape(p.shape)
    got = run_loss(ex, "ops", name, p, t)
    check_loss(backend, name, got, p, t, dtype, f"{name} {np.dtype(dtype)} shape={p.shape}")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_cross_entropy_of_zero_probability_is_clamped(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    """log 0 is clamped to -100 (as PyTorch does): a finite loss, not inf."""
    p = np.array([[0.0, 1.0], [0.25, 0.75]], dtype=dtype)
    t = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    want = (100.0 - math.log(float(dtype(0.75)))) / 2  # divided by rows
    got = run_loss(ex, "ops", "cross_entropy", p, t)
    assert np.isfinite(got)
    np.testing.assert_allclose(float(got), want, rtol=4 * eps(dtype))
    for api in APIS:  # one row: no division; 0 * log(0) terms (target 0) contribute 0
        got = run_loss(ex, api, "cross_entropy", np.array([0.0, 1.0, 0.0], dtype), np.array([1.0, 0.0, 0.0], dtype))
        assert float(got) == 100.0
    # A subnormal probability: log p < -100 is clamped too.
    tiny = np.array([np.finfo(dtype).smallest_subnormal], dtype)
    assert float(run_loss(ex, "ops", "cross_entropy", tiny, np.ones(1, dtype))) == 100.0


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_binary_cross_entropy_at_zero_and_one(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str) -> None:
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=dtype)
    # terms: -100, -100, 0, 0, log 0.5
    want = (200.0 - math.log(0.5)) / 5
    got = run_loss(ex, api, "binary_cross_entropy", p, t)
    np.testing.assert_allclose(float(got), want, rtol=4 * eps(dtype))
    perfect = run_loss(ex, api, "binary_cross_entropy", p[:4], p[:4])
    assert float(perfect) == 0.0


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_nan_propagates_and_empty_is_nan(ex: hg.Executor, backend: BackendUnderTest, name: str, dtype: Any) -> None:
    p = np.array([0.5, np.nan, 0.25], dtype=dtype)
    t = np.array([1.0, 1.0, 0.0], dtype=dtype)
    for api in APIS:
        assert math.isnan(float(run_loss(ex, api, name, p, t)))
        if name != "cross_entropy":  # cross-entropy of one empty row is -0/1
            assert math.isnan(float(run_loss(ex, api, name, np.empty(0, dtype), np.empty(0, dtype))))
    assert math.isnan(float(run_loss(ex, "ops", name, np.empty((0, 3), dtype), np.empty((0, 3), dtype))))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_lowlevel_reads_only_the_first_n(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    """The low-level functions work on x[:n] of a longer buffer; the rest is ignored."""
    x = np.array([0.5, -2.0, 3.0, 0.25, 1.0, np.nan, np.inf, -np.inf], dtype=dtype)
    n = 5
    a, t = ex.from_numpy(x), ex.from_numpy(np.abs(x))
    out = ex.allocate(1, dtype)
    head = f64(x[:n])
    assert lowlevel("reduce_sum", dtype)(ex, a, out, n) == head.sum()
    assert lowlevel("reduce_max", dtype)(ex, a, out, n) == 3.0
    assert lowlevel("reduce_min", dtype)(ex, a, out, n) == -2.0
    assert lowlevel("reduce_mean", dtype)(ex, a, out, n) == float(dtype(head.sum() / n))
    want_mse = float(((head - np.abs(head)) ** 2).mean())
    np.testing.assert_allclose(lowlevel("mse_loss", dtype)(ex, a, t, out, n), want_mse, rtol=4 * eps(dtype))
    y = ex.from_numpy(np.full(x.size, SENTINEL, dtype))
    lowlevel("softmax", dtype)(ex, a, y, n)
    got = y.to_numpy()
    check(_tol(backend, "softmax", dtype), got[:n], ref_softmax(head.reshape(1, -1)).reshape(-1), dtype,
          what="softmax of the first n")
    assert (got[n:] == SENTINEL).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_rows_of_a_reshaped_buffer(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    """buf.reshape(rows, cols) is how a flat buffer becomes rows for the row-wise ops."""
    x = np.random.default_rng(11).standard_normal(6 * 7).astype(dtype)
    flat = ex.from_numpy(x)
    m = flat.reshape(6, 7)
    check_reduction(backend, "sum", hg.ops.sum(ex, m, axis=-1).to_numpy(), x.reshape(6, 7), dtype, "sum of reshaped rows")
    check(_tol(backend, "softmax", dtype), hg.ops.softmax(ex, m, out=m).to_numpy(), ref_softmax(x.reshape(6, 7)),
          dtype, what="softmax in place of reshaped rows")
    # In place through the view: the flat buffer holds the probabilities now.
    np.testing.assert_allclose(f64(flat.to_numpy()).reshape(6, 7).sum(axis=1), 1.0, rtol=16 * eps(dtype))


# Rows of up to 1024 float32 elements that are a multiple of 4 take CUDA's register path (a
# warp per row, 1, 2, 4 or 8 float4 per lane, the last ones partly padding); the others the
# block path. Every width class and its neighbours, with several rows per launch.
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_rowwise_widths_around_register_rows(ex: hg.Executor, backend: BackendUnderTest, name: str,
                                             dtype: Any) -> None:
    rng = np.random.default_rng(3)
    for cols in (4, 8, 124, 128, 132, 252, 256, 260, 508, 512, 516, 1020, 1024, 1028, 1030):
        for rows in (1, 9, 70):
            x = (rng.standard_normal((rows, cols)) * 6).astype(dtype)
            for inplace in (False, True):
                got = rowwise(ex, "ops", name, x.copy(), inplace)
                check(_tol(backend, name, dtype), got, ROWWISE[name](x), dtype,
                      what=f"{name} {rows}x{cols} inplace={inplace}", inputs={"x": x})
