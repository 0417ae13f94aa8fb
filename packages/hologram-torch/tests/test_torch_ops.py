"""The ``hologram::`` ops as torch sees them: opcheck, gradcheck, torch.compile."""

from __future__ import annotations

import pytest
import torch
from op_cases import CASES, Case, make_inputs

import hologram_torch as hgt
from hologram_torch import _ops

F = hgt.functional

# Every registered hologram:: op, with arguments to check it on (tensors get requires_grad variants).
_OP_ARGS = {
    "add": lambda: (torch.randn(3, 4), torch.randn(3, 4)),
    "sub": lambda: (torch.randn(3, 4), torch.randn(3, 4)),
    "mul": lambda: (torch.randn(3, 4), torch.randn(3, 4)),
    "div": lambda: (torch.randn(3, 4), torch.rand(3, 4) + 0.5),
    "add_scalar": lambda: (torch.randn(3, 4), 1.5),
    "mul_scalar": lambda: (torch.randn(3, 4), -2.0),
    "relu": lambda: (torch.randn(3, 4),),
    "sigmoid": lambda: (torch.randn(3, 4),),
    "tanh": lambda: (torch.randn(3, 4),),
    "gelu": lambda: (torch.randn(3, 4), "tanh"),
    "softmax": lambda: (torch.randn(3, 4),),
    "log_softmax": lambda: (torch.randn(3, 4),),
    "matmul": lambda: (torch.randn(2, 3, 4), torch.randn(2, 4, 5)),
    "linear": lambda: (torch.randn(3, 4), torch.randn(5, 4), torch.randn(5)),
    "mse_loss": lambda: (torch.randn(3, 4), torch.randn(3, 4)),
    "cross_entropy": lambda: (torch.randn(3, 4), torch.softmax(torch.randn(3, 4), -1)),
}


def test_every_op_has_check_arguments() -> None:
    registered = {name for name in _ops.__all__}
    assert registered == set(_OP_ARGS)
    for name in registered:
        assert hasattr(torch.ops.hologram, name), f"hologram::{name} is not registered with torch"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("requires_grad", [False, True], ids=["nograd", "grad"])
@pytest.mark.parametrize("name", sorted(_OP_ARGS))
def test_opcheck(name: str, requires_grad: bool, dtype: torch.dtype) -> None:
    args = tuple(a.to(dtype).requires_grad_(requires_grad) if isinstance(a, torch.Tensor) else a
                 for a in _OP_ARGS[name]())
    torch.library.opcheck(getattr(torch.ops.hologram, name).default, args)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradcheck_float64(case: Case) -> None:
    inputs = make_inputs(case, torch.float64, seed=1, requires_grad=True)
    assert torch.autograd.gradcheck(case.fn, tuple(inputs))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradients_match_torch(case: Case) -> None:
    inputs = make_inputs(case, torch.float64, seed=2, requires_grad=True)
    refs = [t.detach().clone().requires_grad_() for t in inputs]
    out, ref = case.fn(*inputs), case.ref(*refs)
    g = torch.randn_like(ref)
    out.backward(g)
    ref.backward(g)
    for got, want in zip(inputs, refs, strict=True):
        torch.testing.assert_close(got.grad, want.grad, rtol=1e-10, atol=1e-12)


def test_double_backward_of_elementwise_ops() -> None:
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    for fn in (F.tanh, F.sigmoid, lambda t: F.mul(t, t), F.softmax):
        assert torch.autograd.gradgradcheck(fn, (x,))


def test_cross_entropy_class_index_gradient() -> None:
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 4, (5,))
    assert torch.autograd.gradcheck(lambda v: F.cross_entropy(v, t, label_smoothing=0.1), (x,))


# -- torch.compile ----------------------------------------------------------------------------------

def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        hgt.nn.Linear(12, 32), hgt.nn.GELU(), hgt.nn.Linear(32, 32), hgt.nn.ReLU(),
        hgt.nn.Linear(32, 5), hgt.nn.LogSoftmax(dim=-1),
    )


def test_compiled_mlp_matches_eager_fullgraph() -> None:
    torch._dynamo.reset()
    model = _mlp()
    x = torch.randn(16, 12)
    compiled = torch.compile(model, fullgraph=True)
    torch.testing.assert_close(compiled(x), model(x))


def test_compiled_training_step_matches_eager() -> None:
    torch._dynamo.reset()
    x, target = torch.randn(16, 12), torch.randint(0, 5, (16,))
    loss_fn = hgt.nn.CrossEntropyLoss()

    def step(model: torch.nn.Module) -> tuple[torch.Tensor, list[torch.Tensor]]:
        model.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in model.parameters()]  # type: ignore[union-attr]

    eager, compiled = _mlp(), _mlp()
    loss_e, grads_e = step(eager)
    loss_c, grads_c = step(torch.compile(compiled, fullgraph=True))  # type: ignore[arg-type]
    torch.testing.assert_close(loss_c, loss_e)
    for gc, ge in zip(grads_c, grads_e, strict=True):
        torch.testing.assert_close(gc, ge)


def test_compiled_graph_calls_hologram_ops() -> None:
    torch._dynamo.reset()
    seen: list[str] = []

    def backend(gm: torch.fx.GraphModule, example_inputs: list[torch.Tensor]):  # type: ignore[no-untyped-def]
        seen.extend(str(n.target) for n in gm.graph.nodes if n.op == "call_function")
        return gm

    fn = torch.compile(lambda a, b: F.relu(F.add(a, b)), backend=backend, fullgraph=True)
    a, b = torch.randn(8), torch.randn(8)
    torch.testing.assert_close(fn(a, b), torch.relu(a + b))
    assert any("hologram.add" in s for s in seen) and any("hologram.relu" in s for s in seen), seen
