"""What a benchmark run returns: a :class:`Result` per case, a :class:`Timing` per timed call."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["BenchError", "DeviceResult", "Result", "Timing"]


@dataclass
class Timing:
    """One library's call in one mode, measured.

    ``samples_s`` holds seconds per call, one value per interleaved round;
    each value is the mean over ``inner`` back-to-back calls.
    """

    impl: str  # "hologram", "torch" or "numpy"
    mode: str  # "out" (preallocated output) or "alloc" (the call allocates its result)
    call: str  # the call, as code
    median_s: float
    samples_s: list[float]
    inner: int
    max_abs_error: float  # against the float64 reference, from the correctness check
    spread: float = 0.0  # interquartile range / median of the samples: the noise
    composed: bool = False  # several NumPy calls standing in for an op NumPy lacks
    # The same check in units of the float32 spacing at each reference value (2^-149 at least);
    # meaningful for the elementwise and row-wise ops, not for GEMM's long sums.
    max_ulp_error: float = 0.0


@dataclass
class Result:
    """One case: every timing, what was skipped and why, and any failed check."""

    name: str  # "add 10K"
    op: str
    size: str
    shape: tuple[int, ...]
    tags: tuple[str, ...]
    readme: str | None = None  # seed README row label, when this case is one of its rows
    readme_speedup: str | None = None  # the speedup the seed README claims for that row
    timings: dict[str, Timing] = field(default_factory=dict)  # by "impl/mode"
    skipped: dict[str, str] = field(default_factory=dict)  # impl -> why it has no timings
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # set when an output failed the correctness check: nothing was timed

    def timing(self, impl: str, mode: str) -> Timing | None:
        """The timing of ``impl`` in ``mode``, if it ran."""
        return self.timings.get(f"{impl}/{mode}")

    def median(self, impl: str, mode: str) -> float | None:
        """Median seconds per call of ``impl`` in ``mode``, if it ran."""
        t = self.timing(impl, mode)
        return None if t is None else t.median_s

    def speedup(self, baseline: str = "torch", mode: str = "out", hologram_mode: str | None = None) -> float | None:
        """``baseline`` time / Hologram time (above 1: Hologram is faster).

        ``hologram_mode`` defaults to ``mode``; the seed README's rows compare
        Hologram ``"out"`` against PyTorch ``"alloc"``.
        """
        base, ours = self.median(baseline, mode), self.median("hologram", hologram_mode or mode)
        if base is None or ours is None or ours <= 0:
            return None
        return base / ours

    def speedups(self) -> dict[str, dict[str, float | None]]:
        """Every speedup the report shows, by comparison then baseline."""
        out: dict[str, dict[str, float | None]] = {
            mode: {b: self.speedup(b, mode) for b in ("torch", "numpy")} for mode in ("out", "alloc")
        }
        if self.readme:
            out["readme"] = {b: self.speedup(b, "alloc", "out") for b in ("torch", "numpy")}
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, plus ``speedups``."""
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["tags"] = list(self.tags)
        d["speedups"] = self.speedups()
        return d


# Elementwise rows at this many elements or more are held to the targets below.
TARGET_MIN_N = 64 << 20
TARGET_COPY_PCT = 85.0  # % of the measured device-to-device copy bandwidth
TARGET_TORCH_RATIO = 0.95  # x PyTorch's throughput (elementwise rows, and GEMM at TARGET_GEMM_N)
TARGET_GEMM_N = 4096  # GEMM (float32, and TF32) is judged at this size
TARGET_CALL_RATIO = 1.0  # the small call: no slower than PyTorch's, queued or synchronized


