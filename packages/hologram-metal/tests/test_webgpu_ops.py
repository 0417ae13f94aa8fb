"""Dense sweeps of the WebGPU backend's transcendentals over their whole useful range.

Every op's behaviour is tested by hologram's op suite, which runs on this
backend (packages/hologram/tests/test_ops_*.py, parametrised by backend, with
the WebGPU tolerances stated in its backends_under_test.py). What is left here
is the accuracy sweep: ~200K evenly spaced float32 inputs per function, many
workgroups, in place, against float64, with the tolerances of the shader
README's measured table (plus margin).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import hologram as hg

F32 = np.float32
EPS = float(np.finfo(F32).eps)
TINY = float(np.finfo(F32).tiny)


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


#: op -> (float64 reference, input range, tolerance in float32 ulps: the shader README's recommendation)
UNARY: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float], float]] = {
    "neg": (np.negative, (-1e30, 1e30), 0),
    "abs": (np.abs, (-1e30, 1e30), 0),
    "relu": (lambda x: np.where(x < 0, 0.0, x), (-1e30, 1e30), 0),
    "sqrt": (np.sqrt, (0, 3e38), 1),
    "exp": (np.exp, (-87, 88), 2),
    "log": (np.log, (1e-30, 3e38), 2),
    "tanh": (np.tanh, (-20, 20), 2),
    "sigmoid": (sigmoid, (-80, 80), 3),
    "gelu": (erf_gelu, (-12, 12), 4),
    "gelu_tanh": (tanh_gelu, (-12, 12), 4),
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


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_dense_sweep_and_in_place(wex: hg.Executor, name: str) -> None:
    ref, (lo, hi), ulps = UNARY[name]
    x = np.linspace(lo, hi, 65536 * 3 + 7, dtype=F32)  # > 256 * 256: several grid-stride rounds
    a = wex.from_numpy(x)
    unary_op(name)(wex, a, out=a)  # in place: the output is the input
    assert_close(a.to_numpy(), ref(x.astype(np.float64)), tolerance_ulps(name, x, ulps), name)
