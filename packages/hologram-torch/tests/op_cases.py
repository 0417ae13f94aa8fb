"""The functional ops under test, each with an independent float64 PyTorch reference.

One table serves the accuracy, autograd, opcheck and compile tests, so an op
added to ``hologram_torch.functional`` is tested everywhere by one new row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

import hologram_torch as hg

F = hg.functional
tF = torch.nn.functional


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., torch.Tensor]  # hologram_torch.functional call: fn(*inputs, executor=None)
    ref: Callable[..., torch.Tensor]  # torch reference (run in float64)
    shapes: tuple[tuple[int, ...], ...]  # one shape per tensor input
    rtol32: float = 1e-5  # float32 tolerance against the float64 reference
    positive: tuple[int, ...] = ()  # inputs kept away from 0 (divisors)
    op: str = ""  # the hologram:: op behind it (for opcheck)


CASES = [
    Case("add", F.add, torch.add, ((4, 5), (4, 5)), op="add"),
    Case("sub", F.sub, torch.sub, ((4, 5), (4, 5)), op="sub"),
    Case("mul", F.mul, torch.mul, ((4, 5), (4, 5)), op="mul"),
    Case("div", F.div, torch.div, ((4, 5), (4, 5)), positive=(1,), op="div"),
    Case("relu", F.relu, torch.relu, ((3, 7),), op="relu"),
    Case("gelu", F.gelu, tF.gelu, ((3, 7),), op="gelu"),
    Case("gelu_tanh", lambda x, **kw: F.gelu(x, approximate="tanh", **kw), lambda x: tF.gelu(x, approximate="tanh"),
         ((3, 7),), op="gelu"),
    Case("sigmoid", F.sigmoid, torch.sigmoid, ((3, 7),), op="sigmoid"),
    Case("tanh", F.tanh, torch.tanh, ((3, 7),), op="tanh"),
    Case("softmax", F.softmax, lambda x: tF.softmax(x, -1), ((3, 7),), op="softmax"),
    Case("softmax_dim0", lambda x, **kw: F.softmax(x, 0, **kw), lambda x: tF.softmax(x, 0), ((3, 7),), op="softmax"),
    Case("log_softmax", F.log_softmax, lambda x: tF.log_softmax(x, -1), ((3, 7),), op="log_softmax"),
    Case("matmul", F.matmul, torch.matmul, ((5, 3), (3, 4)), rtol32=1e-4, op="matmul"),
    Case("matmul_batched", F.matmul, torch.matmul, ((2, 5, 3), (2, 3, 4)), rtol32=1e-4, op="matmul"),
    Case("matmul_3d_2d", F.matmul, torch.matmul, ((2, 5, 3), (3, 4)), rtol32=1e-4, op="matmul"),
    Case("linear", F.linear, tF.linear, ((6, 5), (4, 5), (4,)), rtol32=1e-4, op="linear"),
    Case("linear_nobias", F.linear, tF.linear, ((2, 3, 5), (4, 5)), rtol32=1e-4, op="linear"),
    Case("mse_loss", F.mse_loss, tF.mse_loss, ((4, 6), (4, 6)), rtol32=1e-4, op="mse_loss"),
    Case("mse_loss_sum", lambda a, b, **kw: F.mse_loss(a, b, reduction="sum", **kw),
         lambda a, b: tF.mse_loss(a, b, reduction="sum"), ((4, 6), (4, 6)), rtol32=1e-4, op="mse_loss"),
    Case("mse_loss_none", lambda a, b, **kw: F.mse_loss(a, b, reduction="none", **kw),
         lambda a, b: tF.mse_loss(a, b, reduction="none"), ((4, 6), (4, 6)), op="mul"),
    Case("cross_entropy_probs", F.cross_entropy,
         lambda x, t: tF.cross_entropy(x, t), ((5, 4), (5, 4)), rtol32=1e-4, op="cross_entropy"),
]

BY_NAME = {c.name: c for c in CASES}


def make_inputs(case: Case, dtype: torch.dtype, seed: int = 0, requires_grad: bool = False
                ) -> list[torch.Tensor]:
    """Random inputs for ``case`` (probability targets for cross-entropy rows)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i, shape in enumerate(case.shapes):
        t = torch.randn(shape, generator=g, dtype=torch.float64)
        if i in case.positive:
            t = t.abs() + 0.5
        if case.name.startswith("cross_entropy") and i == 1:
            t = torch.softmax(t, -1)
        out.append(t.to(dtype).requires_grad_(requires_grad))
    return out
