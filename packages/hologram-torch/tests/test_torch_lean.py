"""The lean path of hologram_torch.functional: taken for plain CPU tensors, refused for everything else."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch

import hologram as hg
import hologram_torch as hgt
from hologram_torch import _bridge, _lean

F = hgt.functional

# Each lean result is compared with the same op through hologram_torch.functional with an explicit
# executor (the full path: bit for bit) and with a float64 reference.
BINARY = ["add", "sub", "mul", "div"]
# The GELUs written without cancellation (torch's own float64 GELU loses the negative tail too).
UNARY: dict[str, Callable[..., Any]] = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
    "gelu": lambda x: 0.5 * x * torch.special.erfc(-x / math.sqrt(2.0)),
    "gelu_tanh": lambda x: x * torch.sigmoid(2 * math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)),
}
ROWWISE = {"softmax": torch.softmax, "log_softmax": torch.log_softmax}


def _full_unary(name: str, x: torch.Tensor, executor: hg.Executor) -> torch.Tensor:
    if name == "gelu_tanh":
        return F.gelu(x, approximate="tanh", executor=executor)
    return getattr(F, name)(x, executor=executor)


@pytest.fixture(autouse=True)
def _default_executor() -> None:
    _bridge.default_executor()  # the lean path uses the default executor once it exists


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_lean_equals_full_path(name: str, dtype: torch.dtype, executor: hg.Executor) -> None:
    a, b = torch.randn(3, 1000, dtype=dtype), torch.rand(3, 1000, dtype=dtype) + 0.5
    lean = _lean.binary(name, a, b)
    assert lean is not None and lean.shape == a.shape and lean.dtype == dtype
    torch.testing.assert_close(lean, getattr(F, name)(a, b, executor=executor), rtol=0, atol=0)
    want = getattr(torch, name)(a.double(), b.double())
    torch.testing.assert_close(lean.double(), want, rtol=1e-6 if dtype == torch.float32 else 1e-15, atol=0)
    torch.testing.assert_close(getattr(F, name)(a, b), lean, rtol=0, atol=0)


@pytest.mark.parametrize("value", [2.5, -3, 0.125, 7])
@pytest.mark.parametrize("name", BINARY)
def test_scalar_operand_lean_equals_full_path(name: str, value: float, executor: hg.Executor) -> None:
    a = torch.randn(2000, dtype=torch.float64)
    op = {"add": ("add_scalar", value), "sub": ("add_scalar", -value), "mul": ("mul_scalar", value),
          "div": ("mul_scalar", 1.0 / value)}[name]
    lean = _lean.scalar(op[0], a, op[1])
    assert lean is not None
    full = getattr(F, name)(a, value, executor=executor)
    torch.testing.assert_close(lean, full, rtol=0, atol=0)
    torch.testing.assert_close(getattr(F, name)(a, value), full, rtol=0, atol=0)
    torch.testing.assert_close(full, getattr(torch, name)(a, value), rtol=1e-15, atol=0)


def test_scalar_edge_cases_take_the_full_path() -> None:
    a = torch.randn(16)
    torch.testing.assert_close(F.div(a, 0), torch.div(a, 0))  # no reciprocal: a division by zeros
    torch.testing.assert_close(F.add(a, float("inf")), a + float("inf"))
    with pytest.raises(TypeError, match="must be a tensor or a number"):
        F.add(a, True)
    with pytest.raises(OverflowError):
        F.mul(a, 10**400)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_lean_equals_full_path(name: str, dtype: torch.dtype, executor: hg.Executor) -> None:
    x = torch.randn(5000, dtype=dtype) * 4
    lean = _lean.unary(name, x)
    assert lean is not None
    torch.testing.assert_close(lean, _full_unary(name, x, executor), rtol=0, atol=0)
    torch.testing.assert_close(lean.double(), UNARY[name](x.double()),
                               rtol=1e-6 if dtype == torch.float32 else 1e-13, atol=1e-30)


@pytest.mark.parametrize("dim", [-1, 1])
@pytest.mark.parametrize("name", list(ROWWISE))
def test_rowwise_lean_equals_full_path(name: str, dim: int, executor: hg.Executor) -> None:
    x = torch.randn(7, 300) * 5
    lean = _lean.rowwise(name, x, dim)
    assert lean is not None
    torch.testing.assert_close(lean, getattr(F, name)(x, dim, executor=executor), rtol=0, atol=0)
    torch.testing.assert_close(lean.double(), ROWWISE[name](x.double(), dim), rtol=1e-6, atol=1e-7)


def _refusals() -> list[tuple[str, Callable[[], Any]]]:
    a = torch.randn(64, 32)
    grad = torch.randn(64, 32, requires_grad=True)
    param = torch.nn.Parameter(torch.randn(64, 32), requires_grad=False)  # a subclass: the full path
    strided = a.t()
    return [
        ("requires_grad", lambda: _lean.binary("add", grad, a)),
        ("non-contiguous", lambda: _lean.binary("add", strided, strided.contiguous())),
        ("dtype mismatch", lambda: _lean.binary("add", a, a.double())),
        ("integer dtype", lambda: _lean.binary("add", a.int(), a.int())),
        ("shape mismatch", lambda: _lean.binary("add", a, a.reshape(32, 64))),
        ("a number", lambda: _lean.binary("add", a, 2.0)),
        ("scalar op on an integer tensor", lambda: _lean.scalar("add_scalar", a.int(), 2.0)),
        ("scalar op needing a gradient", lambda: _lean.scalar("mul_scalar", grad, 2.0)),
        ("tensor subclass", lambda: _lean.unary("relu", param)),
        ("meta device", lambda: _lean.unary("relu", torch.empty(4, device="meta"))),
        ("float16", lambda: _lean.unary("relu", a.half())),
        ("non-contiguous unary", lambda: _lean.unary("relu", strided)),
        ("0-dim softmax", lambda: _lean.rowwise("softmax", torch.tensor(1.0), -1)),
        ("softmax over another axis", lambda: _lean.rowwise("softmax", a, 0)),
        ("softmax with no columns", lambda: _lean.rowwise("softmax", torch.empty(3, 0), -1)),
    ]


@pytest.mark.parametrize("case", _refusals(), ids=lambda c: c[0])
def test_refuses_anything_but_the_simple_case(case: tuple[str, Callable[[], Any]]) -> None:
    assert case[1]() is None


def test_refuses_while_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lean, "_is_compiling", lambda: True)
    a = torch.randn(16)
    assert _lean.binary("add", a, a) is None
    assert _lean.unary("relu", a) is None
    assert _lean.rowwise("softmax", a, -1) is None


def test_refused_calls_still_raise_the_full_paths_errors() -> None:
    a = torch.randn(8)
    with pytest.raises(hg.ShapeError, match="broadcasts only a scalar"):
        F.add(a, torch.randn(4))
    with pytest.raises(hg.DTypeError, match=r"torch\.float32 or torch\.float64"):
        F.relu(a.int())
    with pytest.raises(hg.InvalidArgumentError, match="approximate must be"):
        F.gelu(a, approximate="erf")


def test_gradients_take_the_full_path() -> None:
    x = torch.randn(100, dtype=torch.float64, requires_grad=True)
    F.gelu(x).sum().backward()
    ref = x.detach().clone().requires_grad_(True)
    torch.nn.functional.gelu(ref).sum().backward()
    assert x.grad is not None
    torch.testing.assert_close(x.grad, ref.grad)


def test_a_closed_default_executor_is_replaced() -> None:
    a = torch.randn(256)
    _bridge.default_executor().close()
    assert _lean.binary("add", a, a) is None  # the core refuses the closed executor: full path
    torch.testing.assert_close(F.add(a, a), a + a)  # which makes a new default executor
    assert not _bridge.default_executor().closed
    out = _lean.binary("add", a, a)
    assert out is not None
    torch.testing.assert_close(out, a + a)
