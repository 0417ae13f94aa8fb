"""The benchmark cases and, for each, the calls timed in Hologram, PyTorch and NumPy.

Every case is timed in two modes:

* ``out``: the result goes into a preallocated output -- Hologram's low-level
  ``*_f32`` functions into a buffer, ``torch.*(..., out=c)``, ``np.*(..., out=c)``;
* ``alloc``: each call allocates and returns its result -- ``hg.ops.*``,
  ``torch.*(a)``, ``np.*(a)``.

Each library gets its own copy of the same float32 inputs (its own memory, as
a user of that library would have). A case also carries the float64 reference
result its outputs must match before anything is timed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

import hologram as hg
from hologram.bench import composed

__all__ = ["CASES", "Case", "Setup", "Variant", "build", "select"]

IMPLS = ("hologram", "torch", "numpy")
MODES = ("out", "alloc")


@dataclass(frozen=True)
class Case:
    """One operation at one size."""

    op: str
    size: str  # label: "10K", "256x256"
    shape: tuple[int, ...]  # shape of every input
    quick: bool = False  # part of ``--quick``
    readme: str | None = None  # the seed README's row label, if this case is one of its rows
    readme_speedup: str | None = None  # the speedup that README claims

    @property
    def name(self) -> str:
        """``"add 10K"``, ``"gemm 256x256"``: what ``--filter`` matches."""
        return f"{self.op} {self.size}"

    @property
    def n(self) -> int:
        """Elements of one input."""
        return math.prod(self.shape)

    @property
    def tags(self) -> tuple[str, ...]:
        """``"quick"`` and/or ``"readme"``."""
        return tuple(t for t, on in (("quick", self.quick), ("readme", self.readme is not None)) if on)

    def matches(self, text: str) -> bool:
        """A substring of the name (any case), or exactly one of the tags."""
        text = text.strip().lower()
        return text in self.name.lower() or text in self.tags


def _vector_cases(op: str, readme: tuple[str, str] | None = None) -> list[Case]:
    label, claim = readme or (None, None)
    return [
        Case(op, "10K", (10_000,), quick=True, readme=label, readme_speedup=claim),
        Case(op, "1M", (1_000_000,), quick=True),
        Case(op, "16M", (16_000_000,)),
    ]


CASES: tuple[Case, ...] = (
    *_vector_cases("add", ("Vector Add (10K)", "3.8x")),
    *_vector_cases("relu", ("ReLU (10K)", "4.2x")),
    *_vector_cases("gelu"),
    *_vector_cases("softmax"),
    Case("sigmoid", "1M", (1_000_000,), quick=True),
    Case("tanh", "1M", (1_000_000,), quick=True),
    Case("gemm", "64x64", (64, 64), quick=True),
    Case("gemm", "256x256", (256, 256), quick=True, readme="GEMM (256\u00d7256)", readme_speedup="1.4x"),
    Case("gemm", "1024x1024", (1024, 1024), quick=True),
    Case("gemm", "2048x2048", (2048, 2048)),
)


def select(quick: bool = False, filter: str | None = None) -> list[Case]:
    """The cases a run covers: all, or the quick ones, narrowed by ``filter``."""
    return [c for c in CASES if (c.quick or not quick) and (not filter or c.matches(filter))]


@dataclass
class Variant:
    """One timed call: a library (``impl``) in one ``mode``."""

    impl: str
    mode: str
    call: str  # what is timed, as code
    fn: Callable[[], Any]
    read: Callable[[Any], np.ndarray]  # fn's return value -> its result as a flat array
    composed: bool = False  # NumPy only: several calls standing in for one missing op
    sync: Callable[[], Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.impl}/{self.mode}"


@dataclass
class Setup:
    """A case ready to run: its variants and the reference they must match."""

    variants: list[Variant] = field(default_factory=list)
    expected: np.ndarray | None = None  # float64
    # Picks the part of a flat output that ``expected`` covers (GEMM checks a sample of rows).
    select: Callable[[np.ndarray], np.ndarray] = lambda flat: flat
    rtol: float = 1e-4
    atol: float = 1e-5
    notes: list[str] = field(default_factory=list)


class _Builder:
    """Inputs and outputs in each library, and helpers to register the calls on them."""

    def __init__(self, case: Case, ex: hg.Executor, torch: ModuleType | None, inputs: list[np.ndarray],
                 out_shape: tuple[int, ...]) -> None:
        self.case, self.ex, self.torch, self.n = case, ex, torch, case.n
        self.x64 = [x.astype(np.float64) for x in inputs]
        self.hg_in = [ex.from_numpy(x) for x in inputs]
        self.hg_out = ex.allocate(out_shape)
        self.np_in = [x.copy() for x in inputs]
        self.np_out = np.empty(out_shape, np.float32)
        if torch is not None:
            self.t_in = [torch.from_numpy(x.copy()) for x in inputs]
            self.t_out = torch.empty(out_shape, dtype=torch.float32)
        self.setup = Setup()

    def _hg_array(self, buf: hg.Buffer) -> np.ndarray:
        if self.ex.host_addressable:
            return buf.to_numpy().reshape(-1)
        return np.frombuffer(buf.to_bytes(), dtype=np.float32)  # device backends: one copy back

    def hologram(self, out_call: str, out_fn: Callable[[], Any], alloc_call: str,
                 alloc_fn: Callable[[], Any]) -> None:
        sync = self.ex.synchronize
        self.setup.variants += [
            Variant("hologram", "out", out_call, out_fn, lambda _: self._hg_array(self.hg_out), sync=sync),
            Variant("hologram", "alloc", alloc_call, alloc_fn, self._hg_array, sync=sync),
        ]

    def torch_calls(self, out_call: str, out_fn: Callable[[], Any], alloc_call: str,
                    alloc_fn: Callable[[], Any]) -> None:
        self.setup.variants += [
            Variant("torch", "out", out_call, out_fn, lambda _: self.t_out.numpy().reshape(-1)),
            Variant("torch", "alloc", alloc_call, alloc_fn, lambda r: r.numpy().reshape(-1)),
        ]

    def numpy(self, out_call: str, out_fn: Callable[[], Any], alloc_call: str, alloc_fn: Callable[[], Any],
              composed: bool = False) -> None:
        self.setup.variants += [
            Variant("numpy", "out", out_call, out_fn, lambda _: self.np_out.reshape(-1), composed),
            Variant("numpy", "alloc", alloc_call, alloc_fn, lambda r: r.reshape(-1), composed),
        ]


def _add(b: _Builder) -> None:
    (ha, hb), (na, nb) = b.hg_in, b.np_in
    b.hologram("hg.vector_add_f32(ex, a, b, c, n)", partial(hg.vector_add_f32, b.ex, ha, hb, b.hg_out, b.n),
               "hg.ops.add(ex, a, b)", partial(hg.ops.add, b.ex, ha, hb))
    if b.torch is not None:
        ta, tb = b.t_in
        b.torch_calls("torch.add(a, b, out=c)", partial(b.torch.add, ta, tb, out=b.t_out),
                      "torch.add(a, b)", partial(b.torch.add, ta, tb))
    b.numpy("np.add(a, b, out=c)", partial(np.add, na, nb, out=b.np_out), "np.add(a, b)", partial(np.add, na, nb))
    b.setup.expected = b.x64[0] + b.x64[1]


def _relu(b: _Builder) -> None:
    (ha,), (na,) = b.hg_in, b.np_in
    b.hologram("hg.vector_relu_f32(ex, a, c, n)", partial(hg.vector_relu_f32, b.ex, ha, b.hg_out, b.n),
               "hg.ops.relu(ex, a)", partial(hg.ops.relu, b.ex, ha))
    if b.torch is not None:
        (ta,) = b.t_in
        b.torch_calls("torch.clamp_min(a, 0, out=c)", partial(b.torch.clamp_min, ta, 0.0, out=b.t_out),
                      "torch.relu(a)", partial(b.torch.relu, ta))
        b.setup.notes.append("torch.relu has no out= form: preallocated PyTorch ReLU is "
                             "torch.clamp_min(a, 0, out=c)")
    zero = np.float32(0)
    b.numpy("np.maximum(a, 0, out=c)", partial(np.maximum, na, zero, out=b.np_out),
            "np.maximum(a, 0)", partial(np.maximum, na, zero))
    b.setup.expected = np.maximum(b.x64[0], 0.0)


_ERFC64 = np.frompyfunc(math.erfc, 1, 1)


def _gelu(b: _Builder) -> None:
    (ha,), (na,) = b.hg_in, b.np_in
    b.hologram("hg.gelu_f32(ex, a, c, n)", partial(hg.gelu_f32, b.ex, ha, b.hg_out, b.n),
               "hg.ops.gelu(ex, a)", partial(hg.ops.gelu, b.ex, ha))
    if b.torch is not None:
        (ta,) = b.t_in
        gelu = b.torch.nn.functional.gelu
        b.torch_calls("F.gelu(a, out=c)", partial(gelu, ta, out=b.t_out), "F.gelu(a)", partial(gelu, ta))
    work = (np.empty_like(na), np.empty_like(na))
    b.numpy("composed erf-form gelu(a, out=c)", partial(composed.gelu, na, out=b.np_out, work=work),
            "composed erf-form gelu(a)", partial(composed.gelu, na), composed=True)
    # The reference takes libm's double erfc (math.erfc, 1.2 s per 16M elements), not the composed
    # float32-grade one: the check's ULP errors then measure each library, not the reference.
    x = b.x64[0]
    b.setup.expected = 0.5 * x * np.asarray(_ERFC64(-x * 0.7071067811865476), dtype=np.float64)


def _softmax(b: _Builder) -> None:
    (ha,), (na,) = b.hg_in, b.np_in
    b.hologram("hg.softmax_f32(ex, a, c, n)", partial(hg.softmax_f32, b.ex, ha, b.hg_out, b.n),
               "hg.ops.softmax(ex, a)", partial(hg.ops.softmax, b.ex, ha))
    if b.torch is not None:
        (ta,) = b.t_in
        b.torch_calls("torch.softmax(a, 0, out=c)", partial(b.torch.softmax, ta, 0, out=b.t_out),
                      "torch.softmax(a, 0)", partial(b.torch.softmax, ta, 0))
    b.numpy("exp(a - a.max()) / sum, out=c", partial(composed.softmax, na, out=b.np_out),
            "exp(a - a.max()) / sum", partial(composed.softmax, na), composed=True)
    e = np.exp(b.x64[0] - b.x64[0].max())
    b.setup.expected = e / e.sum()
    # Values are ~1/n: a fixed atol would make the check vacuous at 16M elements.
    b.setup.rtol, b.setup.atol = 1e-3, 1e-4 * float(b.setup.expected.max())


def _activation(op: str, np_call: str, np_fn: Callable[..., Any], composed: bool,
                reference: Callable[[np.ndarray], np.ndarray]) -> Callable[[_Builder], None]:
    """The builder of an activation whose PyTorch twin is ``torch.<op>`` (sigmoid, tanh)."""

    def build(b: _Builder) -> None:
        (ha,), (na,) = b.hg_in, b.np_in
        low = getattr(hg, f"{op}_f32")
        b.hologram(f"hg.{op}_f32(ex, a, c, n)", partial(low, b.ex, ha, b.hg_out, b.n),
                   f"hg.ops.{op}(ex, a)", partial(getattr(hg.ops, op), b.ex, ha))
        if b.torch is not None:
            (ta,) = b.t_in
            fn = getattr(b.torch, op)
            b.torch_calls(f"torch.{op}(a, out=c)", partial(fn, ta, out=b.t_out), f"torch.{op}(a)", partial(fn, ta))
        b.numpy(f"{np_call}, out=c", partial(np_fn, na, out=b.np_out), np_call, partial(np_fn, na),
                composed=composed)
        b.setup.expected = reference(b.x64[0])

    return build


_sigmoid = _activation("sigmoid", "1 / (1 + exp(-a))", composed.sigmoid, True,
                       lambda x: 1.0 / (1.0 + np.exp(-x)))
_tanh = _activation("tanh", "np.tanh(a)", np.tanh, False, np.tanh)


def _gemm(b: _Builder) -> None:
    (ha, hb), (na, nb) = b.hg_in, b.np_in
    m, k = b.case.shape
    b.hologram("hg.gemm_f32(ex, a, b, c, m, n, k)", partial(hg.gemm_f32, b.ex, ha, hb, b.hg_out, m, m, k),
               "hg.ops.gemm(ex, a, b)", partial(hg.ops.gemm, b.ex, ha, hb))
    if b.torch is not None:
        ta, tb = b.t_in
        b.torch_calls("torch.matmul(a, b, out=c)", partial(b.torch.matmul, ta, tb, out=b.t_out),
                      "torch.matmul(a, b)", partial(b.torch.matmul, ta, tb))
    b.numpy("np.matmul(a, b, out=c)", partial(np.matmul, na, nb, out=b.np_out),
            "np.matmul(a, b)", partial(np.matmul, na, nb))
    # A float64 product of a spread of rows: exact enough, and cheap even at 2048.
    rows = np.unique(np.linspace(0, m - 1, min(m, 64)).astype(np.intp))
    b.setup.expected = b.x64[0][rows] @ b.x64[1]
    b.setup.select = lambda flat: flat.reshape(m, m)[rows]
    # Entries are sums of k products of N(0, 1) values: their size grows like sqrt(k).
    b.setup.rtol, b.setup.atol = 1e-3, 1e-3 * math.sqrt(k)


_BUILDERS: dict[str, tuple[int, Callable[[_Builder], None]]] = {
    "add": (2, _add), "relu": (1, _relu), "gelu": (1, _gelu), "softmax": (1, _softmax),
    "sigmoid": (1, _sigmoid), "tanh": (1, _tanh), "gemm": (2, _gemm),
}

_COMPOSED_NOTES = {
    "gelu": "NumPy GELU (composed): the exact erf form, 0.5*x*erfc(-x/sqrt 2), with erfc from a "
            "rational approximation (relative error < 1.2e-7) built from NumPy ufuncs",
    "softmax": "NumPy softmax (composed): exp(a - a.max()) / sum",
    "sigmoid": "NumPy sigmoid (composed): 1 / (1 + exp(-a))",
}


def build(case: Case, ex: hg.Executor, torch: ModuleType | None, rng: np.random.Generator) -> Setup:
    """Inputs for ``case`` in every library, the calls to time and the reference result."""
    arity, fn = _BUILDERS[case.op]
    inputs = [rng.standard_normal(case.shape, dtype=np.float32) for _ in range(arity)]
    b = _Builder(case, ex, torch, inputs, case.shape)
    fn(b)
    if case.op in _COMPOSED_NOTES:
        b.setup.notes.append(_COMPOSED_NOTES[case.op])
    return b.setup
