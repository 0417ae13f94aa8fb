"""Benchmark: ``hologram_torch.functional`` against PyTorch eager, on CPU tensors.

For each operation and size it first checks that both give the same result
(``torch.testing.assert_close``), then times the two calls interleaved: each round takes
one sample of each, in alternating order, every sample lasts long enough to swamp timer
noise (calibrated, which is also the warm-up), and the table shows the medians. The timing
loop is the one ``hologram bench`` uses (``hologram.bench.timing``).

Each row is timed twice, forward only: ``no-grad`` (plain tensors, the kernels are called
directly) and ``autograd`` (inputs with ``requires_grad=True``, so both libraries go
through the dispatcher and record the graph for a backward pass that is not run).

Both sides allocate their result, as ordinary PyTorch code does. Speedup is PyTorch's
time over Hologram's (above 1: Hologram is faster). Run it from the repository root:

    uv run python examples/benchmark_comparison.py           # full sizes (about a minute)
    uv run python examples/benchmark_comparison.py --quick   # small sizes, short samples
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch

import hologram_torch as hg
from hologram.bench.timing import measure

F = torch.nn.functional
MODES = ("no-grad", "autograd")


@dataclass(frozen=True)
class Case:
    """One row: an op at one size, with its inputs' shapes and the two calls to compare."""

    op: str
    size: str
    shapes: tuple[tuple[int, ...], ...]
    torch_fn: Callable[..., torch.Tensor]
    hologram_fn: Callable[..., torch.Tensor]
    rtol: float = 1e-5
    atol: float = 1e-6


def cases(quick: bool) -> list[Case]:
    """The rows of the table; --quick keeps one small and one medium size per op."""
    elementwise = [("10K", 10_000), ("1M", 1_000_000)]
    out: list[Case] = []
    for label, n in elementwise:
        out.append(Case("add", label, ((n,), (n,)), torch.add, hg.functional.add))
    for label, n in elementwise:
        out.append(Case("relu", label, ((n,),), torch.relu, hg.functional.relu))
    for label, n in elementwise:
        # Hologram's float32 GELU is accurate to 3 ULP; PyTorch's is less accurate far in
        # the negative tail, where the values are tiny: the atol covers that difference.
        out.append(Case("gelu", label, ((n,),), F.gelu, hg.functional.gelu, 1e-5, 1e-6))
    for label, rows in [("10K", 10), ("1M", 1_000)]:  # rows of 1000, softmax over the last axis
        out.append(Case("softmax", f"{label} ({rows}x1000)", ((rows, 1000),),
                        lambda x: torch.softmax(x, -1), lambda x: hg.functional.softmax(x, -1)))
    for n in (128, 256) if quick else (256, 1024):
        # Sums of n products: float32 rounding grows with n, hence the looser bounds.
        out.append(Case("matmul", f"{n}x{n}", ((n, n), (n, n)), torch.matmul, hg.functional.matmul, 1e-4, 1e-3))
    batch, features = (64, 256) if quick else (256, 1024)
    out.append(Case("linear", f"{batch}x{features} -> {features}", ((batch, features), (features, features),
                    (features,)), F.linear, hg.functional.linear, 1e-4, 1e-3))
    return out


@dataclass
class Row:
    case: Case
    mode: str
    torch_s: float
    hologram_s: float
    spread: float

    @property
    def speedup(self) -> float:
        return self.torch_s / self.hologram_s


def run_case(case: Case, mode: str, quick: bool, generator: torch.Generator) -> Row:
    """Checks one row's results agree, then times both calls interleaved."""
    grad = mode == "autograd"
    inputs = [torch.randn(shape, generator=generator).requires_grad_(grad) for shape in case.shapes]

    # Correctness first: a fast wrong answer must never reach the table.
    expected, actual = case.torch_fn(*inputs), case.hologram_fn(*inputs)
    if grad:
        assert actual.requires_grad, f"{case.op}: the Hologram result does not track gradients"
    torch.testing.assert_close(actual, expected, rtol=case.rtol, atol=case.atol,
                               msg=lambda m: f"{case.op} {case.size} ({mode}): {m}")

    # Full: ~2 ms samples, 15 rounds, up to ~2 s per row, each sample after 30 ms of untimed
    # calls of the same side: PyTorch's OpenMP workers spin ~20 ms after each op, and a
    # Hologram sample taken while they spin shares the cores with them (as `hologram bench`
    # does; measured here, relu 1M went from 67 to 40 µs). Quick: 0.5 ms samples, 5 rounds,
    # ~0.1 s per row, no settling: a smoke run whose medians are rougher.
    timings = measure({"torch": lambda: case.torch_fn(*inputs), "hologram": lambda: case.hologram_fn(*inputs)},
                      repeats=5 if quick else 15, min_time=5e-4 if quick else 2e-3,
                      max_time=0.1 if quick else 2.0, settle=0.0 if quick else 0.03)
    spread = max(m.spread for m in timings.values())
    return Row(case, mode, timings["torch"].median, timings["hologram"].median, spread)


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e3:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter samples (seconds)")
    args = parser.parse_args(argv)

    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads) vs hologram_torch {hg.__version__}, "
          f"float32 CPU tensors, {os.cpu_count()} CPUs; {'quick' if args.quick else 'full'} run")
    generator = torch.Generator().manual_seed(0)
    header = f"{'op':<8} {'size':<22} {'mode':<9} {'PyTorch':>12} {'Hologram':>12} {'speedup':>8} {'spread':>7}"
    print(header)
    print("-" * len(header))
    rows = []
    for case in cases(args.quick):
        for mode in MODES:
            row = run_case(case, mode, args.quick, generator)
            rows.append(row)
            print(f"{case.op:<8} {case.size:<22} {mode:<9} {fmt_time(row.torch_s):>12} "
                  f"{fmt_time(row.hologram_s):>12} {row.speedup:>7.2f}x {100 * row.spread:>6.0f}%", flush=True)
    print("-" * len(header))
    print("speedup: PyTorch time / Hologram time (median per call); spread: interquartile range over the "
          "median of the noisier side (tens of percent: the machine was busy, trust the row less).")
    print(f"all {len(rows)} rows checked against PyTorch before timing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
