"""hologram_torch.nn: drop-in twins of torch.nn layers, state dicts, Sequential, convert."""

from __future__ import annotations

import copy

import pytest
import torch

import hologram as hg
import hologram_torch as hgt

nn = hgt.nn

# (hologram layer factory, torch twin factory, input shape)
PAIRS = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU(), (4, 6)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU(), (4, 6)),
    (lambda: nn.GELU(approximate="tanh"), lambda: torch.nn.GELU(approximate="tanh"), (4, 6)),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (4, 6)),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh(), (4, 6)),
    (lambda: nn.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1), (4, 6)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (2, 3, 4)),
    (lambda: nn.LogSoftmax(dim=1), lambda: torch.nn.LogSoftmax(dim=1), (4, 6)),
]


@pytest.mark.parametrize(("make", "make_ref", "shape"), PAIRS)
def test_activation_layers_match_torch(make, make_ref, shape) -> None:  # type: ignore[no-untyped-def]
    layer, ref = make(), make_ref()
    assert isinstance(layer, type(ref))
    assert repr(layer) == repr(ref)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    out, want = layer(x), ref(x_ref)
    torch.testing.assert_close(out, want)
    out.sum().backward()
    want.sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad)


def test_softmax_without_dim_follows_torch_legacy_rule() -> None:
    x = torch.randn(2, 3, 4)
    with pytest.warns(UserWarning):
        want = torch.nn.Softmax()(x)
    torch.testing.assert_close(nn.Softmax()(x), want)


def test_relu_inplace_writes_the_input() -> None:
    x = torch.randn(10)
    expected = torch.relu(x)
    out = nn.ReLU(inplace=True)(x)
    assert out is x
    torch.testing.assert_close(x, expected)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_and_shares_the_state_dict(bias: bool) -> None:
    torch.manual_seed(0)
    ref = torch.nn.Linear(7, 3, bias=bias)
    layer = nn.Linear(7, 3, bias=bias)
    assert list(layer.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in ref.named_parameters()]
    layer.load_state_dict(ref.state_dict())  # torch -> hologram
    x = torch.randn(2, 5, 7)
    torch.testing.assert_close(layer(x), ref(x))
    back = torch.nn.Linear(7, 3, bias=bias)
    back.load_state_dict(layer.state_dict())  # hologram -> torch
    torch.testing.assert_close(back(x), ref(x))
    assert repr(layer) == repr(ref)


def test_linear_initialises_like_torch() -> None:
    torch.manual_seed(42)
    ref = torch.nn.Linear(16, 8)
    torch.manual_seed(42)
    layer = nn.Linear(16, 8)
    torch.testing.assert_close(layer.weight, ref.weight)
    torch.testing.assert_close(layer.bias, ref.bias)


def test_linear_dtype_and_device_arguments() -> None:
    layer = nn.Linear(4, 2, dtype=torch.float64, device="cpu")
    assert layer.weight.dtype == torch.float64
    assert layer(torch.randn(3, 4, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction: str) -> None:
    a, b = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    torch.testing.assert_close(nn.MSELoss(reduction=reduction)(a, b), torch.nn.MSELoss(reduction=reduction)(a, b))
    t = torch.randint(0, 4, (5,))
    torch.testing.assert_close(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.05)(a, t),
                               torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.05)(a, t))


def test_cross_entropy_loss_with_weight_raises() -> None:
    with pytest.raises(hg.UnsupportedOperationError, match="weight"):
        nn.CrossEntropyLoss(weight=torch.ones(3))


def test_layers_in_sequential_train() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    ref = copy.deepcopy(model)
    for p in ref.modules():  # the same model with torch's own layers
        if isinstance(p, torch.nn.Linear):
            p.__class__ = torch.nn.Linear
        elif isinstance(p, torch.nn.Tanh):
            p.__class__ = torch.nn.Tanh
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    for m in (model, ref):
        opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        for _ in range(10):
            opt.zero_grad()
            torch.nn.functional.mse_loss(m(x), y).backward()
            opt.step()
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_layer_executor_argument(executor: hg.Executor) -> None:
    layer = nn.ReLU(executor=executor)
    assert layer.executor is executor
    x = torch.randn(5)
    torch.testing.assert_close(layer(x), torch.relu(x))
    with pytest.raises(TypeError):
        nn.Tanh(executor="cpu")  # type: ignore[arg-type]


# -- convert ----------------------------------------------------------------------------------------

class _Block(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(6, 6)
        self.act = torch.nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc(x))


class _CustomReLU(torch.nn.ReLU):
    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return super().forward(input) * 2


def test_convert_swaps_supported_layers_in_place() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), _Block(), torch.nn.Dropout(0.0),
                                _CustomReLU(), torch.nn.Linear(6, 2), torch.nn.Softmax(dim=-1))
    x = torch.randn(4, 3)
    want = model(x)
    layers_before = list(model.modules())
    params_before = [id(p) for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    assert nn.convert(model) is model
    assert list(model.modules()) == layers_before  # same objects: only classes changed
    assert [id(p) for p in model.parameters()] == params_before
    assert type(model[0]) is nn.Linear and type(model[1]) is nn.ReLU
    assert type(model[2].fc) is nn.Linear and type(model[2].act) is nn.GELU
    assert type(model[3]) is torch.nn.Dropout  # not supported: left alone
    assert type(model[4]) is _CustomReLU  # a subclass with its own forward: left alone
    assert type(model[6]) is nn.Softmax
    torch.testing.assert_close(model(x), want)

    model(x).sum().backward()  # the optimizer built before the swap still steps the same parameters
    opt.step()


def test_convert_a_single_layer_and_weighted_loss() -> None:
    layer = torch.nn.Tanh()
    assert type(nn.convert(layer)) is nn.Tanh
    loss = torch.nn.CrossEntropyLoss(weight=torch.ones(3))
    assert type(nn.convert(loss)) is torch.nn.CrossEntropyLoss


def test_convert_with_an_executor(executor: hg.Executor) -> None:
    model = nn.convert(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), executor=executor)
    assert all(getattr(m, "executor", executor) is executor for m in model)
    x = torch.randn(3, 2)
    torch.testing.assert_close(model(x), torch.relu(torch.nn.functional.linear(x, model[0].weight, model[0].bias)))
