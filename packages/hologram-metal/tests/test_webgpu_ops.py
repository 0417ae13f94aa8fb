"""Every op of the WebGPU backend against a float64 NumPy reference of the same float32 inputs.

Tolerances are per op and stated here (float32 on the GPU; the kernels'
README lists what was measured): rounding-exact ops (+, -, *, /, sqrt,
selections) must match float32 NumPy exactly; transcendentals within a few
float32 ulps; sums, softmax, GEMM within a relative error that grows with the
length of the reduction. GPUs may flush subnormals to zero (WGSL allows it),
so inputs are drawn without subnormals and outputs compared with an absolute
floor of the smallest normal float.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hologram as hg

F32 = np.float32
EPS = float(np.finfo(F32).eps)
TINY = float(np.finfo(F32).tiny)


def finite_f32(lo: float = -1e4, hi: float = 1e4) -> st.SearchStrategy[float]:
    return st.floats(float(F32(lo)), float(F32(hi)), width=32, allow_subnormal=False)


def arrays(n_max: int = 3000, elements: st.SearchStrategy[float] | None = None) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(F32, st.integers(0, n_max), elements=finite_f32() if elements is None else elements)


def erf_gelu(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * v * math.erfc(-v / math.sqrt(2.0)) for v in x.astype(np.float64)])


def tanh_gelu(x: np.ndarray) -> np.ndarray:
    # 0.5 x (1 + tanh(u)) == x / (1 + exp(-2u)): the second form keeps its digits for x << 0,
    # where 1 + tanh(u) cancels even in float64.
    x = x.astype(np.float64)
    u = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
    with np.errstate(over="ignore"):
        return x / (1.0 + np.exp(-2.0 * u))


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


#: op -> (float64 reference, input range, relative tolerance in float32 eps)
UNARY: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float], float]] = {
    "neg": (np.negative, (-1e30, 1e30), 0),
    "abs": (np.abs, (-1e30, 1e30), 0),
    "relu": (lambda x: np.where(x < 0, 0.0, x), (-1e30, 1e30), 0),
    "sqrt": (np.sqrt, (0, 3e38), 0.5),
    "exp": (np.exp, (-87, 88), 4),
    "log": (np.log, (1e-30, 3e38), 4),
    "tanh": (np.tanh, (-20, 20), 4),
    "sigmoid": (sigmoid, (-80, 80), 4),
    "gelu": (erf_gelu, (-12, 12), 8),
    "gelu_tanh": (tanh_gelu, (-12, 12), 8),
}


def tolerance_ulps(name: str, x: np.ndarray, ulps: float) -> float | np.ndarray:
    """The stated tolerance; tanh-GELU's grows in its negative tail, where the float32 rounding
    of its argument 2u (|2u| up to ~87 before the result underflows) is amplified by exp(2u)."""
    if name != "gelu_tanh":
        return ulps
    xd = x.astype(np.float64)
    return ulps + 4.0 * np.abs(2.0 * math.sqrt(2.0 / math.pi) * (xd + 0.044715 * xd**3))


def assert_close(got: np.ndarray, ref: np.ndarray, ulps: float | np.ndarray, what: str) -> None:
    ref32 = ref.astype(F32).astype(np.float64)
    tol = ulps * EPS * np.abs(ref) + TINY
    if np.isscalar(ulps) and ulps == 0:
        np.testing.assert_array_equal(got, ref.astype(F32), err_msg=what)
        return
    bad = ~(np.abs(got.astype(np.float64) - ref) <= np.maximum(tol, np.abs(ref32 - ref)))
    assert not bad.any(), f"{what}: {got[bad][:5]} vs {ref[bad][:5]} at {np.flatnonzero(bad)[:5]}"


def unary_op(name: str) -> Callable[..., hg.Buffer]:
    if name == "gelu_tanh":
        return lambda ex, a, out=None: hg.ops.gelu(ex, a, out, approximate="tanh")
    return getattr(hg.ops, name)  # type: ignore[no-any-return]


def run_unary(ex: hg.Executor, name: str, x: np.ndarray) -> np.ndarray:
    return unary_op(name)(ex, ex.from_numpy(x)).to_numpy()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the float64 references overflow to inf on purpose
@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unary_matches_float64(wex: hg.Executor, name: str, data: st.DataObject) -> None:
    ref, (lo, hi), ulps = UNARY[name]
    x = data.draw(arrays(elements=finite_f32(lo, hi)))
    assert_close(run_unary(wex, name, x), ref(x.astype(np.float64)), tolerance_ulps(name, x, ulps), name)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_dense_sweep_and_in_place(wex: hg.Executor, name: str) -> None:
    ref, (lo, hi), ulps = UNARY[name]
    x = np.linspace(lo, hi, 65536 * 3 + 7, dtype=F32)  # > 256 * 256: several grid-stride rounds
    a = wex.from_numpy(x)
    unary_op(name)(wex, a, out=a)  # in place: the output is the input
    assert_close(a.to_numpy(), ref(x.astype(np.float64)), tolerance_ulps(name, x, ulps), name)


SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 3.4e38, -3.4e38, 88.8, -88.8, 104.0, -104.0],
                    dtype=F32)


@pytest.mark.parametrize(("name", "expected"), [
    ("exp", [np.nan, np.inf, 0.0, 1.0, 1.0, math.e, 1 / math.e, np.inf, 0.0, np.inf, 0.0, np.inf, 0.0]),
    ("tanh", [np.nan, 1.0, -1.0, 0.0, -0.0, math.tanh(1), -math.tanh(1), 1.0, -1.0, 1.0, -1.0, 1.0, -1.0]),
    ("sigmoid", [np.nan, 1.0, 0.0, 0.5, 0.5, None, None, 1.0, 0.0, 1.0, None, 1.0, None]),
    ("relu", [np.nan, np.inf, 0.0, 0.0, 0.0, 1.0, 0.0, 3.4e38, 0.0, 88.8, 0.0, 104.0, 0.0]),
    ("log", [np.nan, np.inf, np.nan, -np.inf, -np.inf, 0.0, np.nan, math.log(3.4e38), np.nan, None, np.nan,
             math.log(104.0), np.nan]),
    ("sqrt", [np.nan, np.inf, np.nan, 0.0, -0.0, 1.0, np.nan, None, np.nan, None, np.nan, None, np.nan]),
])
def test_ieee_specials(wex: hg.Executor, name: str, expected: list[float | None]) -> None:
    got = run_unary(wex, name, SPECIALS)
    for x, g, e in zip(SPECIALS, got, expected, strict=True):
        if e is None:
            continue
        if math.isnan(e):
            assert math.isnan(g), f"{name}({x}) = {g}, expected NaN"
        else:
            assert g == pytest.approx(e, rel=1e-6, abs=1e-30), f"{name}({x}) = {g}, expected {e}"


BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
          "maximum": np.maximum, "minimum": np.minimum}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_binary_is_exactly_float32_numpy(wex: hg.Executor, name: str, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 3000))
    x = data.draw(hnp.arrays(F32, n, elements=finite_f32(-1e30, 1e30)))
    y = data.draw(hnp.arrays(F32, n, elements=finite_f32(-1e30, 1e30).filter(lambda v: v != 0)))
    got = getattr(hg.ops, name)(wex, wex.from_numpy(x), wex.from_numpy(y)).to_numpy()
    with np.errstate(all="ignore"):
        ref = BINARY[name](x, y)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_nan_propagates_through_selections(wex: hg.Executor, name: str) -> None:
    x = np.array([np.nan, 1.0, np.nan, -np.inf], dtype=F32)
    y = np.array([1.0, np.nan, np.nan, np.inf], dtype=F32)
    got = getattr(hg.ops, name)(wex, wex.from_numpy(x), wex.from_numpy(y)).to_numpy()
    np.testing.assert_array_equal(got, getattr(np, name)(x, y))


def test_scalars_clip_fill_copy(wex: hg.Executor) -> None:
    x = np.linspace(-5, 5, 1001, dtype=F32)
    a = wex.from_numpy(x)
    np.testing.assert_array_equal(hg.ops.add_scalar(wex, a, 1.5).to_numpy(), x + F32(1.5))
    np.testing.assert_array_equal(hg.ops.mul_scalar(wex, a, -2.0).to_numpy(), x * F32(-2.0))
    np.testing.assert_array_equal(hg.ops.clip(wex, a, -1.0, 2.0).to_numpy(), np.clip(x, -1.0, 2.0))
    np.testing.assert_array_equal(hg.ops.clip(wex, a, 3.0, 1.0).to_numpy(), np.clip(x, 3.0, 1.0))
    nan = wex.from_numpy(np.array([np.nan, 0.5], dtype=F32))
    assert np.isnan(hg.ops.clip(wex, nan, 0.0, 1.0).to_numpy()[0])
    b = wex.allocate(1001)
    hg.ops.fill(wex, b, 7.25)
    np.testing.assert_array_equal(b.to_numpy(), np.full(1001, 7.25, F32))
    hg.ops.copy(wex, a, b)
    np.testing.assert_array_equal(b.to_numpy(), x)


def test_lowlevel_partial_count_leaves_the_tail(wex: hg.Executor) -> None:
    x = np.arange(100, dtype=F32)
    a, c = wex.from_numpy(x), wex.from_numpy(np.full(100, -1.0, F32))
    hg.vector_add_f32(wex, a, a, c, 37)
    got = c.to_numpy()
    np.testing.assert_array_equal(got[:37], 2 * x[:37])
    np.testing.assert_array_equal(got[37:], -1.0)


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(0, 700), seed=st.integers(0, 2**32 - 1))
def test_reductions_per_row(wex: hg.Executor, name: str, rows: int, cols: int, seed: int) -> None:
    if cols == 0 and name in ("max", "min"):
        cols = 1
    x = np.random.default_rng(seed).standard_normal((rows, cols)).astype(F32)
    got = getattr(hg.ops, name)(wex, wex.from_numpy(x).reshape(rows, cols), axis=-1).to_numpy()
    with np.errstate(all="ignore"):
        ref = getattr(np, name)(x.astype(np.float64), axis=-1)
    if name in ("max", "min"):
        np.testing.assert_array_equal(got, ref.astype(F32))
    else:
        bound = np.abs(x.astype(np.float64)).sum(axis=-1) / (cols if name == "mean" else 1) if cols else 0
        np.testing.assert_allclose(got, ref, rtol=0, atol=float(np.max(4 * EPS * np.log2(cols + 2) * (bound + 1))))


def test_whole_buffer_reduction_returns_the_value(wex: hg.Executor) -> None:
    x = np.random.default_rng(1).standard_normal(100_003).astype(F32)
    a = wex.from_numpy(x)
    assert hg.ops.sum(wex, a) == pytest.approx(float(x.astype(np.float64).sum()), abs=1e-3)
    assert hg.ops.max(wex, a) == float(x.max())
    nan = wex.from_numpy(np.array([1.0, np.nan, 3.0], F32))
    assert math.isnan(hg.ops.max(wex, nan)) and math.isnan(hg.ops.min(wex, nan))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 30), cols=st.integers(1, 1500), seed=st.integers(0, 2**32 - 1))
def test_rowwise(wex: hg.Executor, name: str, rows: int, cols: int, seed: int) -> None:
    x = (np.random.default_rng(seed).standard_normal((rows, cols)) * 10).astype(F32)
    xd = x.astype(np.float64)
    shifted = xd - xd.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    ref = np.exp(shifted - lse) if name == "softmax" else shifted - lse
    buf = wex.from_numpy(x).reshape(rows, cols)
    got = getattr(hg.ops, name)(wex, buf, out=buf).to_numpy()  # in place
    np.testing.assert_allclose(got, ref, rtol=64 * EPS, atol=64 * EPS * (1 if name == "softmax" else 10))


def test_softmax_rows_with_infinities(wex: hg.Executor) -> None:
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]], dtype=F32)
    cpu = hg.Executor(backend="cpu")
    ref = hg.ops.softmax(cpu, cpu.from_numpy(x).reshape(2, 3)).to_numpy()
    got = hg.ops.softmax(wex, wex.from_numpy(x).reshape(2, 3)).to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, equal_nan=True)
    cpu.close()


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 20), cols=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_losses(wex: hg.Executor, rows: int, cols: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(1e-4, 1 - 1e-4, (rows, cols)).astype(F32)
    t = rng.uniform(0, 1, (rows, cols)).astype(F32)
    pd, td = p.astype(np.float64), t.astype(np.float64)
    bp, bt = wex.from_numpy(p).reshape(rows, cols), wex.from_numpy(t).reshape(rows, cols)
    tol = 16 * EPS * np.log2(rows * cols + 2)
    assert hg.ops.mse_loss(wex, bp, bt) == pytest.approx(np.mean((pd - td) ** 2), rel=tol, abs=1e-7)
    ce = -(td * np.maximum(np.log(pd), -100)).sum() / rows
    assert hg.ops.cross_entropy(wex, bp, bt) == pytest.approx(ce, rel=tol * 4, abs=1e-6)
    bce = -np.mean(td * np.maximum(np.log(pd), -100) + (1 - td) * np.maximum(np.log1p(-pd), -100))
    assert hg.ops.binary_cross_entropy(wex, bp, bt) == pytest.approx(bce, rel=tol * 4, abs=1e-6)


@pytest.mark.parametrize(("trans_a", "trans_b"), [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize(("m", "n", "k"), [(1, 1, 1), (7, 63, 65), (64, 64, 64), (65, 130, 3), (130, 1, 257),
                                           (5, 9, 0)])
def test_gemm_against_float64(wex: hg.Executor, m: int, n: int, k: int, trans_a: bool, trans_b: bool) -> None:
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(F32)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(F32)
    c0 = rng.standard_normal((m, n)).astype(F32)
    ad, bd = a.astype(np.float64), b.astype(np.float64)
    ref_ab = (ad.T if trans_a else ad) @ (bd.T if trans_b else bd)
    atol = 8 * EPS * (np.abs(ad).max(initial=0) * np.abs(bd).max(initial=0) * k + 1)
    ba, bb = wex.from_numpy(a).reshape(a.shape), wex.from_numpy(b).reshape(b.shape)
    got = hg.ops.gemm(wex, ba, bb, trans_a=trans_a, trans_b=trans_b).to_numpy()
    np.testing.assert_allclose(got, ref_ab, rtol=0, atol=atol)
    out = wex.from_numpy(c0).reshape(m, n)
    hg.ops.gemm(wex, ba, bb, out, trans_a=trans_a, trans_b=trans_b, alpha=0.5, beta=-2.0)
    np.testing.assert_allclose(out.to_numpy(), 0.5 * ref_ab - 2.0 * c0, rtol=0, atol=atol + 8 * EPS * 4)


def test_gemm_beta_zero_never_reads_c(wex: hg.Executor) -> None:
    a = wex.from_numpy(np.ones((3, 4), F32)).reshape(3, 4)
    out = wex.from_numpy(np.full((3, 5), np.nan, F32)).reshape(3, 5)
    hg.ops.gemm(wex, a, wex.from_numpy(np.ones((4, 5), F32)).reshape(4, 5), out, beta=0.0)
    np.testing.assert_array_equal(out.to_numpy(), np.full((3, 5), 4.0, F32))


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 0), (17, 300), (300, 17)])
def test_matvec(wex: hg.Executor, m: int, n: int) -> None:
    rng = np.random.default_rng(m + n)
    a, x = rng.standard_normal((m, n)).astype(F32), rng.standard_normal(n).astype(F32)
    got = hg.ops.matvec(wex, wex.from_numpy(a).reshape(m, n), wex.from_numpy(x)).to_numpy()
    np.testing.assert_allclose(got, a.astype(np.float64) @ x.astype(np.float64), rtol=0,
                               atol=8 * EPS * (np.abs(a).max(initial=0) * np.abs(x).max(initial=0) * n + 1))
