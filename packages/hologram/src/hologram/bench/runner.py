"""Runs the selected cases: build, check against the reference, then time."""

from __future__ import annotations

import importlib
import time
import zlib
from dataclasses import dataclass
from types import ModuleType

import numpy as np

import hologram as hg
from hologram.bench import cases as _cases
from hologram.bench.progress import Progress
from hologram.bench.results import Result, Timing
from hologram.bench.timing import measure

__all__ = ["Config", "import_torch", "run_cases"]


@dataclass(frozen=True)
class _Defaults:
    repeats: int
    min_time: float
    max_time: float


# Seconds of untimed calls before every sample: see timing.py ("Settling").
# libgomp's workers spin ~20 ms after an op; 30 ms outlasts them.
_SETTLE = 0.03

# Ops whose NumPy version runs on OpenBLAS threads (see _run_case).
_SPINNING_NUMPY_OPS = frozenset({"gemm"})
_OPENBLAS_SPIN = 0.3  # seconds: OpenBLAS's default thread timeout is 2^28 cycles

# Defaults by mode. Full: ~2 ms samples, 15 rounds, 4 s per case. Quick: half
# the sample, half the rounds, 1.5 s per case, so its 13 cases (torch import
# included) take ~10-20 s on a 2-core machine, well inside the minute promised.
_FULL = _Defaults(repeats=15, min_time=2e-3, max_time=4.0)
_QUICK = _Defaults(repeats=7, min_time=1e-3, max_time=1.5)


@dataclass(frozen=True)
class Config:
    """What a run covers and how it times. Build it with :meth:`create`."""

    quick: bool = False
    filter: str | None = None
    backend: str = "cpu"
    repeats: int = _FULL.repeats  # interleaved rounds per case
    min_time: float = _FULL.min_time  # seconds one sample lasts at least
    max_time: float = _FULL.max_time  # soft seconds per case (3 rounds always run)
    seed: int = 0
    settle: float = _SETTLE  # untimed calls before each sample, so other libraries' threads idle

    @classmethod
    def create(cls, quick: bool = False, filter: str | None = None, backend: str = "cpu",
               repeats: int | None = None, min_time: float | None = None, max_time: float | None = None,
               seed: int = 0, settle: float | None = None) -> Config:
        """A config where ``None`` timing knobs take the defaults of the mode (quick or full)."""
        base = _QUICK if quick else _FULL
        config = cls(quick, filter, backend,
                     int(base.repeats if repeats is None else repeats),
                     float(base.min_time if min_time is None else min_time),
                     float(base.max_time if max_time is None else max_time), seed,
                     float(_SETTLE if settle is None else settle))
        if config.repeats < 1:
            raise ValueError(f"repeats must be >= 1, got {config.repeats}")
        if config.min_time < 0 or config.max_time < 0 or config.settle < 0:
            raise ValueError("min_time, max_time and settle must be >= 0")
        return config


def import_torch() -> tuple[ModuleType | None, str | None]:
    """``(torch, None)``, or ``(None, why)`` when PyTorch cannot be imported (it is optional)."""
    try:
        return importlib.import_module("torch"), None
    except ImportError as exc:
        return None, f"PyTorch is not installed or failed to import ({exc}); pip install 'hologram[bench]'"


def float32_ulps(expected: np.ndarray) -> np.ndarray:
    """The float32 spacing at each float64 value: 2^(e - 23) for 2^e <= |x| < 2^(e + 1), at least 2^-149."""
    _, exponent = np.frexp(expected)  # |x| = m 2^exponent, m in [0.5, 1); 0 gives exponent 0
    return np.where(expected == 0, 2.0**-149, np.maximum(np.ldexp(1.0, exponent - 24), 2.0**-149))


