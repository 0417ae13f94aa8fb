"""gemm and matvec against float64 NumPy references.

``hg.ops.gemm`` runs with all four transpose combinations, alpha/beta, and
beta == 0 into a NaN-filled output (which must never be read); the low-level
``hg.gemm_f32/_f64`` (no transposes, alpha 1, beta 0) and ``matvec`` run
through both APIs. Sizes include 0 (k == 0 too), 1 and odd ones up to 130.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from backends_under_test import BackendUnderTest
from hypothesis import given
from hypothesis import strategies as st
from op_reference import (
    APIS,
    DTYPES,
    SENTINEL,
    arrays,
    check_bound,
    elements,
    eps,
    f64,
    fixture_examples,
    lowlevel,
    subnormal,
    to_dtype,
)

import hologram as hg

#: Run on every backend of the op suite (conftest.py).
ALL_BACKENDS = True

# ---------------------------------------------------------------------------------------------
# Accuracy: a dot product of length k evaluated in any order errs by at most
# gamma_k |a|.|b| ~ k (eps/2) |a|.|b| (Higham, Thm 3.5), whatever the blocking; alpha and
# beta add one rounding each. So each C[i, j] must satisfy
#     |C - ref| <= (k + CONST) eps (|alpha| |op(A)| |op(B)| + |beta| |C0|) + UNDERFLOW
# where |.| are elementwise absolute values and ref is the float64 product. UNDERFLOW:
# a product that underflows is exact only to half a subnormal step (sub), and alpha may
# be applied to A before the product (as BLAS kernels do), so such a rounding can be
# scaled by an element of op(B) (or of op(A) times alpha):
#     UNDERFLOW = (k + CONST + (1 + |alpha|) (sum_p |op(A)[i, p]| + sum_p |op(B)[p, j]|)) sub.
# The reference uses alpha and beta rounded to the dtype, as the op does with any Python
# float scalar (NumPy's rule for a Python float next to a float32 array).
# ---------------------------------------------------------------------------------------------

TOL: dict[str, dict[str, float]] = {
    "gemm": {"per_k": 1.0, "const": 2.0},    # (k + 2) eps: k products/sums, alpha, beta
    "matvec": {"per_k": 1.0, "const": 1.0},  # (n + 1) eps
}

DTYPE_IDS = ["f32", "f64"]
DIMS = st.sampled_from([0, 1, 2, 3, 4, 7, 17, 33, 65, 130])
TRANS = [(False, False), (False, True), (True, False), (True, True)]
TRANS_IDS = ["NN", "NT", "TN", "TT"]


def _bulk_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """Both signs, magnitudes 1e-3 .. 1e3: no product of 130 terms can overflow float32."""
    return rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)


def _matrix_elements(dtype: Any) -> st.SearchStrategy[float]:
    """Finite edge values (signed zeros, subnormals, 1, -1) within +-1e6."""
    return elements(dtype, lo=-1e6, hi=1e6, nan=False, overflow=False)


def draw_matrix(data: st.DataObject, dtype: Any, shape: tuple[int, int], label: str) -> np.ndarray:
    flat = data.draw(arrays(dtype, shape[0] * shape[1], elems=_matrix_elements(dtype), bulk=_bulk_matrix),
                     label=label)
    return flat.reshape(shape)


def gemm_reference(a: np.ndarray, b: np.ndarray, c0: np.ndarray | None, trans_a: bool, trans_b: bool,
                   alpha: float, beta: float, dtype: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """alpha op(A) op(B) + beta C0 in float64, the error bound of each element, and k."""
    opa, opb = f64(a).T if trans_a else f64(a), f64(b).T if trans_b else f64(b)
    k = opa.shape[1]
    al, be = float(to_dtype(alpha, dtype)), float(to_dtype(beta, dtype))
    ref = al * (opa @ opb)
    scale = abs(al) * (np.abs(opa) @ np.abs(opb))
    if beta != 0:  # beta == 0: C0 is not read at all (it may be NaN)
        ref = ref + be * f64(c0)
        scale = scale + abs(be) * np.abs(f64(c0))
    t = TOL["gemm"]
    spread = np.abs(opa).sum(axis=1)[:, None] + np.abs(opb).sum(axis=0)[None, :]
    underflow = (t["per_k"] * k + t["const"] + (1.0 + abs(al)) * spread) * subnormal(dtype)
    allowed = (t["per_k"] * k + t["const"]) * eps(dtype) * scale + underflow
    return ref, allowed, k


def run_gemm(ex: hg.Executor, api: str, a: np.ndarray, b: np.ndarray, c0: np.ndarray | None,
             trans_a: bool = False, trans_b: bool = False, alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
    dtype = a.dtype
    m = a.shape[1] if trans_a else a.shape[0]
    n = b.shape[0] if trans_b else b.shape[1]
    ba, bb = ex.from_numpy(a), ex.from_numpy(b)
    if api == "ops":
        out = None if c0 is None else ex.from_numpy(c0)
        res = hg.ops.gemm(ex, ba, bb, out, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta)
        assert res.shape == (m, n) and res.dtype == dtype
        if out is not None:
            assert res is out
        got = res.to_numpy().copy()
    else:
        assert not (trans_a or trans_b) and alpha == 1.0 and beta == 0.0
        k = a.shape[1]
        c = np.full(m * n + 2, SENTINEL, dtype=dtype)
        if c0 is not None:
            c[: m * n] = c0.ravel()
        bc = ex.from_numpy(c)
        assert lowlevel("gemm", dtype)(ex, ba, bb, bc, m, n, k) is None
        flat = bc.to_numpy()
        assert (flat[m * n:] == SENTINEL).all(), "gemm wrote past m*n"
        got = flat[: m * n].reshape(m, n).copy()
    np.testing.assert_array_equal(ba.to_numpy(), a)
    np.testing.assert_array_equal(bb.to_numpy(), b)
    return got


alphas = st.one_of(st.sampled_from([1.0, -1.0, 0.0, 0.5, 2.0]), st.floats(-4.0, 4.0))
betas = st.one_of(st.sampled_from([0.0, 0.0, 1.0, -0.5, 2.0]), st.floats(-4.0, 4.0))


@pytest.mark.parametrize(("trans_a", "trans_b"), TRANS, ids=TRANS_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@fixture_examples()
@given(data=st.data())
def test_gemm(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, trans_a: bool, trans_b: bool, data: st.DataObject) -> None:
    m, n, k = data.draw(DIMS, label="m"), data.draw(DIMS, label="n"), data.draw(DIMS, label="k")
    alpha, beta = data.draw(alphas, label="alpha"), data.draw(betas, label="beta")
    a = draw_matrix(data, dtype, (k, m) if trans_a else (m, k), "a")
    b = draw_matrix(data, dtype, (n, k) if trans_b else (k, n), "b")
    # beta == 0: a NaN-filled output that must not be read.
    c0 = np.full((m, n), np.nan, dtype=dtype) if beta == 0.0 else draw_matrix(data, dtype, (m, n), "c0")
    got = run_gemm(ex, "ops", a, b, c0, trans_a, trans_b, alpha, beta)
    ref, allowed, _ = gemm_reference(a, b, c0, trans_a, trans_b, alpha, beta, dtype)
    check_bound(got, ref, dtype, allowed, what=f"gemm {np.dtype(dtype)} m={m} n={n} k={k} "
                f"trans=({trans_a}, {trans_b}) alpha={alpha} beta={beta}", note=str(TOL["gemm"]))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@fixture_examples()
@given(data=st.data())
def test_gemm_lowlevel(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, data: st.DataObject) -> None:
    """gemm_f32/_f64: C = A @ B (beta 0: a NaN-filled C is overwritten), only m*n written."""
    m, n, k = data.draw(DIMS, label="m"), data.draw(DIMS, label="n"), data.draw(DIMS, label="k")
    a = draw_matrix(data, dtype, (m, k), "a")
    b = draw_matrix(data, dtype, (k, n), "b")
    got = run_gemm(ex, "lowlevel", a, b, np.full((m, n), np.nan, dtype=dtype))
    ref, allowed, _ = gemm_reference(a, b, None, False, False, 1.0, 0.0, dtype)
    check_bound(got, ref, dtype, allowed, what=f"gemm_{np.dtype(dtype)} m={m} n={n} k={k}")


ODD_SHAPES = [(1, 1, 1), (1, 3, 17), (3, 17, 65), (17, 65, 130), (130, 1, 3), (65, 130, 17), (130, 130, 130)]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gemm_odd_sizes(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str) -> None:
    rng = np.random.default_rng(99)
    for m, n, k in ODD_SHAPES:
        for trans_a, trans_b in TRANS if api == "ops" else [(False, False)]:
            a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
            b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
            c0 = rng.standard_normal((m, n)).astype(dtype)
            alpha, beta = (0.75, -1.25) if api == "ops" else (1.0, 0.0)
            got = run_gemm(ex, api, a, b, c0, trans_a, trans_b, alpha, beta)
            ref, allowed, _ = gemm_reference(a, b, c0, trans_a, trans_b, alpha, beta, dtype)
            check_bound(got, ref, dtype, allowed, what=f"gemm {(m, n, k)} trans=({trans_a}, {trans_b})")


@pytest.mark.parametrize(("trans_a", "trans_b"), TRANS, ids=TRANS_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("fill", [np.nan, np.inf, -np.inf])
def test_gemm_beta_zero_never_reads_out(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, trans_a: bool, trans_b: bool,
                                        fill: float) -> None:
    rng = np.random.default_rng(5)
    m, n, k = 17, 3, 65
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    for alpha in (1.0, -2.0, 0.0):
        got = run_gemm(ex, "ops", a, b, np.full((m, n), fill, dtype), trans_a, trans_b, alpha, 0.0)
        assert np.isfinite(got).all()
        ref, allowed, _ = gemm_reference(a, b, None, trans_a, trans_b, alpha, 0.0, dtype)
        check_bound(got, ref, dtype, allowed, what=f"gemm beta=0 alpha={alpha} into {fill}-filled out")


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gemm_k_zero(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str) -> None:
    """k == 0: op(A) op(B) is all zeros, so C = beta C0 (zeros for beta == 0, even over NaN)."""
    a, b = np.empty((4, 0), dtype), np.empty((0, 3), dtype)
    np.testing.assert_array_equal(run_gemm(ex, api, a, b, np.full((4, 3), np.nan, dtype)), np.zeros((4, 3)))
    if api == "ops":
        c0 = np.arange(12, dtype=dtype).reshape(4, 3)
        np.testing.assert_array_equal(run_gemm(ex, api, a, b, c0, alpha=3.0, beta=0.5), c0 * dtype(0.5))
        np.testing.assert_array_equal(run_gemm(ex, api, a.T, b.T, c0, True, True, beta=1.0), c0)
        np.testing.assert_array_equal(run_gemm(ex, api, a, b, None), np.zeros((4, 3)))
    # m == 0 / n == 0: empty results.
    assert run_gemm(ex, api, np.empty((0, 5), dtype), np.ones((5, 3), dtype), None).shape == (0, 3)
    assert run_gemm(ex, api, np.ones((2, 5), dtype), np.empty((5, 0), dtype), None).shape == (2, 0)


@pytest.mark.parametrize(("trans_a", "trans_b"), TRANS, ids=TRANS_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gemm_nan_and_inf_propagate(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, trans_a: bool, trans_b: bool) -> None:
    """A NaN in row i of op(A) makes row i of C NaN; an inf in column j of op(B) makes column j
    +-inf (or NaN where it meets a zero); beta * C0 carries C0's NaN."""
    m, n, k = 5, 4, 6
    opa = np.arange(1.0, m * k + 1).reshape(m, k) / 7
    opb = np.arange(1.0, k * n + 1).reshape(k, n) / 5
    opa[2, 3] = np.nan
    opb[1, 2] = np.inf
    a = (opa.T if trans_a else opa).astype(dtype).copy()
    b = (opb.T if trans_b else opb).astype(dtype).copy()
    c0 = np.zeros((m, n), dtype)
    c0[0, 0] = np.nan
    got = run_gemm(ex, "ops", a, b, c0, trans_a, trans_b, 1.0, 1.0)
    with np.errstate(invalid="ignore"):
        want = opa @ opb + c0
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    assert np.isnan(got[2]).all() and np.isnan(got[0, 0])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gemm_inputs_may_share_a_buffer(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    """A A^T and A^T A with one buffer as both operands."""
    x = np.random.default_rng(3).standard_normal((17, 65)).astype(dtype)
    a = ex.from_numpy(x)
    for trans_a, trans_b in ((False, True), (True, False)):
        got = hg.ops.gemm(ex, a, a, trans_a=trans_a, trans_b=trans_b).to_numpy()
        ref, allowed, _ = gemm_reference(x, x, None, trans_a, trans_b, 1.0, 0.0, dtype)
        check_bound(got, ref, dtype, allowed, what=f"gemm(A, A) trans=({trans_a}, {trans_b})")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gemm_and_matvec_reject_output_overlapping_an_input(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    a = ex.from_numpy(np.eye(4, dtype=dtype))
    b = ex.from_numpy(np.ones((4, 4), dtype))
    with pytest.raises(hg.InvalidArgumentError, match="overlap"):
        hg.ops.gemm(ex, a, b, out=a)
    with pytest.raises(hg.InvalidArgumentError, match="overlap"):
        lowlevel("gemm", dtype)(ex, a, b, b, 4, 4, 4)
    x = ex.from_numpy(np.ones(4, dtype))
    with pytest.raises(hg.InvalidArgumentError, match="overlap"):
        hg.ops.matvec(ex, a, x, out=x)


# ---------------------------------------------------------------------------------------------
# matvec
# ---------------------------------------------------------------------------------------------


def run_matvec(ex: hg.Executor, api: str, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    m, n = a.shape
    ba, bx = ex.from_numpy(a), ex.from_numpy(x)
    if api == "ops":
        res = hg.ops.matvec(ex, ba, bx)
        assert res.shape == (m,) and res.dtype == a.dtype
        got = res.to_numpy().copy()
    else:
        y0 = np.full(m + 2, SENTINEL, dtype=a.dtype)
        y0[:m] = np.nan  # y is never read
        y = ex.from_numpy(y0)
        assert lowlevel("matvec", a.dtype)(ex, ba, bx, y, m, n) is None
        flat = y.to_numpy()
        assert (flat[m:] == SENTINEL).all(), "matvec wrote past m"
        got = flat[:m].copy()
    np.testing.assert_array_equal(ba.to_numpy(), a)
    np.testing.assert_array_equal(bx.to_numpy(), x)
    return got


def matvec_reference(a: np.ndarray, x: np.ndarray, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    a64, x64 = f64(a), f64(x)
    n = a64.shape[1]
    t = TOL["matvec"]
    spread = np.abs(a64).sum(axis=1) + np.abs(x64).sum()  # see UNDERFLOW above (alpha = 1)
    allowed = ((t["per_k"] * n + t["const"]) * eps(dtype) * (np.abs(a64) @ np.abs(x64))
               + (t["per_k"] * n + t["const"] + spread) * subnormal(dtype))
    return a64 @ x64, allowed


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@fixture_examples()
@given(data=st.data())
def test_matvec(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str, data: st.DataObject) -> None:
    m = data.draw(st.one_of(DIMS, st.sampled_from([257, 1000])), label="m")
    n = data.draw(st.one_of(DIMS, st.sampled_from([257, 1000])), label="n")
    a = draw_matrix(data, dtype, (m, n), "a")
    x = data.draw(arrays(dtype, n, elems=_matrix_elements(dtype), bulk=_bulk_matrix), label="x")
    got = run_matvec(ex, api, a, x)
    ref, allowed = matvec_reference(a, x, dtype)
    check_bound(got, ref, dtype, allowed, what=f"matvec {np.dtype(dtype)} {api} m={m} n={n}",
                note=str(TOL["matvec"]))


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_matvec_edges(ex: hg.Executor, backend: BackendUnderTest, dtype: Any, api: str) -> None:
    np.testing.assert_array_equal(run_matvec(ex, api, np.empty((3, 0), dtype), np.empty(0, dtype)), np.zeros(3))
    assert run_matvec(ex, api, np.empty((0, 4), dtype), np.ones(4, dtype)).shape == (0,)
    a = np.array([[1.0, 2.0], [np.nan, 0.0], [np.inf, 1.0], [np.inf, -np.inf]], dtype)
    got = run_matvec(ex, api, a, np.array([1.0, 1.0], dtype))
    np.testing.assert_array_equal(got, np.array([3.0, np.nan, np.inf, np.nan], dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_gemm_of_reshaped_flat_buffers(ex: hg.Executor, backend: BackendUnderTest, dtype: Any) -> None:
    """ops.gemm needs 2-D buffers: a flat buffer gets there with buf.reshape(rows, cols)."""
    rng = np.random.default_rng(21)
    a, b = rng.standard_normal(3 * 17).astype(dtype), rng.standard_normal(17 * 5).astype(dtype)
    fa, fb = ex.from_numpy(a), ex.from_numpy(b)
    with pytest.raises(hg.ShapeError, match="2-D"):
        hg.ops.gemm(ex, fa, fb)
    got = hg.ops.gemm(ex, fa.reshape(3, 17), fb.reshape(17, 5)).to_numpy()
    ref, allowed, _ = gemm_reference(a.reshape(3, 17), b.reshape(17, 5), None, False, False, 1.0, 0.0, dtype)
    check_bound(got, ref, dtype, allowed, what="gemm of reshaped buffers")
