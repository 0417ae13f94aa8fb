"""hologram.hostcall: ops on raw host addresses, checked like the buffer ops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import hologram as hg
from hologram import hostcall


def _addr(a: np.ndarray) -> int:
    return int(a.ctypes.data)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(values=arrays(np.float64, st.integers(0, 257), elements=st.floats(-50, 50)))
def test_binary_unary_scalar_match_numpy(dtype: str, values: np.ndarray) -> None:
    a = values.astype(dtype)
    b = (values[::-1] + 0.5).astype(dtype)
    out = np.empty_like(a)
    n = a.size
    tol = {"rtol": 2e-6 if dtype == "float32" else 1e-14, "atol": 1e-6 if dtype == "float32" else 1e-14}
    with hg.Executor(backend="cpu") as ex:
        hostcall.binary(ex, "mul", dtype, _addr(a), _addr(b), _addr(out), n)
        np.testing.assert_allclose(out, a.astype(np.float64) * b, **tol)
        hostcall.unary(ex, "tanh", dtype, _addr(a), _addr(out), n)
        np.testing.assert_allclose(out, np.tanh(a.astype(np.float64)), **tol)
        hostcall.scalar(ex, "clip", dtype, _addr(a), _addr(out), n, -1.0, 2.0)
        np.testing.assert_array_equal(out, np.clip(a, -1.0, 2.0))


def test_rowwise_reduce_loss_gemm_match_numpy() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7))
    out = np.empty_like(x)
    rows = np.empty(5)
    one = np.empty(1)
    with hg.Executor(backend="cpu") as ex:
        hostcall.rowwise(ex, "softmax", "float64", _addr(x), _addr(out), 5, 7)
        e = np.exp(x - x.max(-1, keepdims=True))
        np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=1e-13)
        hostcall.reduce(ex, "sum", "float64", _addr(x), _addr(rows), 5, 7)
        np.testing.assert_allclose(rows, x.sum(-1), rtol=1e-13)
        y = rng.standard_normal((5, 7))
        hostcall.loss(ex, "mse", "float64", _addr(x), _addr(y), _addr(one), 5, 7)
        np.testing.assert_allclose(one[0], ((x - y) ** 2).mean(), rtol=1e-13)
        w = rng.standard_normal((3, 7))
        c = np.ones((5, 3))
        hostcall.gemm(ex, "float64", _addr(x), _addr(w), _addr(c), 5, 3, 7, trans_b=True, alpha=2.0, beta=1.0)
        np.testing.assert_allclose(c, 2.0 * x @ w.T + 1.0, rtol=1e-13)


def test_in_place_is_allowed() -> None:
    a = np.arange(6, dtype=np.float32)
    with hg.Executor(backend="cpu") as ex:
        hostcall.binary(ex, "add", "float32", _addr(a), _addr(a), _addr(a), 6)
    assert a.tolist() == [0, 2, 4, 6, 8, 10]


def test_bad_arguments_raise() -> None:
    a = np.zeros(8, dtype=np.float32)
    with hg.Executor(backend="cpu") as ex:
        with pytest.raises(hg.InvalidArgumentError, match="unknown op 'relu'"):
            hostcall.binary(ex, "relu", "float32", _addr(a), _addr(a), _addr(a), 8)
        with pytest.raises(hg.DTypeError, match="float32' or 'float64"):
            hostcall.unary(ex, "relu", "int32", _addr(a), _addr(a), 8)
        with pytest.raises(hg.InvalidArgumentError, match="NULL"):
            hostcall.unary(ex, "relu", "float32", 0, _addr(a), 8)
        with pytest.raises(hg.InvalidArgumentError, match="aligned"):
            hostcall.unary(ex, "relu", "float32", _addr(a) + 2, _addr(a), 4)
        with pytest.raises(hg.InvalidArgumentError, match=">= 0"):
            hostcall.unary(ex, "relu", "float32", _addr(a), _addr(a), -3)
        with pytest.raises(hg.InvalidArgumentError, match="overlaps"):
            hostcall.unary(ex, "relu", "float32", _addr(a), _addr(a) + 4, 7)
        with pytest.raises(TypeError, match=r"hologram\.Executor"):
            hostcall.unary("cpu", "relu", "float32", _addr(a), _addr(a), 8)  # type: ignore[arg-type]
        with pytest.raises(OverflowError):
            hostcall.unary(ex, "relu", "float32", -1, _addr(a), 8)
        hostcall.unary(ex, "relu", "float32", 0, 0, 0)  # n = 0 touches nothing
    with pytest.raises(hg.ClosedError):
        hostcall.unary(ex, "relu", "float32", _addr(a), _addr(a), 8)


def test_nan_and_inf_follow_ieee() -> None:
    a = np.array([np.nan, np.inf, -np.inf, 0.0], dtype=np.float64)
    out = np.empty_like(a)
    with hg.Executor(backend="cpu") as ex:
        hostcall.unary(ex, "exp", "float64", _addr(a), _addr(out), 4)
    np.testing.assert_array_equal(out, np.exp(a))
