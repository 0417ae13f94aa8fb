"""The device suite's cases: what each times in Hologram and in PyTorch, its work and its reference.

A device backend (memory the CPU cannot address: CUDA, WebGPU) is measured by
throughput, not by call overhead, so its cases differ from the CPU suite's:

* memory-bound ops (``copy``, ``add``, ``relu``, ``gelu``, ``softmax`` over
  rows of 1024 columns) at 1M, 16M and 256M float32 elements, in GB/s of
  useful traffic (every input read once, the output written once);
* float32 GEMM of square matrices at 1024..8192, in TFLOP/s (``2 m^3``), and
  on CUDA the same with TF32 tensor cores on both sides (``gemm tf32``);
* ``add call 10K``: the end-to-end cost of one small call, in time.

Every Hologram call writes into a preallocated output (the low-level
``*_f32`` functions, ``hg.ops.*(..., out=)``), as does every PyTorch call.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

import hologram as hg
from hologram.bench import composed

__all__ = ["CALL_N", "GEMM_ENV", "GEMM_OPS", "GEMM_SIZES", "SIZES", "SIZES_ENV", "SPECS", "DeviceCase", "Mismatch", "OpSpec",
           "check", "random_inputs", "reference", "select_device", "tolerance"]

SIZES = (1 << 20, 1 << 24, 1 << 28)  # vector sizes: 1M, 16M, 256M elements
GEMM_SIZES = (1024, 2048, 4096, 8192)
# --quick: the smallest sizes and the ones the targets are judged at (>= 64M elements, GEMM 4096).
QUICK_SIZES = (1 << 20, 1 << 26)
QUICK_GEMM_SIZES = (1024, 4096)
CALL_N = 10_000  # the end-to-end call case
SOFTMAX_COLS = 1024
VECTOR_OPS = ("copy", "add", "relu", "gelu", "softmax")
GEMM_OPS = ("gemm", "gemm tf32")
# Test-only overrides of the sizes: comma-separated element counts / matrix sides.
SIZES_ENV = "HOLOGRAM_BENCH_DEVICE_SIZES"
GEMM_ENV = "HOLOGRAM_BENCH_DEVICE_GEMM"
BYTES = 4  # float32
_CHUNK = 1 << 22  # elements per correctness-check chunk (a multiple of the softmax row)
_GEMM_ROWS = 64  # GEMM checks this many rows against a float64 product


def size_label(n: int) -> str:
    """``1M``, ``16M``, ``10K``, ``1024``: how a size is named in the table and by ``--filter``."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20}M"
    if n >= 10_000 and n % 1000 == 0:
        return f"{n // 1000}K"
    return str(n)


