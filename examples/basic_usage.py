"""Basic usage: Hologram's low-level API, then PyTorch through ``hologram_torch``.

What it shows, in order:

1. the low-level ``hologram`` API: an ``Executor``, ``allocate``, ``from_numpy``,
   ``vector_add_f32`` and ``to_numpy`` (a zero-copy view of the buffer);
2. zero-copy interop: a NumPy array and a torch tensor used in place as buffers;
3. ``hologram_torch.functional``: ``torch.nn.functional``-style ops, with and without
   an explicit executor, and autograd through them;
4. ``hologram_torch.nn``: drop-in layers and ``hg.nn.convert(model)``;
5. the ``'hologram'`` torch device (skipped, with the reason, where it is unavailable).

Every result is checked against NumPy or PyTorch; a mismatch raises, so the script
exits non-zero. Run it from the repository root:

    uv run python examples/basic_usage.py
"""

from __future__ import annotations

import copy
import sys

import numpy as np
import torch

import hologram
import hologram_torch as hg


def check(what: str, actual: torch.Tensor | np.ndarray, expected: torch.Tensor | np.ndarray,
          rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Compares with the reference, reports it, and raises AssertionError on a mismatch."""
    a = torch.as_tensor(actual).detach().cpu()
    e = torch.as_tensor(expected).detach().cpu()
    # torch.allclose rather than torch.testing.assert_close: the latter's first call costs
    # seconds of imports, which would dominate this short script.
    if a.shape != e.shape or a.dtype != e.dtype or not torch.allclose(a, e, rtol=rtol, atol=atol):
        diff = (a.double() - e.double()).abs().max().item() if a.shape == e.shape else float("nan")
        raise AssertionError(f"{what}: mismatch (shapes {tuple(a.shape)} vs {tuple(e.shape)}, dtypes "
                             f"{a.dtype} vs {e.dtype}, max abs difference {diff:.3g})")
    print(f"  ok  {what}")


def low_level_api() -> None:
    print("1. Low-level API (hologram)")
    with hologram.Executor(backend="cpu") as exec:  # hologram.Executor() would auto-select a backend
        n = 1024
        a, b, c = exec.allocate(n), exec.allocate(n), exec.allocate(n)
        a.from_numpy(np.arange(n, dtype=np.float32))  # one bulk copy into the buffer
        b.from_numpy(np.ones(n, dtype=np.float32))

        hologram.vector_add_f32(exec, a, b, c, n)  # the original, explicit-output API
        result = c.to_numpy()  # a view of c's memory, not a copy
        print(f"  vector_add_f32(arange, ones)[:4] = {result[:4]}")
        check("vector_add_f32 == numpy", result, np.arange(n, dtype=np.float32) + 1)

        # Proof that `result` is a view: run the op again into c and the same array changes.
        hologram.vector_add_f32(exec, c, c, c, n)
        check("to_numpy is zero-copy (sees the next write into c)", result,
              2 * (np.arange(n, dtype=np.float32) + 1))

        # Dtype-generic ops allocate their output; wrap() uses a NumPy array in place.
        x_np = np.linspace(-1, 1, 8)  # float64
        x = exec.wrap(x_np)
        y = hologram.ops.relu(exec, x)
        print(f"  ops.relu(linspace(-1, 1, 8)) = {np.round(y.to_numpy(), 3)}")
        check("ops.relu (float64) == numpy", y.to_numpy(), np.maximum(x_np, 0))
        x_np[0] = 5.0  # wrap() shares memory: the buffer sees this write
        check("wrap is zero-copy (buffer sees a NumPy write)", x.to_numpy()[:1], np.array([5.0]))


def tensor_interop() -> None:
    print("2. Zero-copy interop with PyTorch (DLPack)")
    with hologram.Executor(backend="cpu") as exec:
        t = torch.arange(6, dtype=torch.float32)
        buf = hologram.from_dlpack(t, exec)  # the tensor's memory, used in place
        out = hologram.ops.mul_scalar(exec, buf, 10.0)
        viewed = torch.from_dlpack(out)  # and back: a tensor over the buffer's memory
        print(f"  mul_scalar(from_dlpack(arange(6)), 10) = {viewed.tolist()}")
        check("ops.mul_scalar through DLPack == torch", viewed, t * 10)
        hologram.ops.add_scalar(exec, buf, 1.0, out=buf)  # in place, through the buffer
        check("from_dlpack is zero-copy (tensor sees the buffer write)", t, torch.arange(6.0) + 1)


def functional_api() -> None:
    print("3. hologram_torch.functional (CPU tensors)")
    torch.manual_seed(0)
    a, b = torch.randn(4, 5), torch.randn(4, 5)
    with hg.Executor(backend="cpu") as exec:
        # The original style passes the executor first; it is optional.
        check("add(exec, a, b) == torch.add", hg.functional.add(exec, a, b), a + b)
        check("mul(a, 3.0) == a * 3", hg.functional.mul(a, 3.0), a * 3)
    check("relu == torch.relu", hg.functional.relu(a), torch.relu(a))
    check("gelu == F.gelu", hg.functional.gelu(a), torch.nn.functional.gelu(a))
    check("softmax(dim=-1) == torch.softmax", hg.functional.softmax(a, dim=-1), torch.softmax(a, -1))
    w, bias = torch.randn(3, 5), torch.randn(3)
    check("matmul == torch.matmul", hg.functional.matmul(a, w.T), a @ w.T)
    check("linear == F.linear", hg.functional.linear(a, w, bias), torch.nn.functional.linear(a, w, bias))
    target = torch.tensor([0, 2, 1, 2])
    logits = hg.functional.linear(a, w, bias)
    check("cross_entropy == F.cross_entropy", hg.functional.cross_entropy(logits, target),
          torch.nn.functional.cross_entropy(logits, target))

    # Autograd: every op is a torch op with a backward formula, so .backward() just works.
    w_hg = w.clone().requires_grad_()
    w_pt = w.clone().requires_grad_()
    hg.functional.cross_entropy(hg.functional.relu(hg.functional.linear(a, w_hg, bias)), target).backward()
    torch.nn.functional.cross_entropy(torch.relu(torch.nn.functional.linear(a, w_pt, bias)), target).backward()
    assert w_hg.grad is not None and w_pt.grad is not None
    check("gradient through linear -> relu -> cross_entropy == torch", w_hg.grad, w_pt.grad)


def module_api() -> None:
    print("4. hologram_torch.nn (drop-in layers)")
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 4),
                                    torch.nn.Softmax(dim=-1))
    # Built from hg.nn directly: same constructor arguments, same parameters and state_dict keys.
    model = torch.nn.Sequential(hg.nn.Linear(16, 32), hg.nn.GELU(), hg.nn.Linear(32, 4), hg.nn.Softmax(dim=-1))
    model.load_state_dict(reference.state_dict())
    assert isinstance(model[0], torch.nn.Linear)  # subclasses of their torch twins
    x = torch.randn(8, 16)
    check("Sequential(hg.nn.*) == Sequential(torch.nn.*)", model(x), reference(x))

    # Or convert an existing model in place; parameters (and any optimizer over them) stay.
    converted = hg.nn.convert(copy.deepcopy(reference))
    swapped = ", ".join(f"{type(m).__module__}.{type(m).__name__}" for m in converted.children())
    print(f"  convert() swapped in: {swapped}")
    check("hg.nn.convert(model) == model", converted(x), reference(x))


def device_unavailable_reason() -> str | None:
    """None when the 'hologram' torch device works here (torch >= 2.10), otherwise why it does not."""
    return None if hg.device.is_available() else hg.device.unavailable_reason()


def device_api() -> None:
    print("5. The 'hologram' torch device")
    reason = device_unavailable_reason()
    if reason is not None:
        print(f"  skipped: {reason}")
        return
    torch.manual_seed(0)
    x = torch.randn(8, device="hologram")  # its memory is a hologram buffer
    print(f"  torch.randn(8, device='hologram') is on {x.device}")
    x_cpu = x.cpu()  # one copy back to an ordinary CPU tensor
    check(".to('hologram') then .cpu() round-trips", x_cpu.to("hologram").cpu(), x_cpu)

    z = hg.functional.add(x, x)  # a hologram op on device tensors: the result stays on the device
    assert z.device.type == "hologram", z.device
    check("functional.add on 'hologram' tensors", z.cpu(), x_cpu + x_cpu)
    check("plain torch ops on the device (x * 2 + 1)", (x * 2 + 1).cpu(), x_cpu * 2 + 1)

    layer = hg.nn.Linear(8, 3).to("hologram")  # parameters move like any module's
    w, b = layer.weight.detach().cpu(), layer.bias.detach().cpu()
    check("hg.nn.Linear on the device == F.linear on the CPU", layer(x.reshape(1, 8)).cpu(),
          torch.nn.functional.linear(x_cpu.reshape(1, 8), w, b))


def main() -> int:
    low_level_api()
    tensor_interop()
    functional_api()
    module_api()
    device_api()
    print("All checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
