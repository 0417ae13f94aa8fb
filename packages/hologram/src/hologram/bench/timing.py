"""Timing: calibrated samples, interleaved rounds, medians.

How one case is measured, and why:

* **Calibration.** Each variant gets its own number of inner calls per
  sample so that one sample lasts at least ``min_time``: a 3 µs kernel timed
  once is dominated by ``perf_counter`` resolution and scheduler noise, a
  sample of hundreds of calls is not. Calibration runs the variant, so it is
  also its warm-up (caches, page faults of fresh outputs, lazy thread pools).
  A sample that comes out faster than calibration predicted (calibration
  caught a stall) raises the count for the following rounds.
* **Interleaving.** Every round takes one sample of every variant, and the
  order rotates each round, so frequency scaling, thermal drift or a noisy
  neighbour hits all libraries alike instead of whichever ran last.
* **Settling.** Before each sample (and each calibration) the variant runs
  untimed for ``settle`` seconds (at least one call). PyTorch's OpenMP
  workers (GNU libgomp) keep spinning for about 20 ms after a parallel op,
  OpenBLAS's likewise after a GEMM: on a 2-core machine a sample started
  right after them shares its cores with those spinners and comes out up to
  1.7x slower, whichever library it belongs to. Running the variant itself
  through that window (rather than sleeping, which lets a virtual machine's
  cores idle and come back slow) leaves each sample to one library, warm.
  Settling is not timed and not charged to ``max_time``.
* **Median.** The per-call time of a variant is the median of its samples:
  robust to the odd sample that an interrupt or a page-cache flush spoiled.
* **Bounded.** After ``min_rounds`` rounds, no new round starts once the case
  has used ``max_time`` seconds; a 0.5 s GEMM gets fewer rounds than a 3 µs add.
"""

from __future__ import annotations

import gc
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Measurement", "calibrate", "measure", "rotation", "sample"]

# Calibration never goes past this many inner calls: a no-op measured at 0 ns
# must not make the loop spin forever.
_MAX_INNER = 1_000_000


@dataclass
class Measurement:
    """The samples of one variant: seconds per call, one value per round."""

    inner: int  # calls per sample (as of the last round: raised if calibration was fooled by a stall)
    samples: list[float]

    @property
    def median(self) -> float:
        """Median seconds per call."""
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Interquartile range of the samples over their median (0 with fewer than 4 samples).

        A quiet machine gives a few percent; tens of percent mean something
        else competed for the cores and the median deserves less trust.
        """
        if len(self.samples) < 4 or self.median <= 0:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.samples, n=4)
        return (q3 - q1) / self.median


def sample(fn: Callable[[], object], inner: int, sync: Callable[[], object] | None = None) -> float:
    """Seconds per call of ``fn`` over ``inner`` back-to-back calls.

    ``sync`` (an executor's ``synchronize`` on a device backend) runs once
    inside the timed region so queued work is counted, not just launched.
    """
    loop = itertools.repeat(None, inner)  # cheaper per iteration than range()
    t0 = time.perf_counter()
    for _ in loop:
        fn()
    if sync is not None:
        sync()
    return (time.perf_counter() - t0) / inner


def calibrate(fn: Callable[[], object], min_time: float, sync: Callable[[], object] | None = None) -> int:
    """Inner calls needed for one sample of ``fn`` to last at least ``min_time`` seconds."""
    inner = 1
    while True:
        per_call = sample(fn, inner, sync)
        if per_call * inner >= min_time:
            # One long sample may be a hiccup (a page fault, another library's
            # thread pool still holding the cores): a 10 µs op calibrated on a
            # 10 ms stall would be timed one call per sample. Confirm it.
            per_call = min(per_call, sample(fn, inner, sync))
            if per_call * inner >= min_time:
                return inner
        if inner >= _MAX_INNER:
            return inner
        # Aim 20% past the target from the estimate, but at least double, so a
        # first call slowed by cold caches cannot stall the search.
        wanted = int(min_time / max(per_call, 1e-9) * 1.2) + 1
        inner = min(_MAX_INNER, max(2 * inner, wanted))


def rotation(names: Sequence[str], round_index: int) -> list[str]:
    """``names`` rotated left by ``round_index``: who goes first changes every round."""
    if not names:
        return []
    k = round_index % len(names)
    return [*names[k:], *names[:k]]


def measure(fns: dict[str, Callable[[], object]], *, repeats: int, min_time: float, max_time: float,
            sync: dict[str, Callable[[], object]] | None = None, min_rounds: int = 3,
            on_round: Callable[[int, int], object] | None = None, settle: float = 0.0) -> dict[str, Measurement]:
    """Interleaved, calibrated timing of several variants of one operation.

    Args:
        fns: variant name -> the call to time (no arguments).
        repeats: rounds wanted; each round gives each variant one sample.
        min_time: seconds one sample should last at least.
        max_time: soft budget of the whole measurement; rounds past
            ``min_rounds`` are skipped once it is spent.
        sync: per-variant callable run at the end of every sample.
        min_rounds: rounds always run, whatever the budget says.
        on_round: called as ``on_round(done, repeats)`` after each round (progress).
        settle: seconds of untimed calls of a variant before each of its samples
            and its calibration, so the previous variant's thread pools are idle
            (see above).

    Returns:
        variant name -> its :class:`Measurement`.
    """
    sync = sync or {}
    names = list(fns)
    min_rounds = max(1, min(min_rounds, repeats))
    gc_was_enabled = gc.isenabled()
    # A collection in the middle of a sample would charge whichever library
    # happened to be running; allocating variants make garbage on purpose.
    gc.disable()
    try:
        settled = 0.0  # seconds spent settling, not charged to max_time

        def warm(fn: Callable[[], object], variant_sync: Callable[[], object] | None) -> None:
            nonlocal settled
            if settle <= 0:
                return
            t0 = time.perf_counter()
            while True:
                fn()
                if variant_sync is not None:
                    variant_sync()
                if time.perf_counter() - t0 >= settle:
                    break
            settled += time.perf_counter() - t0

        start = time.perf_counter()
        out = {}
        for name in names:
            warm(fns[name], sync.get(name))
            out[name] = Measurement(calibrate(fns[name], min_time, sync.get(name)), [])
        for r in range(repeats):
            if r >= min_rounds and time.perf_counter() - start - settled > max_time:
                break
            for name in rotation(names, r):
                m = out[name]
                warm(fns[name], sync.get(name))
                m.samples.append(sample(fns[name], m.inner, sync.get(name)))
                # The fastest sample so far is the best estimate of the true cost:
                # if a stall during calibration made samples too short, lengthen them.
                best = min(m.samples)
                if best * m.inner < min_time / 2:
                    m.inner = min(_MAX_INNER, int(min_time * 1.2 / max(best, 1e-9)) + 1)
            if on_round is not None:
                on_round(r + 1, repeats)
        return out
    finally:
        if gc_was_enabled:
            gc.enable()
