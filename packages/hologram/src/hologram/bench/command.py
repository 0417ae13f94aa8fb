"""``hologram bench``: its options and what it does with them."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict

from hologram.bench import cases as _cases
from hologram.bench import report
from hologram.bench.device_suite import DeviceOptions, is_device_backend, run_device
from hologram.bench.machine import device_info, load_average, machine_info
from hologram.bench.progress import Progress
from hologram.bench.results import BenchError
from hologram.bench.runner import Config, import_torch, run_cases
from hologram.errors import HologramError

__all__ = ["add_arguments", "main"]

DESCRIPTION = """\
Times Hologram against PyTorch (CPU) and NumPy in one process: the seed README's
rows plus add/relu/gelu/softmax at 10K/1M/16M elements, sigmoid/tanh at 1M and
GEMM 64..2048, each with preallocated outputs and with allocating calls.
Calls are interleaved round by round, warmed up and calibrated so each sample
lasts a millisecond or more; the table shows medians. Every output is checked
against a float64 reference before it is timed.

With a device backend (--backend cuda, or webgpu: memory the CPU cannot
address) it runs the device suite instead: copy/add/relu/gelu/softmax at
1M/16M/256M elements (--quick: 1M/64M) in GB/s against the measured copy
bandwidth, GEMM 1024..8192 in TFLOP/s (--quick: 1024/4096; on cuda also with
TF32) and a 10K-element call, side by side with PyTorch on CUDA when
torch.cuda is available.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``hologram bench``'s options to ``parser``."""
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--quick", action="store_true",
                        help="10K/1M vectors and GEMM up to 1024, fewer rounds (well under a minute)")
    parser.add_argument("--filter", metavar="SUBSTR",
                        help="only cases whose name contains SUBSTR (e.g. 'gelu', '1M', 'gemm 256'), "
                             "or tagged SUBSTR ('readme', 'quick')")
    parser.add_argument("--backend", default="cpu", metavar="NAME", help="hologram backend (default: cpu); a device backend (cuda, webgpu) runs the device suite")
    parser.add_argument("--json", metavar="FILE", help="also write every timing and the machine info as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="also draw a chart (needs matplotlib)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--list", action="store_true", help="list the cases (after --quick/--filter) and exit")
    # Knobs for tests and experiments, kept out of --help.
    parser.add_argument("--repeats", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--min-time", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--max-time", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--settle", type=float, help=argparse.SUPPRESS)


def _can_print(text: str) -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def main(args: argparse.Namespace) -> int:
    """Runs ``hologram bench`` as parsed into ``args``; returns the exit status.

    0: done; 1: an output failed its correctness check, or the run could not
    start (unknown backend, matplotlib missing for ``--plot``); 2: no case
    matches ``--filter``.
    """
    if args.backend != "cpu":
        try:
            if is_device_backend(args.backend):
                return _main_device(args)
        except HologramError as exc:  # e.g. an unavailable backend: one line, not a traceback
            print(f"hologram bench: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    selected = _cases.select(args.quick, args.filter)
    if args.list:
        for case in selected:
            print(case.name + (f"  [{', '.join(case.tags)}]" if case.tags else ""))
        return 0
    if not selected:
        names = ", ".join(c.name for c in _cases.select(args.quick))
        print(f"hologram bench: no case matches --filter {args.filter!r}; cases: {names}", file=sys.stderr)
        return 2
    try:
        config = Config.create(args.quick, args.filter, args.backend, args.repeats, args.min_time, args.max_time,
                               settle=args.settle)
        if args.plot:
            report.require_matplotlib()  # fail now, not after minutes of timing
    except (BenchError, ValueError) as exc:
        print(f"hologram bench: {exc}", file=sys.stderr)
        return 1

    load = load_average()  # before the run adds its own load
    start = time.perf_counter()
    progress = Progress(len(selected), enabled=not args.no_progress)
    try:
        results = run_cases(config, progress)
    except HologramError as exc:  # e.g. an unavailable backend: one line, not a traceback
        progress.close()
        print(f"hologram bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    torch, _ = import_torch()  # already imported by the run: free
    machine = machine_info(config.backend, torch, load)
    text = report.render(results, machine, config)
    print(text if _can_print(text) else report.render(results, machine, config, unicode=False))
    print(f"\n{len(results)} cases in {time.perf_counter() - start:.1f} s")
    if args.json:
        report.write_json(args.json, results, machine, config)
        print(f"wrote {args.json}")
    if args.plot:
        report.write_plot(args.plot, results, machine)
        print(f"wrote {args.plot}")
    return 1 if any(r.error for r in results) else 0


def _main_device(args: argparse.Namespace) -> int:
    """``hologram bench`` on a device backend: the device suite (same exit statuses as :func:`main`)."""
    options = DeviceOptions()
    try:
        selected = options.cases(args.quick, args.filter, args.backend)
        config = Config.create(args.quick, args.filter, args.backend, args.repeats, args.min_time, args.max_time)
        if args.plot:
            raise BenchError("--plot is not supported by the device suite yet; use --json")
    except (BenchError, ValueError) as exc:
        print(f"hologram bench: {exc}", file=sys.stderr)
        return 1
    if args.list:
        print("\n".join(case.name for case in selected))
        return 0
    if not selected:
        names = ", ".join(c.name for c in options.cases(args.quick, None, args.backend))
        print(f"hologram bench: no device case matches --filter {args.filter!r}; cases: {names}", file=sys.stderr)
        return 2
    load = load_average()
    start = time.perf_counter()
    progress = Progress(len(selected), enabled=not args.no_progress)
    try:
        results = run_device(config, progress, options)
    except HologramError as exc:
        progress.close()
        print(f"hologram bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    torch, _ = import_torch()
    machine = {**machine_info(config.backend, torch, load), **device_info(config.backend, torch)}
    text = report.render_device(results, machine, config)
    print(text if _can_print(text) else report.render_device(results, machine, config, unicode=False))
    print(f"\n{len(results)} cases in {time.perf_counter() - start:.1f} s")
    if args.json:
        report.write_json(args.json, results, machine, {**asdict(config), **asdict(options)})
        print(f"wrote {args.json}")
    return 1 if any(r.error for r in results) else 0