def _check(case: _cases.Case, setup: _cases.Setup) -> tuple[dict[str, tuple[float, float]], str | None]:
    """Runs every variant once and compares it with the float64 reference.

    Returns each variant's max error (absolute, and in float32 ULP), and the
    first mismatch (if any): a fast wrong kernel must fail here, never reach
    the timing table.
    """
    errors: dict[str, tuple[float, float]] = {}
    assert setup.expected is not None
    ulps = float32_ulps(setup.expected)
    for v in setup.variants:
        try:
            got = setup.select(v.read(v.fn())).astype(np.float64)
            diff = np.abs(got - setup.expected)
            errors[v.key] = (float(np.max(diff)), float(np.max(diff / ulps))) if got.size else (0.0, 0.0)
            np.testing.assert_allclose(got, setup.expected, rtol=setup.rtol, atol=setup.atol,
                                       err_msg=f"{case.name}: {v.call}")
        except AssertionError as exc:
            detail = " ".join(line.strip() for line in str(exc).strip().splitlines()[:4])
            return errors, f"{v.impl} ({v.call}) does not match the float64 reference: {detail}"
        except Exception as exc:  # a call that raises is as disqualifying as a wrong one
            return errors, f"{v.impl} ({v.call}) raised {type(exc).__name__}: {exc}"
    return errors, None


def _run_case(case: _cases.Case, ex: hg.Executor, torch: ModuleType | None, torch_note: str | None,
              config: Config, progress: Progress, index: int) -> Result:
    result = Result(case.name, case.op, case.size, case.shape, case.tags, case.readme, case.readme_speedup)
    if torch_note:
        result.skipped["torch"] = torch_note
    # Seeded by the case name, so a case gets the same data whatever --filter selects.
    rng = np.random.default_rng([config.seed, zlib.crc32(case.name.encode())])
    setup = _cases.build(case, ex, torch, rng)
    result.notes += setup.notes
    errors, failure = _check(case, setup)
    if failure:
        result.error = failure
        return result
    progress.update(index, f"{case.name} (calibrating)")
    # NumPy's GEMM (OpenBLAS) leaves its threads spinning for ~0.1-0.3 s after each
    # call, far past the settling time: interleaved, it slowed whichever of PyTorch
    # or Hologram came next by up to 2.5x. It is timed in a pass of its own after the
    # interleaved rounds (NumPy is a reference column, the speedup is against PyTorch).
    apart = [v for v in setup.variants if v.impl == "numpy" and case.op in _SPINNING_NUMPY_OPS]
    together = [v for v in setup.variants if v not in apart]
    if apart:
        time.sleep(_OPENBLAS_SPIN)  # the reference check above just ran NumPy's GEMM
        result.notes.append("NumPy GEMM: timed in a pass of its own after the PyTorch/Hologram rounds, "
                            "because OpenBLAS's threads keep spinning for ~0.2 s after each call")
    measured = {}
    groups = [g for g in (together, apart) if g]
    for i, group in enumerate(groups):
        def on_round(done: int, total: int, i: int = i) -> None:
            progress.update(index + (i + done / total) / len(groups), case.name)

        measured.update(measure(
            {v.key: v.fn for v in group},
            repeats=config.repeats, min_time=config.min_time, max_time=config.max_time,
            sync={v.key: v.sync for v in group if v.sync is not None},
            on_round=on_round,
            settle=config.settle,
        ))
    for v in setup.variants:
        m = measured[v.key]
        result.timings[v.key] = Timing(v.impl, v.mode, v.call, m.median, m.samples, m.inner,
                                       errors[v.key][0], m.spread, v.composed, errors[v.key][1])
    return result


def run_cases(config: Config, progress: Progress | None = None) -> list[Result]:
    """Runs the cases ``config`` selects, in order, on one executor of ``config.backend``."""
    selected = _cases.select(config.quick, config.filter)
    torch, torch_note = import_torch()
    progress = progress or Progress(len(selected), enabled=False)
    results = []
    with hg.Executor(backend=config.backend) as ex:
        for i, case in enumerate(selected):
            progress.update(i, case.name)
            results.append(_run_case(case, ex, torch, torch_note, config, progress, i))
    progress.update(len(selected), "done")
    progress.close()
    return results
