"""Buffer.from_numpy is one bulk copy: time it against np.copyto at 16M float32.

Run: uv run python benchmarks/copy_in.py
A ratio near 1.0 means from_numpy costs what a single memcpy-class copy costs;
any per-element Python work would make it thousands of times slower.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import hologram as hg


def median_time(fn, repeat: int = 15) -> float:
    fn()  # warm-up: first touch of the pages
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main(n: int = 16 * 1024 * 1024) -> None:
    src = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    dst = np.empty_like(src)
    with hg.Executor(backend="cpu") as exec:
        buf = exec.allocate(n)
        t_copyto = median_time(lambda: np.copyto(dst, src))
        t_from = median_time(lambda: buf.from_numpy(src))
        t_bytes = median_time(lambda: buf.to_bytes())
        gbs = src.nbytes / 1e9
        print(f"n = {n:,} float32 ({src.nbytes / 2**20:.0f} MiB)")
        print(f"np.copyto(dst, src)     {t_copyto * 1e3:8.2f} ms  {gbs / t_copyto:6.1f} GB/s")
        print(f"buf.from_numpy(src)     {t_from * 1e3:8.2f} ms  {gbs / t_from:6.1f} GB/s"
              f"  ratio {t_from / t_copyto:.2f}x of np.copyto")
        print(f"buf.to_bytes()          {t_bytes * 1e3:8.2f} ms  (allocates the bytes object)")
        t_view = median_time(lambda: buf.to_numpy())
        print(f"buf.to_numpy() (view)   {t_view * 1e6:8.2f} us  (zero-copy, independent of n)")


if __name__ == "__main__":
    main()
