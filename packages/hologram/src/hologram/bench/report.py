"""Presenting results: the header, the tables, JSON and the plot."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hologram.bench.results import (
    TARGET_COPY_PCT,
    TARGET_GEMM_N,
    TARGET_MIN_N,
    TARGET_TORCH_RATIO,
    BenchError,
    DeviceResult,
    Result,
    Timing,
)

__all__ = ["device_header", "device_notes", "device_tables", "format_time", "header", "json_document", "render",
           "render_device", "require_matplotlib", "tables", "write_json", "write_plot"]

SCHEMA = "hologram-bench/1"
_LABELS = {"torch": "PyTorch (CPU)", "numpy": "NumPy"}
_ASCII = str.maketrans({"\u00b5": "u", "\u00d7": "x", "\u2014": "-", "\u2264": "<=", "\u2265": ">="})


def format_time(seconds: float | None) -> str:
    """``2.93 µs``, ``850 µs``, ``1.20 ms``, ``2.41 s``: three significant digits, a unit that fits."""
    if seconds is None or not math.isfinite(seconds):
        return "\u2014"
    # The largest unit that keeps the value >= 1 (ns below a microsecond).
    scale, unit = next(((f, u) for f, u in ((1.0, "s"), (1e-3, "ms"), (1e-6, "\u00b5s")) if seconds >= f),
                       (1e-9, "ns"))
    value = seconds / scale
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f} {unit}"


# Above this interquartile range / median, a time is flagged as noisy.
NOISY = 0.25


def _time_cell(t: Timing) -> str:
    return format_time(t.median_s) + (" *" if t.composed else "") + (" ~" if t.spread > NOISY else "")


def _speedup(x: float | None) -> str:
    return "\u2014" if x is None else f"{x:.2f}x"


def header(machine: dict[str, Any], config: Any = None) -> str:
    """The lines naming the machine, the versions and the thread settings."""
    core = f"core {machine['hologram_core']}, " if machine.get("hologram_core") else ""
    kernels = f", {machine['cpu_kernels']} kernels" if machine.get("cpu_kernels") else ""
    usable = machine.get("usable_cores")
    cores = f"{machine['cores']} cores" + (f" ({usable} usable)" if usable and usable != machine["cores"] else "")
    torch = (f"torch {machine['torch']} (torch.get_num_threads() = {machine['torch_threads']})"
             if machine.get("torch") else "torch not available")
    env = machine.get("env") or {}
    threads = ", ".join(f"{k}={v}" for k, v in env.items()) if env else "HOLOGRAM_NUM_THREADS not set"
    if machine.get("hologram_threads"):
        threads = f"hologram uses {machine['hologram_threads']} threads; {threads}"
    load = machine.get("load_average")
    if load is not None:
        cores += f", load average {load:.2f} before the run"
    lines = [
        f"hologram bench: hologram {machine['hologram']} ({core}{machine['backend']} backend{kernels})",
        f"machine: {machine['cpu']}, {cores}, {machine['os']} {machine['arch']}, Python {machine['python']}",
        f"versions: {torch}, numpy {machine['numpy']}",
        f"threads: {threads}",
    ]
    if load is not None and load >= 0.5 * (usable or machine["cores"] or 1):
        lines.append(f"warning: the machine was busy (load average {load:.2f}): other work competes for "
                     "the cores and the timings will be noisy")
    if config is not None:
        lines.append(
            f"timing: each output checked against a float64 reference, then warm-up/calibration and "
            f"the median of up to {config.repeats} interleaved rounds (rotating order); samples \u2265 "
            f"{format_time(config.min_time)}, each after {config.settle * 1e3:g} ms of untimed calls (outlasting "
            f"other libraries' spinning threads), ~{config.max_time:g} s per case"
        )
    return "\n".join(lines)


def _markdown(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _cells(r: Result, mode: str, hologram_mode: str) -> list[str]:
    if r.error:
        return ["\u2014", "\u2014", "CHECK FAILED", "\u2014"]
    cells = []
    for impl in ("torch", "numpy"):
        t = r.timing(impl, mode)
        cells.append("\u2014" if t is None else _time_cell(t))
    ours = r.timing("hologram", hologram_mode)
    cells.append("\u2014" if ours is None else _time_cell(ours))
    cells.append(_speedup(r.speedup("torch", mode, hologram_mode)))
    return cells


def tables(results: Sequence[Result], backend: str = "cpu") -> str:
    """The seed README's rows, then every case with preallocated outputs, then allocating calls."""
    hologram = f"Hologram ({backend.upper()})"
    head = ["Operation", _LABELS["torch"], _LABELS["numpy"], hologram, "Speedup vs PyTorch"]
    parts = []
    readme = [r for r in results if r.readme]
    if readme:
        parts += [
            "Seed README rows: Hologram's low-level call into a preallocated buffer vs the allocating "
            "PyTorch/NumPy call, as the README compared them",
            _markdown([[r.readme or r.name, *_cells(r, "alloc", "out"), r.readme_speedup or ""] for r in readme],
                      [*head, "README claimed"]),
            "",
        ]
    for mode, title in (("out", "Preallocated outputs: hg.*_f32(..., c, n), torch.*(..., out=c), "
                                "np.*(..., out=c)"),
                        ("alloc", "Allocating calls: hg.ops.*(ex, ...), torch.*(...), np.*(...)")):
        parts += [title, _markdown([[r.name, *_cells(r, mode, mode)] for r in results], head), ""]
    return "\n".join(parts).rstrip()


