"""The ``hologram`` command line: ``hologram info`` and ``hologram demo``."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence

import numpy as np

import hologram as hg
from hologram._core import ffi, lib
from hologram.bench import command as bench_command


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _active_isa() -> str:
    isa = lib.hg_cpu_isa()
    if isa == ffi.NULL:
        return f"invalid HOLOGRAM_ISA ({ffi.string(lib.hg_last_error()).decode()})"
    return ffi.string(isa).decode()


def _availability(info: hg.BackendInfo) -> str:
    if not info.available:
        return "no"
    return "on request" if info.explicit_only else "yes"


def info_text() -> str:
    """What ``hologram info`` prints: versions, CPU features, backends."""
    found = hg.backends()
    try:
        default = hg.get_default_backend()
    except hg.HologramError as exc:
        default = f"none ({exc})"
    rows = [[b.name, b.version, str(b.priority), _availability(b), b.device or "-", b.reason] for b in found]
    parts = [
        f"hologram {hg.__version__} (core {ffi.string(lib.hg_version()).decode()}, "
        f"backend ABI v{lib.hg_backend_abi_version()})",
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPU cores",
        f"cpu features: {ffi.string(lib.hg_cpu_features()).decode()}",
        f"cpu kernels: {_active_isa()} (supported: {ffi.string(lib.hg_cpu_isa_list()).decode()}; "
        "HOLOGRAM_ISA picks a lower one)",
        f"cpu threads: {lib.hg_cpu_threads()} per op (HOLOGRAM_NUM_THREADS)",
        f"default backend: {default}"
        + (f" (forced by HOLOGRAM_BACKEND={os.environ['HOLOGRAM_BACKEND']})" if os.environ.get("HOLOGRAM_BACKEND") else ""),
        "",
        "backends:",
        _table(rows, ["name", "version", "priority", "available", "device", "reason"]) if rows else "  (none found)",
    ]
    return "\n".join(parts)


def _demo() -> int:
    """The quickstart on the CPU backend, checked against NumPy."""
    rng = np.random.default_rng(0)
    n = 1024
    a_np = rng.standard_normal(n).astype(np.float32)
    b_np = rng.standard_normal(n).astype(np.float32)
    with hg.Executor(backend="cpu") as exec:
        print(f"executor: {exec!r}")
        buf_a, buf_b, buf_c = exec.allocate(n), exec.allocate(n), exec.allocate(n)
        buf_a.from_numpy(a_np)
        buf_b.from_numpy(b_np)
        t0 = time.perf_counter()
        hg.vector_add_f32(exec, buf_a, buf_b, buf_c, n)
        elapsed = (time.perf_counter() - t0) * 1e6
        result = buf_c.to_numpy()
        np.testing.assert_allclose(result, a_np + b_np, rtol=1e-6)
        print(f"vector_add_f32 (n={n}): {result[:4]} ... matches NumPy ({elapsed:.1f} us, first call)")
        hg.vector_relu_f32(exec, buf_a, buf_c, n)
        np.testing.assert_array_equal(buf_c.to_numpy(), np.maximum(a_np, 0))
        print("vector_relu_f32: matches NumPy")
        m = 64
        ma, mb = exec.from_numpy(rng.standard_normal((m, m)).astype(np.float32)), exec.from_numpy(
            rng.standard_normal((m, m)).astype(np.float32))
        mc = hg.ops.gemm(exec, ma, mb)
        err = float(np.max(np.abs(mc.to_numpy() - ma.to_numpy().astype(np.float64) @ mb.to_numpy())))
        print(f"gemm {m}x{m}: max abs error vs float64 NumPy {err:.2e}")
        total = hg.reduce_sum_f32(exec, buf_a, exec.allocate(1), n)
        print(f"reduce_sum_f32: {total:.4f} (NumPy {float(a_np.astype(np.float64).sum()):.4f})")
        view = buf_c.to_numpy()
        print(f"zero-copy: to_numpy() shares memory with the buffer: {np.shares_memory(view, buf_c.to_numpy())}")
    print()
    print(info_text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hologram", description="Hologram compute SDK command line.")
    parser.add_argument("--version", action="version", version=f"hologram {hg.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("info", help="versions, CPU features and the discovered backends")
    sub.add_parser("demo", help="run the quickstart on the CPU backend and print `info`")
    bench_command.add_arguments(sub.add_parser("bench", help="time Hologram against PyTorch and NumPy"))
    args = parser.parse_args(argv)
    if args.command == "info":
        print(info_text())
        return 0
    if args.command == "demo":
        return _demo()
    if args.command == "bench":
        return bench_command.main(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