@dataclass
class DeviceResult:
    """One case of the device suite: throughput (GB/s or TFLOP/s) or time per call.

    ``timings`` are keyed ``"impl/mode"``: mode ``"out"`` for the throughput
    rows; ``"amortized"`` (N calls, then one synchronize) and ``"sync-each"``
    (a synchronize after every call) for the ``add call`` row.
    """

    name: str  # "add 16M"
    op: str
    size: str
    n: int
    shape: tuple[int, ...]
    unit: str  # "GB/s", "TFLOP/s" or "s"
    work: float  # bytes or flops per call (0 for a time-only row)
    timings: dict[str, Timing] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # impl -> why it has no timings
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # an output failed the correctness check: nothing was timed
    copy_rate: float | None = None  # Hologram's measured copy GB/s at this size
    torch_copy_rate: float | None = None

    def timing(self, impl: str, mode: str = "out") -> Timing | None:
        return self.timings.get(f"{impl}/{mode}")

    def median(self, impl: str, mode: str = "out") -> float | None:
        """Median seconds per call of ``impl`` in ``mode``, if it ran."""
        t = self.timing(impl, mode)
        return None if t is None else t.median_s

    def rate(self, impl: str, mode: str = "out") -> float | None:
        """GB/s or TFLOP/s of ``impl``, if it ran (None for a time-only row)."""
        seconds = self.median(impl, mode)
        if seconds is None or seconds <= 0 or self.work <= 0:
            return None
        return self.work / seconds / (1e12 if self.unit == "TFLOP/s" else 1e9)

    def ratio(self, mode: str = "out") -> float | None:
        """Hologram's throughput over PyTorch's (time-only rows: PyTorch's time over Hologram's)."""
        ours, theirs = self.median("hologram", mode), self.median("torch", mode)
        if ours is None or theirs is None or ours <= 0:
            return None
        return theirs / ours

    def pct_of_copy(self, impl: str = "hologram") -> float | None:
        """``impl``'s GB/s as a percentage of its own measured copy bandwidth at this size."""
        copy = self.copy_rate if impl == "hologram" else self.torch_copy_rate
        rate = self.rate(impl)
        if rate is None or not copy or self.op == "copy":
            return None
        return 100.0 * rate / copy

    def meets_target(self) -> bool | None:
        """Whether this row meets its target (None: no target applies, or PyTorch's figure is missing).

        Elementwise rows at >= 64M elements: >= 85% of copy bandwidth and >= 0.95x PyTorch.
        GEMM at 4096: >= 0.95x PyTorch at the same precision. The small call: no slower than
        PyTorch's, both queued and synchronized after every call.
        """
        if self.unit == "TFLOP/s":
            ratio = self.ratio()
            return None if self.n != TARGET_GEMM_N or ratio is None else ratio >= TARGET_TORCH_RATIO
        if self.unit == "s":
            ratios = [r for r in (self.ratio("amortized"), self.ratio("sync-each")) if r is not None]
            return None if len(ratios) < 2 else all(r >= TARGET_CALL_RATIO for r in ratios)
        pct, ratio = self.pct_of_copy(), self.ratio()
        if self.op == "copy" or self.n < TARGET_MIN_N or pct is None:
            return None
        return pct >= TARGET_COPY_PCT and (ratio is None or ratio >= TARGET_TORCH_RATIO)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, plus the table's figures."""
        d = asdict(self)
        d["shape"] = list(self.shape)
        modes = sorted({t.mode for t in self.timings.values()}) or ["out"]
        d["figures"] = {mode: {
            "hologram_s": self.median("hologram", mode), "torch_s": self.median("torch", mode),
            "hologram_rate": self.rate("hologram", mode), "torch_rate": self.rate("torch", mode),
            "ratio": self.ratio(mode)} for mode in modes}
        main = d["figures"].get("out") or d["figures"].get("amortized") or {}
        d.update(main)
        d["pct_of_copy"] = self.pct_of_copy()
        d["torch_pct_of_copy"] = self.pct_of_copy("torch")
        d["meets_target"] = self.meets_target()
        return d


class BenchError(Exception):
    """A run that cannot go ahead as asked (no case matches, ``--plot`` without matplotlib)."""
