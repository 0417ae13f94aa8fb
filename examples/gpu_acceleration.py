"""GPU acceleration: run on CUDA or Metal when a backend can, otherwise say why not.

It lists the backends Hologram discovered (each unavailable one with its reason), picks
CUDA when ``hg.is_cuda_available()``, else Metal when ``hg.is_metal_available()``, and
runs the same work (a float32 GEMM followed by ReLU) on that accelerator and on the CPU,
comparing the results and the times. Without an accelerator it explains exactly why
(the backend's own reason, or how to install it) and runs the work on the CPU alone.

It exits 0 whether or not an accelerator is present; only a wrong result exits non-zero.
Run it from the repository root:

    uv run python examples/gpu_acceleration.py
    uv run python examples/gpu_acceleration.py --size 2048
    uv run python examples/gpu_acceleration.py --quick       # 256 x 256, for tests
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import hologram as hg

ACCELERATORS = ("cuda", "metal")  # in the order this example prefers them


def why_unavailable(name: str) -> str:
    """The reason backend ``name`` cannot run here, in Hologram's own words."""
    for info in hg.backends():
        if info.name == name:
            return info.reason or "the backend reports no usable device"
    # Not installed at all: asking for it by name gives the message with the remedy.
    try:
        hg.Executor(backend=name).close()
    except hg.BackendUnavailableError as exc:
        return str(exc)
    return "it became available while this example was running"


def pick_accelerator() -> str | None:
    """The accelerator to use, or None after printing why there is none."""
    if hg.is_cuda_available():
        return "cuda"
    if hg.is_metal_available():
        return "metal"
    print("No GPU backend can run here:")
    for name in ACCELERATORS:
        print(f"  {name}: {why_unavailable(name)}")
    return None


def gemm_relu(backend: str, a: np.ndarray, b: np.ndarray, repeats: int) -> tuple[np.ndarray, float]:
    """relu(a @ b) on ``backend``: the result (copied to host memory) and the best time of ``repeats``."""
    with hg.Executor(backend=backend) as ex:
        # from_numpy copies into the backend's memory: on a GPU, that is the upload.
        a_buf, b_buf = ex.from_numpy(a), ex.from_numpy(b)
        out = ex.allocate((a.shape[0], b.shape[1]))
        best = float("inf")
        for _ in range(repeats + 1):  # the first run is a warm-up (kernel loading, caches)
            start = time.perf_counter()
            hg.ops.gemm(ex, a_buf, b_buf, out)
            hg.ops.relu(ex, out, out)
            ex.synchronize()  # device backends queue work: wait for it before reading the clock
            best = min(best, time.perf_counter() - start)
        # np.array(...) copies: the executor closes, and device memory must come back to the host anyway.
        return np.array(out.to_numpy()), best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="n of the n x n matrices (default 1024)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per backend, best kept (default 5)")
    parser.add_argument("--quick", action="store_true", help="256 x 256, 2 runs (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.repeats = 256, 2
    if args.size < 1 or args.repeats < 1:
        parser.error("--size and --repeats must be at least 1")

    print("Backends Hologram found (highest priority first):")
    for info in hg.backends():
        print(f"  {info.name:<8} priority {info.priority:<4} {info.status}")

    accelerator = pick_accelerator()
    rng = np.random.default_rng(0)
    n = args.size
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    flop = 2.0 * n**3

    cpu_result, cpu_s = gemm_relu("cpu", a, b, args.repeats)
    # Check against NumPy in float64: float32 sums of n products carry rounding ~ sqrt(n) ulps.
    reference = np.maximum(a.astype(np.float64) @ b.astype(np.float64), 0)
    np.testing.assert_allclose(cpu_result, reference, rtol=1e-4, atol=1e-3 * np.sqrt(n))
    print(f"cpu:   relu(a @ b), {n}x{n} float32, {cpu_s * 1e3:8.2f} ms ({flop / cpu_s / 1e9:6.1f} GFLOP/s), "
          "matches NumPy")

    if accelerator is None:
        print("Ran on the CPU only (install a GPU backend on a machine with a GPU to compare).")
        return 0

    gpu_result, gpu_s = gemm_relu(accelerator, a, b, args.repeats)
    try:
        np.testing.assert_allclose(gpu_result, cpu_result, rtol=1e-4, atol=1e-3 * np.sqrt(n))
    except AssertionError as exc:
        print(f"{accelerator}: the result differs from the CPU's:\n{exc}", file=sys.stderr)
        return 1
    print(f"{accelerator + ':':<6} relu(a @ b), {n}x{n} float32, {gpu_s * 1e3:8.2f} ms "
          f"({flop / gpu_s / 1e9:6.1f} GFLOP/s), matches the CPU; {cpu_s / gpu_s:.1f}x the CPU's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
