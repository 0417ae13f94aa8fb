"""Shared by the op tests: float64 NumPy references, result checks and hypothesis strategies.

Every reference takes the float64 image of the test's inputs (exact for
float32 inputs) and computes the op from its definition in ``hologram.h``
with NumPy (or ``math.fsum``/``math.erfc``); none of it knows how the C
kernels compute. The checks compare a hologram result against such a
reference under a :class:`Tol`, and on failure name the offending elements
together with the inputs that produced them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hologram as hg

DTYPES = (np.float32, np.float64)
APIS = ("ops", "lowlevel")

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
EPS32, EPS64 = float(np.finfo(np.float32).eps), float(np.finfo(np.float64).eps)
SUB32 = float(np.finfo(np.float32).smallest_subnormal)
SUB64 = float(np.finfo(np.float64).smallest_subnormal)

#: Written into the spare tail of low-level outputs: a kernel must not touch c[n:].
SENTINEL = 12345.0


def eps(dtype: Any) -> float:
    """Spacing of the dtype at 1.0 (its ulp at 1; twice the unit roundoff)."""
    return float(np.finfo(dtype).eps)


def subnormal(dtype: Any) -> float:
    """The dtype's smallest subnormal: the absolute resolution of gradual underflow."""
    return float(np.finfo(dtype).smallest_subnormal)


def lowlevel(stem: str, dtype: Any) -> Callable[..., Any]:
    """The low-level function ``hg.<stem>_f32`` or ``hg.<stem>_f64`` for ``dtype``."""
    return getattr(hg, f"{stem}_{'f32' if np.dtype(dtype) == F32 else 'f64'}")


def fixture_examples(**kwargs: Any) -> settings:
    """Settings for a ``@given`` test that also takes the function-scoped ``ex`` fixture.

    One executor serves every example of a test, which is what we want (each
    example allocates its own buffers), so the health check against
    function-scoped fixtures is silenced; the rest comes from the loaded profile.
    """
    return settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                    **kwargs)


def f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def to_dtype(x: Any, dtype: Any) -> np.ndarray:
    """Rounds a float64 reference to ``dtype`` (overflow to +-inf, as IEEE rounding does)."""
    with np.errstate(over="ignore"):
        return np.asarray(x, dtype=np.float64).astype(dtype)


# ---------------------------------------------------------------------------------------------
# Tolerances
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tol:
    """How close a result must be to the float64 reference.

    kind:
      ``"exact"``  equal to the reference rounded to the dtype (NaN where it is
                   NaN; with ``signed_zeros`` also the sign of every zero);
      ``"ulp"``    within ``ulps`` (0 or 1) steps of the rounded reference;
      ``"close"``  ``|got - ref| <= atol * afactor + rtol * rfactor * |ref|``, where
                   ``rfactor``/``afactor`` (default 1) are elementwise functions of the
                   float64 input: the conditioning of the op at that input.
    ``note`` says why the bound is what it is (shown in failure messages).
    """

    kind: str
    rtol: float = 0.0
    atol: float = 0.0
    ulps: int = 0
    signed_zeros: bool = False
    rfactor: Callable[[np.ndarray], np.ndarray] | None = None
    afactor: Callable[[np.ndarray], np.ndarray] | None = None
    note: str = ""


def exact(signed_zeros: bool = True, note: str = "") -> Tol:
    return Tol("exact", signed_zeros=signed_zeros, note=note)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _report(what: str, bad: np.ndarray, got: np.ndarray, ref: np.ndarray,
            allowed: np.ndarray | None, inputs: Mapping[str, np.ndarray] | None, note: str) -> str:
    idx = np.argwhere(bad)
    lines = [f"{what}: {len(idx)} of {bad.size} elements off the float64 reference"
             + (f" ({note})" if note else "")]
    for i in idx[:8]:
        t = tuple(int(v) for v in i)
        line = f"  at {t}: got {got[t]!r}, reference {float(ref[t])!r}"
        if allowed is not None:
            line += f", |diff| {abs(float(got[t]) - float(ref[t])):.3g} > allowed {float(allowed[t]):.3g}"
        for name, arr in (inputs or {}).items():
            arr = np.asarray(arr)
            if arr.shape == bad.shape:
                line += f", {name}={arr[t]!r}"
        lines.append(line)
    if len(idx) > 8:
        lines.append(f"  ... and {len(idx) - 8} more")
    return "\n".join(lines)


