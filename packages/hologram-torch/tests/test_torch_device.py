"""The 'hologram' PyTorch device: creation, copies, views, native kernels, fallback, training.

Reference results come from plain PyTorch on the CPU (float64 unless a test
says otherwise). Tests of native kernels turn warnings into errors, so a
kernel that silently fell back to the CPU fails them.
"""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hologram_torch import device

device.register()
if not device.is_available():
    pytest.skip(f"the 'hologram' device is not available: {device.unavailable_reason()}", allow_module_level=True)

from hologram_torch.device import _fallback, _storage  # noqa: E402  (after the availability check)

DEV = "hologram"
F64 = torch.float64


@pytest.fixture
def no_warnings():
    """Any warning (a CPU fallback, in particular) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture
def fresh_fallback_warnings(monkeypatch):
    """Forget which ops already warned, so a test sees each op's first fallback."""
    monkeypatch.setattr(_fallback, "_warned", set())
    monkeypatch.delenv(_fallback.STRICT_ENV, raising=False)


def h(t: torch.Tensor) -> torch.Tensor:
    return t.to(DEV)


def randn(*shape: int, dtype: torch.dtype = F64, seed: int | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed if seed is not None else sum(shape) * 7 + len(shape))
    return torch.randn(*shape, dtype=dtype, generator=g)


# -- registration -------------------------------------------------------------------------------------------

def test_registered_device_and_backend_module():
    assert device.register() is True  # idempotent
    assert device.unavailable_reason() is None
    assert torch._C._get_privateuse1_backend_name() == "hologram"
    assert torch.hologram.is_available()
    assert torch.hologram.device_count() == 1
    assert torch.hologram.current_device() == 0
    assert torch.device("hologram").type == "hologram"
    t = torch.ones(2, device=DEV)
    assert t.device == torch.device("hologram", 0)
    assert t.is_hologram and not torch.ones(2).is_hologram
    assert device.executor() is _storage.buffer_of(t).executor


def test_native_ops_is_a_sorted_tuple_of_registered_kernels():
    ops = device.NATIVE_OPS
    assert isinstance(ops, tuple) and list(ops) == sorted(ops) and len(set(ops)) == len(ops)
    for name in ("aten::add.Tensor", "aten::mm", "aten::addmm", "aten::addmv", "aten::mv", "aten::_copy_from", "aten::empty.memory_format",
                 "aten::normal_", "aten::sum.dim_IntList", "aten::_softmax", "aten::mse_loss_backward",
                 "aten::threshold_backward", "aten::lerp_.Scalar", "aten::addcdiv_", "aten::view"):
        assert name in ops
    for name in ops:
        assert torch._C._dispatch_has_kernel_for_dispatch_key(name, "PrivateUse1"), name


def test_why_the_device_would_be_unavailable(monkeypatch):
    assert device._why_not() is not None  # PrivateUse1 is taken now: by this very device
    monkeypatch.setattr(torch, "__version__", "2.9.1")
    assert "torch >= 2.10" in device._why_not()


