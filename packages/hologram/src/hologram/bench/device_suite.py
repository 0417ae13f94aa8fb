"""The device suite: ``hologram bench --backend cuda`` (or any backend whose memory the CPU cannot address).

How a case runs (the cases are in :mod:`hologram.bench.device_cases`):

1. **Fit.** Hologram's inputs and output are allocated first; a size that does
   not fit (an allocation error) is reported skipped with the reason before
   any host data is made. The same holds for PyTorch's tensors.
2. **Correctness first.** Each library's call runs once; its output is
   downloaded once and compared with the float64 NumPy reference of the same
   inputs (chunk by chunk on several threads, so 256M elements need no 2 GiB
   float64 arrays and no minute of one core; the inputs are drawn the same way). A
   mismatch fails the case loudly: nothing of it is timed, the exit status is 1.
3. **Too slow.** One warm Hologram call over ``slow_limit`` seconds (2 s; the
   software WebGPU adapter) skips the case, and a larger size of an op whose
   smaller size would extrapolate past the limit is skipped without running.
4. **Timing.** :func:`hologram.bench.timing.measure`: warm-up/calibration, then
   rounds of K calls followed by one synchronize (``ex.synchronize()``,
   ``torch.cuda.synchronize()``), interleaved with PyTorch; the median counts.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

import hologram as hg
from hologram.bench import device_cases as dc
from hologram.bench.progress import Progress
from hologram.bench.results import DeviceResult, Timing
from hologram.bench.runner import Config, import_torch
from hologram.bench.timing import measure, sample

__all__ = ["DeviceOptions", "TorchSide", "is_device_backend", "run_device", "torch_side"]



@dataclass(frozen=True)
class DeviceOptions:
    """The device suite's knobs beyond :class:`~hologram.bench.runner.Config`."""

    sizes: tuple[int, ...] | None = None  # vector sizes (None: the defaults or $HOLOGRAM_BENCH_DEVICE_SIZES)
    gemm_sizes: tuple[int, ...] | None = None  # GEMM sides (None: defaults or $HOLOGRAM_BENCH_DEVICE_GEMM)
    slow_limit: float = 2.0  # seconds: one warm call slower than this skips the case
    torch_device: str | None = None  # None: "cuda" when torch.cuda.is_available(); tests pass "cpu"
    tf32: bool | None = None  # the TF32 GEMM rows (None: on the cuda backend, the one that has them)

    def cases(self, quick: bool, filter: str | None, backend: str | None = None) -> list[dc.DeviceCase]:
        tf32 = backend == "cuda" if self.tf32 is None else self.tf32
        return dc.select_device(quick, filter, self.sizes, self.gemm_sizes, tf32)


@dataclass
class TorchSide:
    """PyTorch on one device: tensors there, and its synchronize."""

    torch: ModuleType
    device: str

    @property
    def on_cuda(self) -> bool:
        return self.device.startswith("cuda")

    def sync(self) -> None:
        if self.on_cuda:
            self.torch.cuda.synchronize()

    def name(self) -> str:
        """The device's name as torch reports it."""
        return str(self.torch.cuda.get_device_name()) if self.on_cuda else self.device

    def upload(self, x: np.ndarray) -> Any:
        return self.torch.from_numpy(x).to(self.device)

    def release(self) -> None:
        if self.on_cuda:
            self.torch.cuda.empty_cache()


def torch_side(device: str | None = None) -> tuple[TorchSide | None, str | None]:
    """PyTorch on ``device`` (default: CUDA when available), or ``(None, why not)``."""
    torch, why = import_torch()
    if torch is None:
        return None, why
    if device is None:
        if not torch.cuda.is_available():
            return None, (f"torch.cuda is unavailable (torch {torch.__version__}: no CUDA build or no NVIDIA GPU); "
                          "the PyTorch column shows -")
        device = "cuda"
    return TorchSide(torch, device), None


def is_device_backend(backend: str) -> bool:
    """True when ``backend``'s memory is not addressable by the CPU (raises if it cannot be opened)."""
    with hg.Executor(backend=backend) as ex:
        return not ex.host_addressable