def notes(results: Sequence[Result]) -> list[str]:
    """Every note, skip reason and failed check, once each, in order of appearance."""
    out: list[str] = []
    if any(t.composed for r in results for t in r.timings.values()):
        out.append("* NumPy (composed): NumPy has no such op; the timed expression is several NumPy calls")
    if any(t.spread > NOISY for r in results for t in r.timings.values()):
        out.append(f"~ noisy: the samples' interquartile range exceeds {NOISY:.0%} of their median "
                   "(something else competed for the cores); rerun on an idle machine")
    for r in results:
        out += [f"{impl} skipped: {why}" for impl, why in r.skipped.items()]
        out += r.notes
    out += accuracy_notes(results)
    out += [f"CHECK FAILED, {r.name}: {r.error}" for r in results if r.error]
    return list(dict.fromkeys(out))


# Ops whose float32 results are not correctly rounded anywhere, so that the libraries differ in accuracy.
_APPROXIMATED_OPS = ("gelu", "sigmoid", "tanh", "softmax")
_IMPL_NAMES = {"hologram": "Hologram", "torch": "PyTorch", "numpy": "NumPy"}


def accuracy_notes(results: Sequence[Result]) -> list[str]:
    """Per approximated op, on its largest case: each library's max error against float64, in float32 ULP."""
    out = []
    for op in _APPROXIMATED_OPS:
        cases = [r for r in results if r.op == op and r.timings]
        if not cases:
            continue
        r = max(cases, key=lambda c: math.prod(c.shape))
        errs = [f"{_IMPL_NAMES[impl]} {_ulps(t.max_ulp_error)}" for impl in ("hologram", "torch", "numpy")
                if (t := r.timing(impl, "out")) is not None]
        out.append(f"{op} accuracy on the {r.size} inputs, max error against float64 in float32 ULP: "
                   + ", ".join(errs))
    return out


def _ulps(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:,.0f}"


def render(results: Sequence[Result], machine: dict[str, Any], config: Any = None, unicode: bool = True) -> str:
    """The full text report: header, tables, notes."""
    text = header(machine, config) + "\n\n" + tables(results, machine.get("backend", "cpu"))
    extra = notes(results)
    if extra:
        text += "\n\nNotes:\n" + "\n".join(f"- {n}" for n in extra)
    return text if unicode else text.translate(_ASCII)


def json_document(results: Sequence[Result] | Sequence[DeviceResult], machine: dict[str, Any],
                  config: Any = None) -> dict[str, Any]:
    """Everything measured, JSON-ready: machine, config, every case with every sample.

    Device-suite results add ``"suite": "device"``; ``config`` may be a dataclass or a dict.
    """
    device = [r for r in results if isinstance(r, DeviceResult)]
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "config": None if config is None else config if isinstance(config, dict) else asdict(config),
        "results": [r.to_dict() for r in results],
        "notes": device_notes(device) if device else notes([r for r in results if isinstance(r, Result)]),
    }
    if device:
        doc = {"schema": SCHEMA, "suite": "device", **{k: v for k, v in doc.items() if k != "schema"}}
    return doc


