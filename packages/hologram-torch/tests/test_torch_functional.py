"""hologram_torch.functional against float64 PyTorch: values, executors, broadcasting, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from op_cases import CASES, Case, make_inputs

import hologram as hg
import hologram_torch as hgt

F = hgt.functional
DTYPES = [torch.float32, torch.float64]


def _tol(case: Case, dtype: torch.dtype) -> dict[str, float]:
    return {"rtol": case.rtol32, "atol": case.rtol32} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-12}


def _reference(case: Case, inputs: list[torch.Tensor]) -> torch.Tensor:
    return case.ref(*[t.detach().double() for t in inputs])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_float64_reference(case: Case, dtype: torch.dtype) -> None:
    inputs = make_inputs(case, dtype)
    out = case.fn(*inputs)
    assert out.dtype == dtype and out.device.type == "cpu"
    torch.testing.assert_close(out.double(), _reference(case, inputs), **_tol(case, dtype))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_explicit_executor_gives_the_same_result(case: Case, executor: hg.Executor) -> None:
    inputs = make_inputs(case, torch.float64, seed=3)
    torch.testing.assert_close(case.fn(*inputs, executor=executor), case.fn(*inputs), rtol=0, atol=0)


def test_seed_style_call_with_an_executor(executor: hg.Executor) -> None:
    a, b = torch.randn(1024), torch.randn(1024)
    c = F.add(executor, a, b)
    torch.testing.assert_close(c, a + b)
    assert F.relu(executor, a).equal(torch.relu(a))


def test_results_outlive_the_executor() -> None:
    with hg.Executor(backend="cpu") as ex:
        c = F.mul(ex, torch.full((8,), 3.0), torch.full((8,), 2.0))
    assert ex.closed
    assert c.tolist() == [6.0] * 8


def test_closed_executor_raises() -> None:
    ex = hg.Executor(backend="cpu")
    ex.close()
    with pytest.raises(hg.ClosedError):
        F.add(ex, torch.ones(4), torch.ones(4))


def test_executor_given_twice_raises(executor: hg.Executor) -> None:
    with pytest.raises(TypeError, match="twice"):
        F.relu(executor, torch.ones(2), executor=executor)


# -- values: hypothesis over shapes and float values, IEEE specials -----------------------------

_finite32 = st.floats(-1e4, 1e4, width=32)


@given(arrays(np.float32, st.integers(0, 300), elements=_finite32),
       st.sampled_from(["add", "sub", "mul", "relu", "sigmoid", "tanh", "gelu"]))
def test_elementwise_on_random_values(values: np.ndarray, name: str) -> None:
    a = torch.from_numpy(values.copy())
    b = torch.flip(a, [0]) * 0.5 + 1.0
    fn = getattr(F, name)
    ref = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "relu": torch.relu,
           "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": torch.nn.functional.gelu}[name]
    args = (a, b) if name in ("add", "sub", "mul") else (a,)
    got = fn(*args)
    want = ref(*[x.double() for x in args])
    torch.testing.assert_close(got.double(), want, rtol=2e-6, atol=1e-6)


@given(st.integers(1, 6), st.integers(1, 40), st.floats(0.01, 50.0))
def test_softmax_rows_on_random_shapes(rows: int, cols: int, scale: float) -> None:
    x = torch.randn(rows, cols, dtype=torch.float64) * scale
    torch.testing.assert_close(F.softmax(x), torch.softmax(x, -1), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(F.log_softmax(x), torch.log_softmax(x, -1), rtol=1e-12, atol=1e-12)


@given(st.integers(1, 33), st.integers(1, 33), st.integers(1, 33))
def test_matmul_on_odd_sizes(m: int, k: int, n: int) -> None:
    a, b = torch.randn(m, k, dtype=torch.float64), torch.randn(k, n, dtype=torch.float64)
    torch.testing.assert_close(F.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(F.matmul(b.T, a.T), b.T @ a.T, rtol=1e-12, atol=1e-12)  # transposed operands


def test_ieee_specials_propagate() -> None:
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-45])
    for name, ref in (("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)):
        torch.testing.assert_close(getattr(F, name)(x), ref(x), equal_nan=True)
    torch.testing.assert_close(F.add(x, x), x + x, equal_nan=True)
    torch.testing.assert_close(F.div(torch.ones(3), torch.tensor([0.0, -0.0, float("inf")])),
                               torch.tensor([float("inf"), -float("inf"), 0.0]))
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    torch.testing.assert_close(F.softmax(big), torch.softmax(big, -1))


@pytest.mark.parametrize("name", ["add", "relu", "softmax", "sigmoid"])
def test_empty_tensors(name: str) -> None:
    x = torch.empty(0, 5)
    args = (x, x) if name == "add" else (x,)
    out = getattr(F, name)(*args)
    assert out.shape == (0, 5)


def test_zero_dim_tensors() -> None:
    s = torch.tensor(2.5)
    assert F.relu(s).shape == () and F.relu(s).item() == 2.5
    assert F.add(s, s).item() == 5.0
    assert F.softmax(s).item() == 1.0


# -- broadcasting: a scalar, a 0-dim tensor or the same shape; anything else raises --------------

@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_scalar_operands(name: str) -> None:
    a = torch.randn(10, dtype=torch.float64)
    ref = getattr(torch, name)
    torch.testing.assert_close(getattr(F, name)(a, 2.5), ref(a, 2.5))
    torch.testing.assert_close(getattr(F, name)(a, torch.tensor(2.5, dtype=torch.float64)), ref(a, 2.5))
    torch.testing.assert_close(getattr(F, name)(3.0, a + 4.0), ref(torch.tensor(3.0, dtype=torch.float64), a + 4.0))


def test_division_by_a_zero_scalar_is_ieee() -> None:
    out = F.div(torch.tensor([1.0, -1.0, 0.0]), 0.0)
    assert out[0] == math.inf and out[1] == -math.inf and math.isnan(out[2])


@pytest.mark.parametrize(("a", "b"), [((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3), (3, 2)), ((5,), (6,))])
def test_other_broadcasts_raise(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    with pytest.raises(hg.ShapeError, match="broadcasts only"):
        F.add(torch.ones(a), torch.ones(b))
    with pytest.raises(ValueError):  # ShapeError is a ValueError, as a Python user expects
        F.mul(torch.ones(a), torch.ones(b))


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.float16, torch.bfloat16, torch.bool,
                                   torch.complex64])
def test_other_dtypes_raise_type_error(dtype: torch.dtype) -> None:
    x = torch.ones(4, dtype=dtype)
    for call in (lambda: F.relu(x), lambda: F.add(x, x), lambda: F.matmul(x.reshape(2, 2), x.reshape(2, 2))):
        with pytest.raises(TypeError, match=r"float32 or torch\.float64"):
            call()


def test_mixed_dtypes_raise() -> None:
    with pytest.raises(TypeError, match="mix"):
        F.add(torch.ones(3), torch.ones(3, dtype=torch.float64))


def test_non_tensors_raise() -> None:
    with pytest.raises(TypeError):
        F.relu([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        F.add(torch.ones(2), "x")  # type: ignore[arg-type]


def test_tensors_on_another_device_raise() -> None:
    x = torch.ones(4, device="meta")
    with pytest.raises(hg.InvalidArgumentError, match="devices"):
        F.add(torch.ones(4), x)


@pytest.mark.parametrize(("a", "b"), [((2, 3), (4, 5)), ((2, 3, 4), (3, 4, 5)), ((3,), (3,)), ((2, 2, 2, 2), (2, 2))])
def test_matmul_shapes_checked(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    with pytest.raises(hg.ShapeError):
        F.matmul(torch.ones(a), torch.ones(b))


def test_linear_shapes_checked() -> None:
    with pytest.raises(hg.ShapeError, match="last dimension"):
        F.linear(torch.ones(2, 3), torch.ones(4, 5))
    with pytest.raises(hg.ShapeError, match="bias"):
        F.linear(torch.ones(2, 5), torch.ones(4, 5), torch.ones(3))
    with pytest.raises(hg.ShapeError, match="2-D"):
        F.linear(torch.ones(2, 5), torch.ones(5))


def test_loss_arguments_checked() -> None:
    with pytest.raises(hg.ShapeError):
        F.mse_loss(torch.ones(3), torch.ones(4))
    with pytest.raises(hg.InvalidArgumentError, match="reduction"):
        F.mse_loss(torch.ones(3), torch.ones(3), reduction="avg")
    with pytest.raises(IndexError):
        F.cross_entropy(torch.randn(2, 3), torch.tensor([0, 3]))
    with pytest.raises(hg.UnsupportedOperationError):
        F.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]), weight=torch.ones(3))
    with pytest.raises(hg.UnsupportedOperationError):
        F.cross_entropy(torch.randn(2, 3), torch.tensor([0, -100]))
    with pytest.raises(hg.InvalidArgumentError, match="approximate"):
        F.gelu(torch.ones(2), approximate="fast")  # type: ignore[arg-type]
    with pytest.raises(IndexError):
        F.softmax(torch.ones(2, 3), dim=2)


# -- cross-entropy in PyTorch's forms ---------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_class_indices(reduction: str, smoothing: float) -> None:
    x = torch.randn(7, 5, dtype=torch.float64)
    t = torch.randint(0, 5, (7,))
    want = torch.nn.functional.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing)
    got = F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing)
    torch.testing.assert_close(got, want)


def test_cross_entropy_unbatched_and_extreme_logits() -> None:
    x = torch.tensor([1e4, -1e4, 0.0], dtype=torch.float64)
    t = torch.tensor(2)
    torch.testing.assert_close(F.cross_entropy(x, t), torch.nn.functional.cross_entropy(x, t))
    assert math.isfinite(F.cross_entropy(x.unsqueeze(0), t.unsqueeze(0)).item())


# -- non-contiguous inputs are made contiguous once and give the right answer --------------------

def test_non_contiguous_inputs() -> None:
    base = torch.randn(6, 8, dtype=torch.float64)
    t = base.T  # transposed view
    s = base[:, ::2]  # strided slice
    torch.testing.assert_close(F.relu(t), torch.relu(t))
    torch.testing.assert_close(F.add(s, s), s + s)
    torch.testing.assert_close(F.softmax(t), torch.softmax(t, -1))
    torch.testing.assert_close(F.linear(s, base[:3, ::2]), torch.nn.functional.linear(s, base[:3, ::2]))
    assert F.relu(t).is_contiguous()


# -- the same ops on 'hologram' device tensors ------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_on_the_hologram_device(case: Case) -> None:
    if not hgt.device.is_available():
        pytest.skip(f"no 'hologram' device: {hgt.device.unavailable_reason()}")
    inputs = make_inputs(case, torch.float64, seed=5)
    out = case.fn(*[t.to("hologram") for t in inputs])
    assert out.device.type == "hologram"
    torch.testing.assert_close(out.cpu(), _reference(case, inputs), rtol=1e-10, atol=1e-12)


def test_device_and_cpu_tensors_do_not_mix() -> None:
    if not hgt.device.is_available():
        pytest.skip(f"no 'hologram' device: {hgt.device.unavailable_reason()}")
    with pytest.raises(hg.InvalidArgumentError, match="different devices"):
        F.add(torch.ones(3), torch.ones(3, device="hologram"))
