"""What a benchmark run returns: a :class:`Result` per case, a :class:`Timing` per timed call."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["BenchError", "Result", "Timing"]


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


class BenchError(Exception):
    """A run that cannot go ahead as asked (no case matches, ``--plot`` without matplotlib)."""