def write_json(path: str | Path, results: Sequence[Result] | Sequence[DeviceResult], machine: dict[str, Any],
               config: Any = None) -> None:
    """Writes :func:`json_document` to ``path``."""
    doc = json_document(results, machine, config)
    Path(path).write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def require_matplotlib() -> type:
    """matplotlib's ``Figure``, imported only when a plot is asked for; a clear error when missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise BenchError(f"--plot needs matplotlib, which is not importable ({exc}): pip install matplotlib") from exc
    return Figure


def write_plot(path: str | Path, results: Sequence[Result], machine: dict[str, Any]) -> None:
    """Median time per call of every library, per case, in both modes, on a log axis."""
    import numpy as np

    figure = require_matplotlib()
    shown = [r for r in results if r.timings]
    # Figure + savefig needs no pyplot: no GUI backend, no global state.
    fig = figure(figsize=(12, 1.6 + 0.45 * max(len(shown), 1)), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(shown))
    height = 0.27
    colours = {"hologram": "#2a7ab0", "torch": "#ee4c2c", "numpy": "#4d77cf"}
    labels = {"hologram": f"Hologram ({machine.get('backend', 'cpu')})", "torch": "PyTorch", "numpy": "NumPy"}
    for ax, mode, title in zip(axes, ("out", "alloc"), ("preallocated outputs", "allocating calls"), strict=True):
        for j, impl in enumerate(("hologram", "torch", "numpy")):
            values = [r.median(impl, mode) for r in shown]
            if all(v is None for v in values):
                continue
            ax.barh(y + (j - 1) * height, [np.nan if v is None else v * 1e6 for v in values], height=height,
                    label=labels[impl], color=colours[impl], alpha=0.55 if impl == "numpy" else 1.0)
        ax.set_xscale("log")
        ax.set_xlabel("median time per call (\u00b5s, log scale; shorter is faster)")
        ax.set_title(title)
        ax.grid(axis="x", which="both", alpha=0.3)
    axes[0].set_yticks(y, [r.name for r in shown])
    axes[0].invert_yaxis()
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never over a bar
    fig.suptitle(f"hologram bench {machine.get('hologram', '')}: {machine.get('cpu', '')}, "
                 f"{machine.get('usable_cores') or machine.get('cores')} cores")
    fig.savefig(path, dpi=110)


# -- the device suite ----------------------------------------------------------------

_NONE = "-"  # a figure that does not exist (PyTorch without CUDA, a skipped size)


def _figure(x: float | None) -> str:
    """Three significant digits (``1.23``, ``45.6``, ``789``), ``-`` when missing."""
    if x is None or not math.isfinite(x):
        return _NONE
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _ratio(x: float | None) -> str:
    return _NONE if x is None else f"{x:.2f}x"


def _pct(x: float | None) -> str:
    return _NONE if x is None else f"{x:.0f}%"


def device_header(machine: dict[str, Any], config: Any = None) -> str:
    """The lines naming the device, PyTorch's GPU, the host and the timing method."""
    core = f"core {machine['hologram_core']}, " if machine.get("hologram_core") else ""
    torch_gpu = (f"{machine['torch_device']} (torch.cuda, CUDA {machine.get('torch_cuda_version')})"
                 if machine.get("torch_device") else "torch.cuda unavailable")
    torch = f"torch {machine['torch']}" if machine.get("torch") else "torch not available"
    load = machine.get("load_average")
    loaded = f", load average {load:.2f} before the run" if load is not None else ""
    lines = [
        f"hologram bench, device suite: hologram {machine['hologram']} ({core}{machine['backend']} backend)",
        f"device: {machine.get('device') or 'not described by the backend'}; PyTorch GPU: {torch_gpu}",
        f"host: {machine['cpu']}, {machine['cores']} cores{loaded}, {machine['os']} {machine['arch']}, "
        f"Python {machine['python']}",
        f"versions: {torch}, numpy {machine['numpy']}",
    ]
    if config is not None:
        lines.append(
            "timing: each output checked against a float64 NumPy reference, then warm-up and the median of up to "
            f"{config.repeats} interleaved rounds of K calls + one synchronize; samples \u2265 "
            f"{format_time(config.min_time)}, ~{config.max_time:g} s per case")
    return "\n".join(lines)


def _hologram_cell(r: DeviceResult, mode: str) -> str:
    if r.error:
        return "CHECK FAILED"
    t = r.timing("hologram", mode)
    return "skipped" if t is None else _time_cell(t)