@contextlib.contextmanager
def _tf32(case: dc.DeviceCase, ex: hg.Executor, side: TorchSide | None) -> Iterator[None]:
    """TF32 on both sides for a ``gemm tf32`` case (the CUDA executor's and torch's matmul), off after it."""
    if case.op != "gemm tf32":
        yield
        return
    import hologram_cuda  # a gemm tf32 case is only selected on the cuda backend

    matmul = side.torch.backends.cuda.matmul if side is not None and side.on_cuda else None
    hologram_cuda.set_tf32(ex, True)
    if matmul is not None:
        matmul.allow_tf32 = True
    try:
        yield
    finally:
        hologram_cuda.set_tf32(ex, False)
        if matmul is not None:
            matmul.allow_tf32 = False  # as _fp32_matmul keeps it for every other row


@contextlib.contextmanager
def _fp32_matmul(side: TorchSide | None) -> Iterator[None]:
    """``torch.backends.cuda.matmul.allow_tf32 = False`` inside, restored afterwards."""
    if side is None or not side.on_cuda:
        yield
        return
    matmul = side.torch.backends.cuda.matmul
    saved = matmul.allow_tf32
    matmul.allow_tf32 = False
    try:
        yield
    finally:
        matmul.allow_tf32 = saved


def _timed(fn: Callable[[], object], sync: Callable[[], object] | None) -> float:
    """Seconds of one call of ``fn`` and its synchronize."""
    return sample(fn, 1, sync)


class _History:
    """Per-op seconds per call seen so far, to skip sizes that would obviously be too slow."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.seen: dict[str, tuple[dc.DeviceCase, float]] = {}

    def record(self, case: dc.DeviceCase, seconds: float) -> None:
        self.seen[case.op] = (case, seconds)

    def too_slow(self, case: dc.DeviceCase) -> str | None:
        """Why ``case`` is skipped without running, or None."""
        prev = self.seen.get(case.op)
        if prev is None or prev[0].work <= 0:
            return None
        guess = prev[1] * case.work / prev[0].work
        if guess <= self.limit:
            return None
        return (f"too slow on this adapter ({prev[0].name} took {prev[1]:.2f} s per call; this size would "
                f"take ~{guess:.1f} s, over the {self.limit:g} s limit)")


@dataclass
class _Variant:
    impl: str
    mode: str
    call: str
    fn: Callable[[], object]
    sync: Callable[[], object] | None
    error: float = 0.0


def _modes(case: dc.DeviceCase, impl: str, call: str, fn: Callable[[], object],
           sync: Callable[[], object] | None) -> list[_Variant]:
    """The timed variants of one library: one for throughput rows, amortized + sync-each for the call row."""
    if case.kind != "call":
        return [_Variant(impl, "out", call, fn, sync)]
    each_sync = sync or (lambda: None)

    def each() -> None:
        fn()
        each_sync()

    return [_Variant(impl, "amortized", call, fn, sync),
            _Variant(impl, "sync-each", f"{call}; synchronize()", each, None)]


def _allocate(case: dc.DeviceCase, ex: hg.Executor, result: DeviceResult) -> list[hg.Buffer]:
    """Hologram's inputs then output for ``case``; ``[]`` (and the reason in ``result``) when they do not fit."""
    bufs: list[hg.Buffer] = []
    try:
        for _ in range(dc.SPECS[case.op].arity + 1):
            bufs.append(ex.allocate(case.shape))
    except (hg.HologramError, MemoryError) as exc:
        for buf in bufs:
            buf.free()
        result.skipped["hologram"] = f"does not fit: {exc}"
        return []
    return bufs


def _hologram(case: dc.DeviceCase, ex: hg.Executor, bufs: list[hg.Buffer], inputs: list[np.ndarray],
              result: DeviceResult, history: _History) -> list[_Variant]:
    """Hologram's variants of ``case`` on ``bufs`` (inputs, output): checked, probed for speed, ``[]`` if too slow."""
    spec = dc.SPECS[case.op]
    *ins, out = bufs
    for buf, x in zip(ins, inputs, strict=True):
        buf.from_numpy(x)
    fn = spec.hologram(ex, ins, out, case)
    cold = _timed(fn, ex.synchronize)
    error = dc.check(case, out.to_numpy(), inputs, f"hologram ({spec.hg_code})")
    warm = _timed(fn, ex.synchronize) if cold <= 3 * history.limit else cold
    history.record(case, warm)
    if warm > history.limit:
        result.skipped["hologram"] = (f"too slow on this adapter (one call took {warm:.2f} s, over the "
                                      f"{history.limit:g} s limit)")
        return []
    variants = _modes(case, "hologram", spec.hg_code, fn, ex.synchronize)
    for v in variants:
        v.error = error
    return variants


