"""``hologram bench``: Hologram timed side by side with PyTorch (CPU) and NumPy.

The command line (``hologram bench --quick``, ``--json``, ``--plot``, ...) and
this API run the same code::

    >>> from hologram import bench
    >>> results = bench.run(quick=True, filter="add 10K")      # doctest: +SKIP
    >>> results[0].speedup("torch", mode="out")                # doctest: +SKIP
    2.1

Each :class:`Result` holds a :class:`Timing` per library and mode (``"out"``:
preallocated output, ``"alloc"``: the call allocates its result) with every
sample, so nothing is lost to the summary. PyTorch is optional: without it
its timings are missing and ``Result.skipped["torch"]`` says why.

How it measures (see :mod:`hologram.bench.timing`): each output is first
checked against a float64 reference (a fast wrong kernel fails instead of
showing a speedup), then the libraries' calls are calibrated to samples of
``min_time`` or more and interleaved round by round in rotating order; the
reported time is the median.

On a device backend (memory the CPU cannot address: ``cuda``, ``webgpu``),
:func:`run_device` runs the device suite instead (:mod:`hologram.bench.device_suite`):
GB/s against the measured copy bandwidth, GEMM TFLOP/s and a small call's
latency, side by side with PyTorch on CUDA; one :class:`DeviceResult` per case.
"""

from __future__ import annotations

from hologram.bench.cases import CASES, Case, select
from hologram.bench.device_suite import DeviceOptions, is_device_backend
from hologram.bench.device_suite import run_device as _run_device
from hologram.bench.machine import machine_info
from hologram.bench.progress import Progress
from hologram.bench.results import BenchError, DeviceResult, Result, Timing
from hologram.bench.runner import Config, run_cases

__all__ = ["CASES", "BenchError", "Case", "Config", "DeviceOptions", "DeviceResult", "Result", "Timing",
           "is_device_backend", "machine_info", "run", "run_device"]


def run(quick: bool = False, filter: str | None = None, backend: str = "cpu", *, repeats: int | None = None,
        min_time: float | None = None, max_time: float | None = None, progress: bool = False,
        seed: int = 0, settle: float | None = None) -> list[Result]:
    """Runs the benchmark and returns one :class:`Result` per case.

    Args:
        quick: the quick subset (10K/1M vectors, GEMM up to 1024) with fewer rounds.
        filter: only cases whose name contains this (``"gelu"``, ``"1M"``), or
            with this tag (``"readme"``, ``"quick"``).
        backend: the Hologram backend, as for :class:`hologram.Executor`.
        repeats: interleaved rounds per case (default 15, quick 5).
        min_time: seconds each sample lasts at least (default 2 ms, quick 1 ms).
        max_time: soft time budget per case in seconds (default 4, quick 1);
            three rounds always run.
        progress: draw a progress bar on stderr (only on a terminal).
        seed: seed of the random inputs.
        settle: seconds of untimed calls before each sample (default 0.03),
            so the thread pools of the library timed before have gone idle.

    Raises:
        BenchError: no case matches ``filter``.
        hologram.HologramError: the backend cannot be opened.
    """
    config = Config.create(quick, filter, backend, repeats, min_time, max_time, seed, settle)
    selected = select(quick, filter)
    if not selected:
        raise BenchError(f"no benchmark case matches filter {filter!r}")
    return run_cases(config, Progress(len(selected), enabled=progress))


def run_device(backend: str = "cuda", quick: bool = False, filter: str | None = None, *,
               repeats: int | None = None, min_time: float | None = None, max_time: float | None = None,
               progress: bool = False, seed: int = 0, options: DeviceOptions | None = None) -> list[DeviceResult]:
    """Runs the device suite on ``backend`` and returns one :class:`DeviceResult` per case.

    The arguments are :func:`run`'s; ``options`` (a :class:`DeviceOptions`)
    overrides the sizes, the too-slow limit (2 s per call) or PyTorch's device.

    Raises:
        BenchError: no case matches ``filter``.
        hologram.HologramError: the backend cannot be opened.
    """
    options = options or DeviceOptions()
    config = Config.create(quick, filter, backend, repeats, min_time, max_time, seed)
    selected = options.cases(quick, filter, backend)
    if not selected:
        raise BenchError(f"no device benchmark case matches filter {filter!r}")
    return _run_device(config, Progress(len(selected), enabled=progress), options)