def _torch_cell(r: DeviceResult, mode: str) -> str:
    t = r.timing("torch", mode)
    return _NONE if t is None else _time_cell(t)


def _throughput_rows(results: Sequence[DeviceResult], copy_column: bool) -> list[list[str]]:
    rows = []
    for r in results:
        row = [r.op, r.size, _hologram_cell(r, "out"), _figure(r.rate("hologram")), _torch_cell(r, "out"),
               _figure(r.rate("torch")), _ratio(r.ratio())]
        rows.append([*row, _pct(r.pct_of_copy())] if copy_column else row)
    return rows


def _call_rows(results: Sequence[DeviceResult]) -> list[list[str]]:
    labels = {"amortized": "N calls, then one synchronize", "sync-each": "synchronize after every call"}
    return [[f"{r.name}: {label}", _hologram_cell(r, mode), _torch_cell(r, mode), _ratio(r.ratio(mode))]
            for r in results for mode, label in labels.items()]


def device_tables(results: Sequence[DeviceResult]) -> str:
    """Memory-bound ops in GB/s (with % of copy bandwidth), GEMM in TFLOP/s, the small call in time."""
    torch = "PyTorch (CUDA)"
    parts = []
    vector = [r for r in results if r.unit == "GB/s"]
    if vector:
        parts += ["Memory-bound ops, float32, preallocated outputs: GB/s of useful traffic "
                  "(inputs read + output written); % of copy = Hologram GB/s / Hologram copy GB/s at that size",
                  _markdown(_throughput_rows(vector, True),
                            ["Op", "Size", "Hologram", "Hologram GB/s", torch, "PyTorch GB/s", "Ratio vs PyTorch",
                             "% of copy"]), ""]
    gemm = [r for r in results if r.unit == "TFLOP/s"]
    if gemm:
        parts += ["GEMM, float32 inputs and outputs, square m = n = k: TFLOP/s = 2 m^3 / time "
                  "(gemm: float32 arithmetic, no TF32; gemm tf32: TF32 tensor cores on both sides)",
                  _markdown(_throughput_rows(gemm, False),
                            ["Op", "Size", "Hologram", "Hologram TFLOP/s", torch, "PyTorch TFLOP/s",
                             "Ratio vs PyTorch"]), ""]
    calls = [r for r in results if r.unit == "s"]
    if calls:
        parts += ["End-to-end call into a preallocated output: time per call",
                  _markdown(_call_rows(calls), ["Call", "Hologram", torch, "Speedup vs PyTorch"]), ""]
    return "\n".join(parts).rstrip()


def device_notes(results: Sequence[DeviceResult]) -> list[str]:
    """Targets, skip reasons, notes and failed checks, once each."""
    out = [f"targets: elementwise rows at \u2265 {TARGET_MIN_N >> 20}M elements reach \u2265 "
           f"{TARGET_COPY_PCT:.0f}% of the copy bandwidth and \u2265 {TARGET_TORCH_RATIO:g}x PyTorch; GEMM "
           f"{TARGET_GEMM_N} \u2265 {TARGET_TORCH_RATIO:g}x PyTorch at the same precision; the 10K call no "
           f"slower than PyTorch's"]
    judged = [r for r in results if r.meets_target() is not None]
    if judged:
        missed = [r.name for r in judged if not r.meets_target()]
        out.append("targets missed by: " + ", ".join(missed) if missed else "targets met by every judged row")
    if any(t.spread > NOISY for r in results for t in r.timings.values()):
        out.append(f"~ noisy: the samples' interquartile range exceeds {NOISY:.0%} of their median")
    for r in results:
        # A reason of the whole run (no CUDA, no PyTorch) once; a size that did not fit, per case.
        out += [f"{impl} skipped: {why}" if impl == "torch" and not why.startswith("does not fit")
                else f"{r.name}: {impl} skipped: {why}" for impl, why in r.skipped.items()]
        out += r.notes
    out += [f"CHECK FAILED, {r.name}: {r.error}" for r in results if r.error]
    return list(dict.fromkeys(out))


def render_device(results: Sequence[DeviceResult], machine: dict[str, Any], config: Any = None,
                  unicode: bool = True) -> str:
    """The device suite's text report: header, tables, notes."""
    text = device_header(machine, config) + "\n\n" + device_tables(results)
    text += "\n\nNotes:\n" + "\n".join(f"- {n}" for n in device_notes(results))
    return text if unicode else text.translate(_ASCII)