def _torch(case: dc.DeviceCase, side: TorchSide, inputs: list[np.ndarray], result: DeviceResult) -> list[_Variant]:
    """PyTorch's variants of ``case`` on ``side``, checked (``[]`` when they do not fit)."""
    spec = dc.SPECS[case.op]
    try:
        ins = [side.upload(x) for x in inputs]
        out = side.torch.empty(case.shape, dtype=side.torch.float32, device=side.device)
    except (RuntimeError, MemoryError) as exc:  # torch.cuda.OutOfMemoryError is a RuntimeError
        result.skipped["torch"] = f"does not fit: {str(exc).splitlines()[0]}"
        return []
    fn = spec.torch(side.torch, ins, out)
    fn()
    side.sync()
    error = dc.check(case, out.cpu().numpy(), inputs, f"torch ({spec.torch_code})")
    variants = _modes(case, "torch", spec.torch_code, fn, side.sync)
    for v in variants:
        v.error = error
    return variants


def _run_case(case: dc.DeviceCase, ex: hg.Executor, side: TorchSide | None, config: Config,
              history: _History, tick: Callable[[float, str], None]) -> DeviceResult:
    """Builds, checks and times one case (see the module docstring)."""
    result = DeviceResult(case.name, case.op, case.size, case.n, case.shape, case.unit, case.work)
    if case.op in dc.NOTES and side is not None:
        result.notes.append(dc.NOTES[case.op])
    slow = history.too_slow(case)
    if slow:
        result.skipped["hologram"] = slow
    bufs = [] if slow else _allocate(case, ex, result)
    try:
        if not bufs and side is None:
            return result
        inputs = dc.random_inputs(case, config.seed * (1 << 32) + zlib.crc32(case.name.encode()))
        with _tf32(case, ex, side):
            variants = _hologram(case, ex, bufs, inputs, result, history) if bufs else []
            if side is not None:
                variants += _torch(case, side, inputs, result)
            if variants:
                _time(variants, result, config, lambda done: tick(done, case.name))
    except dc.Mismatch as exc:
        result.error = str(exc)
    finally:
        for buf in bufs:
            buf.free()
        ex.empty_cache()
        if side is not None:
            side.release()
    return result


def _time(variants: list[_Variant], result: DeviceResult, config: Config,
          tick: Callable[[float], None]) -> None:
    """Interleaved, synchronized timing of the checked variants into ``result.timings``."""
    keys = {f"{v.impl}/{v.mode}": v for v in variants}
    measured = measure({k: v.fn for k, v in keys.items()}, repeats=config.repeats, min_time=config.min_time,
                       max_time=config.max_time, sync={k: v.sync for k, v in keys.items() if v.sync},
                       on_round=lambda done, total: tick(done / total))
    for key, v in keys.items():
        m = measured[key]
        result.timings[key] = Timing(v.impl, v.mode, v.call, m.median, m.samples, m.inner, v.error, m.spread)


def _attach_copy_rates(results: list[DeviceResult]) -> None:
    """Gives every vector row the copy bandwidth measured at its size."""
    copies = {r.n: r for r in results if r.op == "copy"}
    for r in results:
        if r.unit == "GB/s" and r.n in copies:
            r.copy_rate, r.torch_copy_rate = copies[r.n].rate("hologram"), copies[r.n].rate("torch")


def _tick(progress: Progress, base: int, done: float, label: str) -> None:
    progress.update(base + done, label)


def run_device(config: Config, progress: Progress | None = None,
               options: DeviceOptions | None = None) -> list[DeviceResult]:
    """Runs the device suite on ``config.backend``: one :class:`DeviceResult` per case, in order."""
    options = options or DeviceOptions()
    cases = options.cases(config.quick, config.filter, config.backend)
    side, why_not = torch_side(options.torch_device)
    progress = progress or Progress(len(cases), enabled=False)
    history = _History(options.slow_limit)
    results: list[DeviceResult] = []
    with hg.Executor(backend=config.backend) as ex, _fp32_matmul(side):
        for i, case in enumerate(cases):
            progress.update(i, case.name)
            r = _run_case(case, ex, side, config, history, partial(_tick, progress, i))
            if why_not:
                r.skipped.setdefault("torch", why_not)
            results.append(r)
    progress.update(len(cases), "done")
    progress.close()
    _attach_copy_rates(results)
    return results