def test_import_survives_privateuse1_taken_by_another_library():
    code = ("import torch; torch.utils.rename_privateuse1_backend('other'); import hologram_torch as hg; "
            "assert not hg.device.is_available() and not hg.device.register(); "
            "print(hg.device.unavailable_reason())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "'other'" in run.stdout


def test_the_docstring_lists_every_native_op():
    listed = {name.rstrip("_") for name in re.findall(r"``(\w+)", device.__doc__ or "")}
    for name in device.NATIVE_OPS:
        assert name.removeprefix("aten::").split(".")[0].rstrip("_") in listed, name


def test_the_docstring_example_runs_natively(no_warnings):
    x = torch.randn(64, 32, device="hologram")
    model = torch.nn.Linear(32, 8).to("hologram")
    loss = model(x).square().mean()
    loss.backward()
    assert model.weight.grad.device.type == "hologram"


def test_other_device_indices_raise():
    with pytest.raises(RuntimeError, match="one 'hologram' device"):
        torch.empty(3, device="hologram:1")


# -- creation -----------------------------------------------------------------------------------------------

def test_randn_and_rand_follow_manual_seed(no_warnings):
    torch.manual_seed(1234)
    a = torch.randn(1024, device=DEV)
    u = torch.rand(3, 5, device=DEV, dtype=F64)
    torch.manual_seed(1234)
    ref_a = torch.randn(1024)
    ref_u = torch.rand(3, 5, dtype=F64)
    assert a.device.type == "hologram" and a.shape == (1024,) and a.dtype == torch.float32
    assert torch.equal(a.cpu(), ref_a)
    assert torch.equal(u.cpu(), ref_u)
    torch.hologram.manual_seed(7)
    b = torch.randn(16, device=DEV)
    torch.manual_seed(7)
    assert torch.equal(b.cpu(), torch.randn(16))


def test_randn_with_a_cpu_generator(no_warnings):
    a = torch.randn(8, device=DEV, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.cpu(), torch.randn(8, generator=torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zeros_ones_full_empty_and_likes(no_warnings, dtype):
    z = torch.zeros(2, 3, device=DEV, dtype=dtype)
    o = torch.ones(4, device=DEV, dtype=dtype)
    f = torch.full((2, 2), 2.5, device=DEV, dtype=dtype)
    e = torch.empty(5, 1, device=DEV, dtype=dtype)
    for t, ref in ((z, torch.zeros(2, 3, dtype=dtype)), (o, torch.ones(4, dtype=dtype)),
                   (f, torch.full((2, 2), 2.5, dtype=dtype))):
        assert t.device.type == "hologram" and t.dtype == dtype
        assert torch.equal(t.cpu(), ref)
    assert e.shape == (5, 1) and e.dtype == dtype
    assert torch.equal(torch.zeros_like(f).cpu(), torch.zeros(2, 2, dtype=dtype))
    assert torch.equal(torch.ones_like(f).cpu(), torch.ones(2, 2, dtype=dtype))
    assert torch.equal(torch.full_like(z, -1.0).cpu(), torch.full((2, 3), -1.0, dtype=dtype))
    assert torch.empty_like(z).shape == z.shape
    assert torch.zeros(0, 3, device=DEV).shape == (0, 3)


def test_channels_last_and_strided_empty(no_warnings):
    t = torch.empty(2, 3, 4, 5, device=DEV, memory_format=torch.channels_last)
    assert t.stride() == torch.empty(2, 3, 4, 5, memory_format=torch.channels_last).stride()
    s = torch.empty_strided((3, 4), (1, 3), device=DEV)
    assert s.stride() == (1, 3)


def test_other_dtypes_live_on_the_device_and_compute_on_the_cpu(fresh_fallback_warnings):
    """Decision: any dtype can live on the device (bool masks and int64 indices appear in ordinary
    models); creation, copies, views and item() are native for all dtypes, compute is native for
    float32/float64 only, and other dtypes take the (warning) CPU fallback."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        i = torch.zeros(3, dtype=torch.int64, device=DEV)
        j = torch.tensor([1, 2, 3], device=DEV)
        assert i.dtype == torch.int64 and i.device.type == "hologram"
        assert j.cpu().tolist() == [1, 2, 3] and j[1].item() == 2
    with pytest.warns(RuntimeWarning, match=r"aten::add\.Tensor .*dtype int64"):
        k = j + 1
    assert k.device.type == "hologram" and k.cpu().tolist() == [2, 3, 4]
    x = h(torch.tensor([-1.0, 2.0, -3.0]))
    with pytest.warns(RuntimeWarning, match="aten::gt"):
        mask = x > 0
    assert mask.dtype == torch.bool and mask.device.type == "hologram"
    assert mask.cpu().tolist() == [False, True, False]


# -- copies ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_round_trips(no_warnings, dtype):
    ref = randn(4, 6, dtype=dtype)
    d = ref.to(DEV)
    assert d.device.type == "hologram" and d.dtype == dtype
    assert torch.equal(d.cpu(), ref)
    np.testing.assert_array_equal(d.cpu().numpy(), ref.numpy())
    assert torch.equal(torch.tensor(ref.tolist(), device=DEV, dtype=dtype).cpu(), ref)
    # a strided CPU source, a strided device source, and a device -> device copy into a slice
    assert torch.equal(ref.t().to(DEV).cpu(), ref.t())
    assert torch.equal(d.t().cpu(), ref.t())
    target = torch.zeros(6, 8, device=DEV, dtype=dtype)
    target[:, 1:5].copy_(d.t())
    expect = torch.zeros(6, 8, dtype=dtype)
    expect[:, 1:5] = ref.t()
    assert torch.equal(target.cpu(), expect)
    # dtype conversions on the device
    other = torch.float64 if dtype == torch.float32 else torch.float32
    assert torch.equal(d.to(other).cpu(), ref.to(other))
    assert d.clone().data_ptr() != d.data_ptr() and torch.equal(d.clone().cpu(), ref)


def test_device_memory_is_the_hologram_buffer(no_warnings):
    """Zero-copy proof: the tensor's data pointer is the buffer's memory, and writes show both ways."""
    t = torch.zeros(3, 4, device=DEV, dtype=F64)
    buf = _storage.buffer_of(t)
    view = buf.to_numpy()
    assert view.ctypes.data == t.data_ptr()
    t.add_(2.0)
    np.testing.assert_array_equal(view.reshape(3, 4), np.full((3, 4), 2.0))
    view.reshape(-1)[5] = -7.0
    assert t[1, 1].item() == -7.0
    assert t[1].data_ptr() == t.data_ptr() + 4 * 8  # views share the memory


# -- views ---------------------------------------------------------------------------------------------------

VIEWS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "t": lambda x: x.t(),
    "transpose": lambda x: x.transpose(0, 1),
    "slice": lambda x: x[1:, ::2],
    "select": lambda x: x[2],
    "unsqueeze": lambda x: x.unsqueeze(1),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "expand": lambda x: x[:, :1].expand(5, 3),
    "reshape": lambda x: x.reshape(3, 10),
    "view": lambda x: x.view(-1),
    "permute": lambda x: x.reshape(5, 2, 3).permute(2, 0, 1),
    "narrow": lambda x: x.narrow(1, 2, 3),
    "unfold": lambda x: x.unfold(1, 2, 2),
    "contiguous": lambda x: x.t().contiguous(),
    "clone": lambda x: x.t().clone(),
    "flatten": lambda x: x.t().flatten(),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_then_compute(no_warnings, name):
    f = VIEWS[name]
    ref = randn(5, 6)
    d = h(ref)
    view = f(d)
    assert view.device.type == "hologram"
    assert view.shape == f(ref).shape and view.stride() == f(ref).stride()
    torch.testing.assert_close(view.cpu(), f(ref))
    torch.testing.assert_close((view * 2 + 1).cpu(), f(ref) * 2 + 1)
    shares = view.untyped_storage().data_ptr() == d.untyped_storage().data_ptr()
    assert shares == (name not in ("contiguous", "clone", "flatten"))


def test_writes_through_views(no_warnings):
    ref = randn(4, 5)
    d = h(ref)
    d.t()[1:3].mul_(10)   # a strided in-place op on a view
    d[:, 0].fill_(-1)
    d[3].add_(d[2])
    ref.t()[1:3].mul_(10)
    ref[:, 0].fill_(-1)
    ref[3].add_(ref[2])
    torch.testing.assert_close(d.cpu(), ref)


def test_resize_grows_the_storage(no_warnings):
    t = h(torch.arange(4, dtype=F64))
    t.resize_(3, 3)
    assert t.shape == (3, 3)
    assert t.reshape(-1)[:4].cpu().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_item_tolist_and_printing(no_warnings, monkeypatch):
    monkeypatch.setenv(_fallback.STRICT_ENV, "1")  # printing is display work: never a fallback error
    t = h(torch.tensor([[1.5, -2.0], [3.0, 4.25]], dtype=F64))
    assert t[1, 1].item() == 4.25 and t.tolist() == [[1.5, -2.0], [3.0, 4.25]]
    assert float(t.sum()) == 6.75
    text = repr(t)
    assert "device='hologram:0'" in text and "4.2500" in text
    assert "hologram:0" in str(torch.randn(200, 200, device=DEV))  # the summarised form


# -- native compute vs CPU ----------------------------------------------------------------------------------

BINARY: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "add": lambda a, b: a + b,
    "add_alpha": lambda a, b: torch.add(a, b, alpha=-2.5),
    "sub": lambda a, b: a - b,
    "sub_alpha": lambda a, b: torch.sub(a, b, alpha=0.5),
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "scalars": lambda a, b: (2 - a) * 3 / 4 + 1 - a * 0.5,
    "rdiv": lambda a, b: 2 / a,
    "scalar_tensor": lambda a, b: a * torch.tensor(3.0, dtype=F64) + torch.tensor(1.5),
    "device_scalar": lambda a, b: a * b[0, 0] - b.sum(),
    "broadcast_row": lambda a, b: a * b[0] + b[1],
    "broadcast_col": lambda a, b: a - b[:, :1],
    "maximum": lambda a, b: torch.maximum(a, b),
    "minimum": lambda a, b: torch.minimum(a, b),
    "addcmul": lambda a, b: torch.addcmul(a, b, b, value=0.1),
    "addcdiv": lambda a, b: torch.addcdiv(a, b, b.abs() + 1, value=-0.3),
    "lerp_low": lambda a, b: torch.lerp(a, b, 0.3),
    "lerp_high": lambda a, b: torch.lerp(a, b, 0.8),
    "mse_mean": lambda a, b: F.mse_loss(a, b),
    "mse_sum": lambda a, b: F.mse_loss(a, b, reduction="sum"),
    "mse_none": lambda a, b: F.mse_loss(a, b, reduction="none"),
    "mm": lambda a, b: a @ b.t(),
    "mm_trans_a": lambda a, b: a.t() @ b,
    "mm_strided": lambda a, b: a[:, ::2] @ b[1:5, ::2].t(),
    "addmm_bias": lambda a, b: torch.addmm(b[0, :5], a, b.t(), beta=0.5, alpha=2.0),
    "addmm_full": lambda a, b: torch.addmm(b @ a.t(), a, b.t()),
    "bmm": lambda a, b: torch.bmm(a[:4].reshape(2, 2, 7), b[:4].reshape(2, 7, 2)),
    "bmm_trans": lambda a, b: torch.bmm(a[:4].reshape(2, 2, 7), b[:4].reshape(2, 2, 7).transpose(1, 2)),
    "matmul_3d_2d": lambda a, b: a.reshape(5, 1, 7) @ b.t(),
    "linear": lambda a, b: F.linear(a, b, b[0, :5]),
    "mv": lambda a, b: a @ b[0],
    "mv_trans": lambda a, b: a.t() @ b[:, 0],
    "mv_strided": lambda a, b: a[:, ::2] @ b[1, ::2],
    "addmv": lambda a, b: torch.addmv(b[0, :5], a, b[1], beta=0.5, alpha=2.0),
    "addmv_scalar_bias": lambda a, b: torch.addmv(b[0, 0], a, b[1]),
    "linear_1d": lambda a, b: F.linear(b[0], a, b[1, :5]),
}

UNARY: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "neg": torch.neg, "abs": torch.abs, "exp": torch.exp,
    "log": lambda x: torch.log(x.abs() + 0.1), "sqrt": lambda x: torch.sqrt(x.abs()),
    "rsqrt": lambda x: torch.rsqrt(x.abs() + 0.5), "reciprocal": lambda x: torch.reciprocal(x + 10),
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "sign": torch.sign, "sgn": torch.sgn,
    "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "square": torch.square, "pow_half": lambda x: x.abs() ** 0.5,
    "clamp": lambda x: x.clamp(-0.5, 0.7), "clamp_min": lambda x: x.clamp_min(0.1),
    "clamp_max": lambda x: x.clamp(max=0.2),
    "softmax": lambda x: torch.softmax(x, -1), "log_softmax": lambda x: torch.log_softmax(x, dim=1),
    "sum": torch.sum, "sum0": lambda x: x.sum(0), "sum1_keepdim": lambda x: x.sum(1, keepdim=True),
    "sum_mid": lambda x: x.reshape(5, 7, 1).expand(5, 7, 3).sum(1),
    "sum_dims": lambda x: x.reshape(5, 7, 1).expand(5, 7, 3).sum((0, 2)),
    "mean": torch.mean, "mean0": lambda x: x.mean(0), "mean_last": lambda x: x.mean(-1),
    "max": torch.max, "min": torch.min,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_match_cpu(no_warnings, name):
    f = BINARY[name]
    a, b = randn(5, 7), randn(5, 7, seed=99)
    got = f(h(a), h(b))
    assert got.device.type == "hologram"
    torch.testing.assert_close(got.cpu(), f(a, b))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_and_reductions_match_cpu(no_warnings, name):
    f = UNARY[name]
    x = randn(5, 7)
    got = f(h(x))
    assert got.device.type == "hologram"
    torch.testing.assert_close(got.cpu(), f(x))


@pytest.mark.parametrize("name", ["add", "mul", "div", "mm", "addmm_bias", "mse_mean", "broadcast_row"])
def test_float32_matches_cpu(no_warnings, name):
    f = BINARY[name]
    a, b = randn(5, 7, dtype=torch.float32), randn(5, 7, dtype=torch.float32, seed=5)
    got = f(h(a), h(b))
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.cpu(), f(a, b))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "sigmoid", "tanh", "softmax", "log_softmax", "sum0"])
def test_float32_unary_matches_cpu(no_warnings, name):
    x = randn(5, 7, dtype=torch.float32)
    torch.testing.assert_close(UNARY[name](h(x)).cpu(), UNARY[name](x))


INPLACE: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "add_": lambda x, y: x.add_(y, alpha=0.5),
    "sub_": lambda x, y: x.sub_(y),
    "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y.abs() + 1),
    "add_scalar_": lambda x, y: x.add_(3.0),
    "mul_scalar_": lambda x, y: x.mul_(0.9),
    "div_scalar_": lambda x, y: x.div_(7.0),
    "addcmul_": lambda x, y: x.addcmul_(y, y, value=0.01),
    "addcdiv_": lambda x, y: x.addcdiv_(y, y.abs() + 1e-3, value=-0.1),
    "lerp_": lambda x, y: x.lerp_(y, 0.1),
    "sqrt_": lambda x, y: x.clamp_min_(0.0).sqrt_(),
    "relu_": lambda x, y: x.relu_(),
    "zero_": lambda x, y: x.zero_(),
    "fill_": lambda x, y: x.fill_(0.25),
    "copy_": lambda x, y: x.copy_(y.t().contiguous().t()),
    "addmm_": lambda x, y: x.addmm_(y, y.t(), beta=0.5, alpha=0.1),
}


@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_ops_match_cpu(no_warnings, name, strided):
    f = INPLACE[name]
    x, y = randn(5, 5), randn(5, 5, seed=3)
    dx, dy = h(x), h(y)
    if strided:  # in place on a transposed view: results are written back through the strides
        x, dx = x.t(), dx.t()
    got = f(dx, dy)
    ref = f(x, y)
    assert got is dx
    torch.testing.assert_close(dx.cpu(), x)
    torch.testing.assert_close(got.cpu(), ref)


def test_out_arguments(no_warnings):
    a, b = randn(3, 4), randn(3, 4, seed=8)
    out = torch.empty(3, 4, device=DEV, dtype=F64)
    assert torch.add(h(a), h(b), out=out) is out
    torch.testing.assert_close(out.cpu(), a + b)
    empty = torch.empty(0, device=DEV, dtype=F64)  # resized to the result, as on the CPU
    torch.mm(h(a), h(b).t(), out=empty)
    assert empty.shape == (3, 3)
    torch.testing.assert_close(empty.cpu(), a @ b.t())
    s = torch.empty(0, device=DEV, dtype=F64)
    torch.sum(h(a), 0, out=s)
    torch.testing.assert_close(s.cpu(), a.sum(0))


# -- autograd ----------------------------------------------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softmax": lambda x: torch.softmax(x, -1), "log_softmax": lambda x: torch.log_softmax(x, -1),
    "exp": torch.exp, "sqrt": lambda x: torch.sqrt(x * x + 1), "mean0": lambda x: x.mean(0, keepdim=True) * x,
    "abs": torch.abs, "l1": lambda x: F.l1_loss(x, torch.zeros_like(x), reduction="none"),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_through_activations(no_warnings, name):
    f = ACTIVATIONS[name]
    x, w = randn(6, 5), randn(6, 5, seed=4)
    x[0, 0] = 0.0  # GELU's and ReLU's gradients at exactly 0
    xc = x.clone().requires_grad_()
    xd = h(x).requires_grad_()
    (f(xc) * w).sum().backward()
    (f(xd) * h(w)).sum().backward()
    assert xd.grad.device.type == "hologram"
    torch.testing.assert_close(xd.grad.cpu(), xc.grad)


def test_backward_through_linear_mse(no_warnings):
    torch.manual_seed(0)
    ref = torch.nn.Linear(7, 3).double()
    dev = torch.nn.Linear(7, 3).double()
    dev.load_state_dict(ref.state_dict())
    dev.to(DEV)
    x, y = randn(9, 7), randn(9, 3, seed=2)
    F.mse_loss(ref(x), y).backward()
    loss = F.mse_loss(dev(h(x)), h(y))
    loss.backward()
    assert loss.device.type == "hologram" and loss.dim() == 0
    for p_ref, p_dev in zip(ref.parameters(), dev.parameters(), strict=True):
        assert p_dev.grad.device.type == "hologram"
        torch.testing.assert_close(p_dev.grad.cpu(), p_ref.grad)


# -- training --------------------------------------------------------------------------------------------------

def _train(dev: str, make_opt: Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer], dtype=F64):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                                torch.nn.Tanh(), torch.nn.Linear(16, 4)).to(dtype).to(dev)
    opt = make_opt(list(model.parameters()))
    x = randn(32, 8, dtype=dtype, seed=11).to(dev)
    y = randn(32, 4, dtype=dtype, seed=12).to(dev)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu() for p in model.parameters()]


OPTIMIZERS = {
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    "sgd_momentum_loop": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, foreach=False),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
    "adam_loop": lambda ps: torch.optim.Adam(ps, lr=0.01, foreach=False),
    "adam_weight_decay": lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_mlp_training_matches_cpu(no_warnings, name):
    """20 steps on 'hologram' equal 20 steps on the CPU from the same seed: float64, within 1e-10."""
    cpu_losses, cpu_params = _train("cpu", OPTIMIZERS[name])
    dev_losses, dev_params = _train(DEV, OPTIMIZERS[name])
    assert cpu_losses[-1] < cpu_losses[0]
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-10, atol=1e-12)
    for a, b in zip(dev_params, cpu_params, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_mlp_training_float32_matches_cpu(no_warnings):
    """The float32 run tracks the CPU run within 1e-4 after 20 Adam steps."""
    make = OPTIMIZERS["adam"]
    cpu_losses, cpu_params = _train("cpu", make, torch.float32)
    dev_losses, dev_params = _train(DEV, make, torch.float32)
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-4, atol=1e-5)
    for a, b in zip(dev_params, cpu_params, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


# -- fallback --------------------------------------------------------------------------------------------------

def test_fallback_warns_once_per_op_and_computes_on_the_same_memory(fresh_fallback_warnings):
    a, b = randn(3, 4), randn(3, 4, seed=1)
    da, db = h(a), h(b)
    with pytest.warns(RuntimeWarning, match=r"aten::atan2\.out has no native kernel.*HOLOGRAM_TORCH_STRICT=1"):
        r = torch.atan2(da, db)
    assert r.device.type == "hologram"
    torch.testing.assert_close(r.cpu(), torch.atan2(a, b))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.atan2(da, db)  # the same op again: no second warning
        assert torch.equal(torch.cumsum(da, 1).cpu(), torch.cumsum(a, 1))  # another op: its own warning
    messages = [str(w.message) for w in caught]
    assert not any("atan2" in m for m in messages)
    assert sum("cumsum" in m for m in messages) == 1


def test_fallback_keeps_aliasing(fresh_fallback_warnings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = h(randn(3, 4))
        ref = x.cpu()
        same = x.atan_()  # in place: the very same tensor comes back
        assert same is x
        torch.testing.assert_close(x.cpu(), ref.atan())
        out = torch.empty(0, device=DEV, dtype=F64)  # an empty out= is resized on the device
        got = torch.atan2(x, x, out=out)
        assert got is out and out.shape == (3, 4) and out.device.type == "hologram"
        torch.testing.assert_close(out.cpu(), torch.atan2(x.cpu(), x.cpu()))
        diag = torch.diagonal(x)  # a view op: it shares x's memory
        diag.fill_(5.0)
        assert x[1, 1].item() == 5.0


def test_strict_mode_raises(fresh_fallback_warnings, monkeypatch):
    x = h(randn(2, 2))
    monkeypatch.setenv("HOLOGRAM_TORCH_STRICT", "1")
    with pytest.raises(NotImplementedError, match=r"aten::atan2\.out has no native kernel.*HOLOGRAM_TORCH_STRICT"):
        torch.atan2(x, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.testing.assert_close((x + x).cpu(), 2 * x.cpu())  # native ops are unaffected
    monkeypatch.setenv("HOLOGRAM_TORCH_STRICT", "0")  # read at each call
    with pytest.warns(RuntimeWarning, match="atan2"):
        torch.atan2(x, x)


def test_fallback_factories_and_cpu_index_tensors(fresh_fallback_warnings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback's warnings, and torch's about resizing an out=
        eye = torch.eye(3, device=DEV, dtype=F64)  # a factory op with device='hologram' in the fallback
        assert eye.device.type == "hologram" and torch.equal(eye.cpu(), torch.eye(3, dtype=F64))
        ints = torch.arange(5, device=DEV)
        assert ints.dtype == torch.int64 and ints.cpu().tolist() == [0, 1, 2, 3, 4]
        x = h(randn(4, 3))
        picked = x[torch.tensor([0, 2])]  # CPU index tensors are allowed, as with CUDA tensors
        assert picked.device.type == "hologram"
        torch.testing.assert_close(picked.cpu(), x.cpu()[[0, 2]])
        wrong = torch.empty(12, device=DEV, dtype=F64)  # an out= of another shape that fits its memory
        torch.atan2(x, x, out=wrong)
        assert wrong.shape == (4, 3)


def test_deepcopy_save_and_load(no_warnings, tmp_path):
    import copy

    x = h(randn(3, 5))
    y = copy.deepcopy(x)
    assert y.device.type == "hologram" and y.data_ptr() != x.data_ptr() and torch.equal(y.cpu(), x.cpu())
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4)).double().to(DEV)
    clone = copy.deepcopy(model)  # BatchNorm's running stats are plain tensors: storage deep copies
    assert clone[1].running_mean.device.type == "hologram"
    path = tmp_path / "t.pt"
    torch.save({"x": x, "tail": x[1:]}, path)
    loaded = torch.load(path)
    assert loaded["x"].device.type == "hologram" and torch.equal(loaded["x"].cpu(), x.cpu())
    assert loaded["tail"].untyped_storage().data_ptr() == loaded["x"].untyped_storage().data_ptr()
    assert torch.load(path, map_location="cpu")["x"].device.type == "cpu"
    torch.save(x.cpu(), path)
    assert torch.load(path, map_location="hologram").device.type == "hologram"
    assert x.cpu().untyped_storage().hologram().device.type == "hologram"
    with pytest.raises(RuntimeError, match=r"storage\.hologram\(\)"):
        x.cpu().untyped_storage().to(device=DEV)  # torch's route would crash: refused with a remedy


def test_activation_checkpointing(no_warnings):
    from torch.utils.checkpoint import checkpoint

    torch.manual_seed(0)
    lin = torch.nn.Linear(5, 5).double()
    x = randn(4, 5)
    xc, xd = x.clone().requires_grad_(), h(x).requires_grad_()
    dev_lin = torch.nn.Linear(5, 5).double()
    dev_lin.load_state_dict(lin.state_dict())
    dev_lin.to(DEV)
    checkpoint(lambda t: torch.tanh(lin(t)), xc, use_reentrant=False).sum().backward()
    checkpoint(lambda t: torch.tanh(dev_lin(t)), xd, use_reentrant=False).sum().backward()
    torch.testing.assert_close(xd.grad.cpu(), xc.grad)


# -- lifetimes and errors ------------------------------------------------------------------------------------------

def test_a_view_outlives_its_base(no_warnings):
    live = device.executor().stats()["live_buffers"]
    base = h(randn(50, 40))
    expect = base.cpu()[10:20, 3]
    view = base[10:20, 3]
    grad_holder = base.t()[5:].detach()
    del base
    gc.collect()
    torch.testing.assert_close(view.cpu(), expect)  # the storage (and its buffer) is still alive
    torch.testing.assert_close((view * 2).cpu(), expect * 2)
    del view, grad_holder
    gc.collect()
    assert device.executor().stats()["live_buffers"] <= live  # and freed with the last view


def test_matrix_vector_products_in_place_and_out(no_warnings):
    a, v, y = randn(5, 7), randn(7, seed=2), randn(5, seed=3)
    dy = h(y)
    assert dy.addmv_(h(a), h(v), beta=0.25, alpha=-1.5) is dy
    torch.testing.assert_close(dy.cpu(), y.addmv(a, v, beta=0.25, alpha=-1.5))
    out = torch.empty(0, device=DEV, dtype=F64)  # resized, as on the CPU
    assert torch.mv(h(a), h(v), out=out) is out
    torch.testing.assert_close(out.cpu(), a @ v)
    assert torch.addmv(h(y), h(a), h(v), out=out) is out
    torch.testing.assert_close(out.cpu(), torch.addmv(y, a, v))
    empty = h(randn(0, 7)) @ h(v)
    assert empty.shape == (0,)
    torch.testing.assert_close((h(randn(5, 0)) @ h(randn(0))).cpu(), torch.zeros(5, dtype=F64))


def test_mismatched_shapes_raise():
    a, b = h(randn(3, 4)), h(randn(5,))
    with pytest.raises(RuntimeError, match="must match the size"):
        a + b
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        a @ h(randn(3, 4))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        h(randn(4)).add_(a)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(3\), mat \(3x4\), vec \(5\)"):
        a @ b  # (3x4) @ (5,)
    with pytest.raises(RuntimeError, match=r"size mismatch, got input \(2\)"):
        torch.addmv(h(randn(2)), a, h(randn(4)))
    with pytest.raises(RuntimeError, match="vector \\+ matrix @ vector expected, got 2, 2, 1"):
        torch.addmv(h(randn(3, 1)), a, h(randn(4)))


def test_mixing_devices_raises():
    d = h(randn(3, 4))
    with pytest.raises(RuntimeError, match="same device"):
        d + randn(3, 4)
    with pytest.raises(RuntimeError, match="same device"):
        torch.mm(randn(2, 3), d)
    with pytest.raises(RuntimeError, match="same device"):
        torch.atan2(d, randn(3, 4))  # the fallback checks too, before any warning
    with pytest.raises(RuntimeError, match="meta"):
        d + torch.empty(3, 4, device="meta", dtype=F64)
    # a 0-dim CPU tensor is a scalar, as with CUDA tensors
    torch.testing.assert_close((d * torch.tensor(2.0)).cpu(), d.cpu() * 2)