@dataclass(frozen=True)
class DeviceCase:
    """One operation at one size on the device."""

    op: str  # "copy", "add", "relu", "gelu", "softmax", "gemm", "gemm tf32" or "add call"
    n: int  # elements of one input; GEMM: the side of the square matrices

    @property
    def kind(self) -> str:
        """``"vector"`` (GB/s), ``"gemm"`` (TFLOP/s) or ``"call"`` (time per call)."""
        return "gemm" if self.op in GEMM_OPS else "call" if self.op == "add call" else "vector"

    @property
    def size(self) -> str:
        return size_label(self.n)

    @property
    def name(self) -> str:
        """``"add 16M"``, ``"gemm 2048"``: what ``--filter`` matches."""
        return f"{self.op} {self.size}"

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of every input and of the output."""
        if self.kind == "gemm":
            return (self.n, self.n)
        if self.op == "softmax":
            cols = math.gcd(self.n, SOFTMAX_COLS)
            return (self.n // cols, cols)
        return (self.n,)

    @property
    def unit(self) -> str:
        return {"vector": "GB/s", "gemm": "TFLOP/s", "call": "s"}[self.kind]

    @property
    def work(self) -> float:
        """Useful bytes moved (vector ops) or flops (GEMM) per call; 0 for the call case."""
        if self.kind == "gemm":
            return 2.0 * self.n**3
        if self.kind == "call":
            return 0.0
        return float(SPECS[self.op].arrays * BYTES * self.n)

    def matches(self, text: str) -> bool:
        return text.strip().lower() in self.name.lower()


def _env_sizes(name: str) -> tuple[int, ...] | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        sizes = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be comma-separated positive integers, got {raw!r}") from exc
    if not sizes or min(sizes) <= 0:
        raise ValueError(f"{name} must be comma-separated positive integers, got {raw!r}")
    return sizes


def select_device(quick: bool = False, filter: str | None = None, sizes: Sequence[int] | None = None,
                  gemm_sizes: Sequence[int] | None = None, tf32: bool = False) -> list[DeviceCase]:
    """The device cases of a run: per size the copy row first, then GEMM (``tf32``: its TF32 rows
    after the float32 ones), then the small call.

    ``sizes`` / ``gemm_sizes`` (else ``$HOLOGRAM_BENCH_DEVICE_SIZES`` /
    ``$HOLOGRAM_BENCH_DEVICE_GEMM``) replace the defaults, for tests.
    """
    vec = tuple(sizes or _env_sizes(SIZES_ENV) or (QUICK_SIZES if quick else SIZES))
    mat = tuple(gemm_sizes or _env_sizes(GEMM_ENV) or (QUICK_GEMM_SIZES if quick else GEMM_SIZES))
    cases = [DeviceCase(op, n) for n in vec for op in VECTOR_OPS]
    cases += [DeviceCase(op, n) for op in GEMM_OPS[:2 if tf32 else 1] for n in mat]
    cases.append(DeviceCase("add call", CALL_N))
    return [c for c in cases if not filter or c.matches(filter)]


# -- the calls ------------------------------------------------------------------

HgCall = Callable[[hg.Executor, list[hg.Buffer], hg.Buffer, DeviceCase], Callable[[], object]]
TorchCall = Callable[[ModuleType, list[Any], Any], Callable[[], object]]


@dataclass(frozen=True)
class OpSpec:
    """How one op is called in each library, and what its correctness check allows."""

    arity: int  # inputs
    arrays: int  # arrays of n float32 moved per call (inputs read + output written)
    hg_code: str
    torch_code: str
    hologram: HgCall
    torch: TorchCall
    rtol: float = 1e-4
    atol: float = 1e-5


def _gemm_hg(ex: hg.Executor, ins: list[hg.Buffer], out: hg.Buffer, case: DeviceCase) -> Callable[[], object]:
    m = case.n
    return partial(hg.gemm_f32, ex, ins[0], ins[1], out, m, m, m)


SPECS: dict[str, OpSpec] = {
    "copy": OpSpec(1, 2, "hg.buffer_copy(ex, src, dst, n)", "dst.copy_(src)",
                   lambda ex, i, o, c: partial(hg.buffer_copy, ex, i[0], o, c.n),
                   lambda t, i, o: partial(o.copy_, i[0]), rtol=0.0, atol=0.0),
    "add": OpSpec(2, 3, "hg.vector_add_f32(ex, a, b, c, n)", "torch.add(a, b, out=c)",
                  lambda ex, i, o, c: partial(hg.vector_add_f32, ex, i[0], i[1], o, c.n),
                  lambda t, i, o: partial(t.add, i[0], i[1], out=o), rtol=1e-5, atol=1e-6),
    "relu": OpSpec(1, 2, "hg.vector_relu_f32(ex, a, c, n)", "torch.clamp_min(a, 0, out=c)",
                   lambda ex, i, o, c: partial(hg.vector_relu_f32, ex, i[0], o, c.n),
                   lambda t, i, o: partial(t.clamp_min, i[0], 0.0, out=o), rtol=0.0, atol=0.0),
    "gelu": OpSpec(1, 2, "hg.gelu_f32(ex, a, c, n)", "F.gelu(a, out=c)",
                   lambda ex, i, o, c: partial(hg.gelu_f32, ex, i[0], o, c.n),
                   lambda t, i, o: partial(t.nn.functional.gelu, i[0], out=o)),
    "softmax": OpSpec(1, 2, "hg.ops.softmax(ex, a, out=c)  # rows of 1024", "torch.softmax(a, -1, out=c)",
                      lambda ex, i, o, c: partial(hg.ops.softmax, ex, i[0], out=o),
                      lambda t, i, o: partial(t.softmax, i[0], -1, out=o), rtol=1e-3, atol=1e-7),
    "gemm": OpSpec(2, 3, "hg.gemm_f32(ex, a, b, c, m, n, k)", "torch.matmul(a, b, out=c)", _gemm_hg,
                   lambda t, i, o: partial(t.matmul, i[0], i[1], out=o), rtol=1e-3),
    # TF32 rounds the inputs to 10-bit mantissas (2^-11): the products' errors, summed over k
    # terms of random sign, grow like sqrt(k) 2^-11 |a||b|, hence the 20x looser bounds.
    "gemm tf32": OpSpec(2, 3, "hg.gemm_f32(ex, a, b, c, m, n, k)  # hologram_cuda.set_tf32(ex)",
                        "torch.matmul(a, b, out=c)  # allow_tf32 = True", _gemm_hg,
                        lambda t, i, o: partial(t.matmul, i[0], i[1], out=o), rtol=2e-2),
    "add call": OpSpec(2, 3, "hg.vector_add_f32(ex, a, b, c, n)", "torch.add(a, b, out=c)",
                       lambda ex, i, o, c: partial(hg.vector_add_f32, ex, i[0], i[1], o, c.n),
                       lambda t, i, o: partial(t.add, i[0], i[1], out=o), rtol=1e-5, atol=1e-6),
}

NOTES = {
    "relu": "torch.relu has no out= form: preallocated PyTorch ReLU is torch.clamp_min(a, 0, out=c)",
    "gemm": "GEMM is float32 on both sides: torch.backends.cuda.matmul.allow_tf32 = False for these rows",
    "gemm tf32": ("gemm tf32: TF32 tensor cores on both sides, hologram_cuda.set_tf32(ex) and "
                  "torch.backends.cuda.matmul.allow_tf32 = True for these rows only"),
}


def reference(op: str, xs: list[np.ndarray]) -> np.ndarray:
    """The float64 result of ``op`` on float64 inputs (softmax: on 2-D rows; GEMM: ``xs[0] @ xs[1]``)."""
    if op == "copy":
        return xs[0]
    if op in ("add", "add call"):
        return xs[0] + xs[1]
    if op == "relu":
        return np.maximum(xs[0], 0.0)
    if op == "gelu":
        return 0.5 * xs[0] * composed.erfc(-xs[0] * 0.7071067811865476)
    if op == "softmax":
        e = np.exp(xs[0] - xs[0].max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if op == "gemm":
        return xs[0] @ xs[1]
    raise KeyError(op)


def tolerance(case: DeviceCase) -> tuple[float, float]:
    """``(rtol, atol)`` of the correctness check: loose float32 bounds."""
    spec = SPECS[case.op]
    if case.kind == "gemm":  # sums of k products of N(0, 1) values: they grow like sqrt(k)
        return spec.rtol, (2e-2 if case.op == "gemm tf32" else 1e-3) * math.sqrt(case.n)
    return spec.rtol, spec.atol


class Mismatch(Exception):
    """An output that does not match its float64 reference."""


def _workers() -> int:
    """Threads for the host-side work of a case (NumPy and the generators release the GIL)."""
    return max(1, min(16, os.cpu_count() or 1))


def random_inputs(case: DeviceCase, seed: int) -> list[np.ndarray]:
    """The case's float32 N(0, 1) inputs, the same for a given ``seed`` on any machine.

    Drawn in chunks of ``_CHUNK`` elements, each from its own generator (children of
    ``seed``), on several threads: a 256M-element input took seconds on one core.
    """
    count = math.prod(case.shape)
    chunks = max(1, -(-count // _CHUNK))
    arity = SPECS[case.op].arity
    streams = np.random.SeedSequence(seed).spawn(arity * chunks)
    inputs = [np.empty(count, np.float32) for _ in range(arity)]

    def fill(k: int) -> None:
        x, c = inputs[k // chunks], k % chunks
        np.random.default_rng(streams[k]).standard_normal(out=x[c * _CHUNK:(c + 1) * _CHUNK], dtype=np.float32)

    with ThreadPoolExecutor(_workers()) as pool:
        list(pool.map(fill, range(arity * chunks)))
    return [x.reshape(case.shape) for x in inputs]


def _parts(case: DeviceCase, got: np.ndarray,
           inputs: list[np.ndarray]) -> list[Callable[[], tuple[int, np.ndarray, np.ndarray]]]:
    """Makers of ``(first element, output part, float64 reference part)``, chunk by chunk (GEMM: a spread of
    rows): each computes its reference when called, so that the chunks can run on several threads."""
    if case.kind == "gemm":
        rows = np.unique(np.linspace(0, case.n - 1, min(case.n, _GEMM_ROWS)).astype(np.intp))

        def gemm_part() -> tuple[int, np.ndarray, np.ndarray]:
            a, b = (x.astype(np.float64) for x in (inputs[0][rows], inputs[1]))
            return 0, got.reshape(case.shape)[rows], reference("gemm", [a, b])

        return [gemm_part]
    nrows, cols = case.shape if len(case.shape) == 2 else (case.n, 1)  # a row: softmax's unit
    views = [x.reshape(nrows, cols) for x in inputs]
    step = max(1, _CHUNK // cols)

    def part(i: int) -> tuple[int, np.ndarray, np.ndarray]:
        ref = reference(case.op, [x[i:i + step].astype(np.float64) for x in views])
        return i * cols, got.reshape(nrows, cols)[i:i + step], ref

    return [partial(part, i) for i in range(0, nrows, step)]


def check(case: DeviceCase, got: np.ndarray, inputs: list[np.ndarray], who: str) -> float:
    """Max abs error of ``got`` against the float64 reference of ``inputs`` (chunks on several threads).

    Raises:
        Mismatch: an element is off by more than :func:`tolerance` allows (or is NaN); the first such
        element in memory order is named.
    """
    rtol, atol = tolerance(case)

    def one(make: Callable[[], tuple[int, np.ndarray, np.ndarray]]) -> tuple[float, str | None]:
        offset, out, expected = make()
        diff = np.abs(out.astype(np.float64) - expected)
        bad = ~(diff <= atol + rtol * np.abs(expected))
        if not bad.any():
            return (float(diff.max()) if diff.size else 0.0), None
        i = int(np.flatnonzero(bad)[0])
        where = f"row {i // out.shape[-1]} of the checked rows" if case.kind == "gemm" else f"element {offset + i}"
        return 0.0, (f"{who} does not match the float64 reference: {where} is {float(out.flat[i])!r}, "
                     f"expected {float(expected.flat[i])!r} (rtol {rtol:g}, atol {atol:g})")

    with ThreadPoolExecutor(_workers()) as pool:
        results = list(pool.map(one, _parts(case, got, inputs)))
    for _, failure in results:
        if failure:
            raise Mismatch(failure)
    return max((worst for worst, _ in results), default=0.0)