def _nan_inf_mismatch(got64: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """NaN exactly where the reference is NaN, and each true infinity of the reference."""
    bad = np.isnan(got64) != np.isnan(ref)
    inf = np.isinf(ref)
    return bad | (inf & (got64 != ref))


def check(tol: Tol, got: Any, ref: Any, dtype: Any, *, what: str,
          inputs: Mapping[str, np.ndarray] | None = None, x: np.ndarray | None = None) -> None:
    """Asserts that ``got`` (a ``dtype`` array) matches the float64 reference ``ref`` under ``tol``.

    ``x`` is the float64 input the conditioning factors of a ``"close"`` tolerance
    are computed from (elementwise ops only).
    """
    dtype = np.dtype(dtype)
    got = np.asarray(got)
    ref = f64(ref)
    assert got.dtype == dtype, f"{what}: result dtype {got.dtype}, expected {dtype}"
    assert got.shape == ref.shape, f"{what}: result shape {got.shape}, expected {ref.shape}"
    got64 = got.astype(np.float64)
    if tol.kind in ("exact", "ulp"):
        want = to_dtype(ref, dtype)
        if tol.kind == "exact":
            # NaN == NaN and -0.0 == 0.0 here; the signs of zeros are checked just below.
            try:
                np.testing.assert_array_equal(got, want, strict=True)
            except AssertionError:
                bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
                raise AssertionError(_report(what, bad, got, want, None, inputs, tol.note)) from None
        else:
            with np.errstate(invalid="ignore", over="ignore"):  # nextafter(max, inf) is inf
                ok = (got == want) | (np.isnan(got) & np.isnan(want))
                for _ in range(tol.ulps):
                    ok |= (got == np.nextafter(want, np.inf)) | (got == np.nextafter(want, -np.inf))
            if not ok.all():
                raise AssertionError(_report(what, ~ok, got, want, None, inputs,
                                             f"more than {tol.ulps} ulp; {tol.note}"))
        if tol.signed_zeros:
            zero = want == 0
            bad = zero & (np.signbit(got) != np.signbit(want))
            if bad.any():
                raise AssertionError(_report(what, bad, got, want, None, inputs,
                                             "sign of zero differs; " + tol.note))
        return
    assert tol.kind == "close", tol.kind
    bad = _nan_inf_mismatch(got64, ref)
    # Results beyond the dtype's range: the correctly rounded value is +-inf, but a
    # result within tolerance of the reference may be the largest finite value, so
    # both sides are compared clipped to the finite range.
    big = float(np.finfo(dtype).max)
    finite_ref = np.isfinite(ref)
    g = np.clip(np.where(np.isnan(got64), 0.0, got64), -big, big)
    r = np.clip(np.where(finite_ref, ref, 0.0), -big, big)
    xin = f64(x) if x is not None else None
    with np.errstate(all="ignore"):
        rtol = tol.rtol * (tol.rfactor(xin) if tol.rfactor is not None else 1.0)
        atol = tol.atol * (tol.afactor(xin) if tol.afactor is not None else 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        # inf * 0 (an unbounded conditioning factor at a zero result) allows nothing extra.
        rel = np.nan_to_num(rtol * np.abs(r), nan=0.0, posinf=np.inf)
        allowed = np.broadcast_to(np.asarray(atol + rel, dtype=np.float64), r.shape)
        bad |= finite_ref & ~(np.abs(g - r) <= allowed)
    if bad.any():
        raise AssertionError(_report(what, bad, got, ref, allowed, inputs, tol.note))


def check_bound(got: Any, ref: Any, dtype: Any, allowed: Any, *, what: str, note: str = "",
                inputs: Mapping[str, np.ndarray] | None = None) -> None:
    """``|got - ref| <= allowed`` elementwise (an error bound computed by the test), NaN/inf exact."""
    check(Tol("close", atol=1.0, afactor=lambda _: f64(allowed), note=note), got, ref, dtype,
          what=what, inputs=inputs, x=np.zeros(np.shape(ref)))


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


def exact_sum(x: np.ndarray) -> float:
    """The correctly rounded float64 sum of ``x`` (``math.fsum``), with IEEE inf/NaN rules."""
    x = f64(x).ravel()
    if not np.isfinite(x).all():
        with np.errstate(invalid="ignore"):
            return float(np.sum(x))
    try:
        return math.fsum(x.tolist())
    except OverflowError:  # an exact partial sum beyond float64: the result is +-inf
        return float(np.sum(x))


def row_sums(x2d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-row sums and sums of magnitudes of a 2-D float64 array."""
    x2d = f64(x2d)
    exact = np.array([exact_sum(row) for row in x2d], dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mag = np.array([exact_sum(np.abs(row)) for row in x2d], dtype=np.float64)
    return exact, mag


def summation_slack(n: Any, dtype: Any, chain: float = 16.0) -> np.ndarray:
    """Error constant of an accurate summation of ``n`` terms in ``dtype``: (log2 n + chain) eps.

    A pairwise (or blocked-pairwise) sum errs by at most about log2(n) + (length
    of its sequential chains) roundings, each of relative size eps, times the sum of
    the magnitudes. NumPy's own float sums are of this kind; a naive loop errs by
    up to n eps, which this rejects for large n.
    """
    n = np.maximum(f64(n), 1.0)
    return (np.log2(n) + chain) * eps(dtype)


def ref_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), evaluated on the side where exp cannot overflow."""
    x = f64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        pos = 1.0 / (1.0 + np.exp(-x))
        ex = np.exp(x)
        neg = ex / (1.0 + ex)
    return np.where(x >= 0, pos, neg)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def ref_gelu(x: np.ndarray) -> np.ndarray:
    """0.5 x (1 + erf(x / sqrt 2)), written with erfc so that x << 0 keeps its precision."""
    x = f64(x)
    with np.errstate(invalid="ignore", over="ignore"):
        return 0.5 * x * _erfc(-x / math.sqrt(2.0)).astype(np.float64)


def gelu_tanh_u(x: np.ndarray) -> np.ndarray:
    x = f64(x)
    with np.errstate(over="ignore", invalid="ignore"):
        return math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)


def ref_gelu_tanh(x: np.ndarray) -> np.ndarray:
    """0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3)."""
    x = f64(x)
    with np.errstate(invalid="ignore", over="ignore"):
        return x * ref_sigmoid(2.0 * gelu_tanh_u(x))


def clamped_log(p: np.ndarray) -> np.ndarray:
    """max(log p, -100) with NaN propagating (PyTorch's clamp of the cross-entropy losses)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(np.log(f64(p)), -100.0)


# ---------------------------------------------------------------------------------------------
# Hypothesis strategies
# ---------------------------------------------------------------------------------------------

#: Sizes around the kernels' likely unroll/block widths and a few large ones.
EDGE_SIZES = (0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129,
              255, 256, 257, 511, 512, 513, 1023, 1025, 4095, 4096, 4097, 5000)
sizes = st.one_of(st.sampled_from((0, 1, 2, 3)), st.sampled_from(EDGE_SIZES), st.integers(0, 64),
                  st.integers(0, 5000))

#: Arguments near where exp/sigmoid/tanh/softmax overflow or underflow, in float32
#: (88.72 / -103.97) and in float64 (709.78 / -745.13), and far beyond.
NEAR_OVERFLOW = (20.0, 44.0, 88.0, 88.72, 88.7229, 89.0, 103.9, 104.0, 150.0,
                 700.0, 709.7, 709.79, 710.0, 745.0, 745.2, 1e4, 1e5)


def specials(dtype: Any, *, lo: float = -math.inf, hi: float = math.inf, nan: bool = True,
             overflow: bool = True) -> list[float]:
    """Edge values of ``dtype`` (signed zeros, subnormals, extremes, inf, NaN) within [lo, hi]."""
    fi = np.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, float(fi.eps), 1.0 - float(fi.epsneg),
            float(fi.smallest_subnormal), -float(fi.smallest_subnormal), 3 * float(fi.smallest_subnormal),
            float(fi.tiny), -float(fi.tiny), float(fi.tiny) * 0.75, float(fi.max), -float(fi.max),
            math.inf, -math.inf]
    if overflow:
        vals += [s * v for v in NEAR_OVERFLOW for s in (1.0, -1.0)]
    out: list[float] = []
    seen: set[bytes] = set()
    for v in vals:
        with np.errstate(over="ignore"):
            v = float(np.asarray(v, dtype=np.float64).astype(dtype))  # representable in dtype
        key = np.float64(v).tobytes()  # tells -0.0 from 0.0
        if lo <= v <= hi and key not in seen:
            seen.add(key)
            out.append(v)
    if nan:
        out.append(math.nan)
    return out


def elements(dtype: Any, *, lo: float | None = None, hi: float | None = None, nan: bool = True,
             infinity: bool | None = None, overflow: bool = True) -> st.SearchStrategy[float]:
    """Floats representable in ``dtype``: hypothesis' own float search (which favours
    signed zeros, subnormals, extremes, NaN and inf) mixed with :func:`specials`."""
    width = 32 if np.dtype(dtype) == F32 else 64
    kw: dict[str, Any] = {"width": width, "allow_nan": nan and lo is None and hi is None}
    if lo is not None:
        kw["min_value"] = float(np.asarray(lo, np.float64).astype(dtype))
    if hi is not None:
        kw["max_value"] = float(np.asarray(hi, np.float64).astype(dtype))
    if infinity is not None and lo is None and hi is None:
        kw["allow_infinity"] = infinity
    special = specials(dtype, lo=-math.inf if lo is None else lo, hi=math.inf if hi is None else hi,
                       nan=nan, overflow=overflow)
    if infinity is False:
        special = [v for v in special if not math.isinf(v)]
    return st.one_of(st.floats(**kw), st.sampled_from(special))


Bulk = Callable[[np.random.Generator, int], np.ndarray]


def bulk_wide(rng: np.random.Generator, n: int) -> np.ndarray:
    """Both signs, magnitudes 1e-6 .. 1e6."""
    return rng.standard_normal(n) * 10.0 ** rng.integers(-6, 7, n)


def bulk_activations(rng: np.random.Generator, n: int) -> np.ndarray:
    """Arguments of exp/sigmoid/tanh/gelu: mostly O(1), some at the float32 and
    float64 overflow/underflow thresholds and far beyond them."""
    scale = rng.choice(np.array([0.1, 1.0, 5.0, 30.0, 100.0, 800.0, 1e4]), n)
    return rng.standard_normal(n) * scale


def bulk_logits(rng: np.random.Generator, n: int) -> np.ndarray:
    """Softmax rows: one spread per array, from nearly uniform to one-hot at 1e4."""
    return rng.standard_normal(n) * rng.choice(np.array([0.01, 1.0, 10.0, 100.0, 1e4])) + rng.normal(0, 50)


def bulk_unit(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, n)


def bulk_probs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Probabilities in [0, 1], a tenth of them exactly 0 or 1 (the clamped logs)."""
    p = rng.uniform(0.0, 1.0, n)
    edge = rng.random(n) < 0.1
    p[edge] = rng.integers(0, 2, int(edge.sum()))
    return p


@st.composite
def arrays(draw: st.DrawFn, dtype: Any, n: int | st.SearchStrategy[int] = sizes, *,
           elems: st.SearchStrategy[float] | None = None, bulk: Bulk = bulk_wide,
           sprinkle: int = 12) -> np.ndarray:
    """A 1-D ``dtype`` array of ``n`` elements.

    Up to 32 elements, hypothesis draws every element from ``elems``. Longer arrays
    (where element-by-element drawing is slow) come from ``bulk`` with a NumPy
    generator seeded by hypothesis; then up to 3 values from ``elems`` each replace
    a drawn fraction (0 to 10%) of the elements at random, and up to ``sprinkle``
    more land at drawn positions, so edge values still reach long arrays.
    """
    size = n if isinstance(n, int) else draw(n)
    elems = elems if elems is not None else elements(dtype)
    if size <= 32:
        return draw(hnp.arrays(dtype, size, elements=elems))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    with np.errstate(over="ignore"):
        x = bulk(rng, size).astype(dtype)
    for v, rate in draw(st.lists(st.tuples(elems, st.sampled_from([0.0, 1e-3, 1e-2, 0.1])), max_size=3)):
        x[rng.random(size) < rate] = v
    for i, v in draw(st.lists(st.tuples(st.integers(0, size - 1), elems), max_size=sprinkle)):
        x[i] = v
    return x


ROWS = st.one_of(st.sampled_from([0, 1, 2, 3, 5, 17]), st.integers(0, 24))
COLS = st.one_of(st.sampled_from([0, 1, 2, 3, 7, 16, 17, 33, 255, 256, 257]), st.integers(0, 300))


@st.composite
def matrices(draw: st.DrawFn, dtype: Any, rows: st.SearchStrategy[int] = ROWS,
             cols: st.SearchStrategy[int] = COLS, **kw: Any) -> np.ndarray:
    """A rows x cols ``dtype`` array (either may be 0), filled as :func:`arrays` does."""
    r, c = draw(rows), draw(cols)
    return draw(arrays(dtype, r * c, **kw)).reshape(r, c)
