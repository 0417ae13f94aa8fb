"""``hologram bench``: the API, the command, JSON, plot, a missing PyTorch, the correctness guard.

Every run here is tiny (one or two 10K cases, two or three rounds of
sub-millisecond samples): the tests check what the harness produces, never
how fast anything is -- timing is the benchmark's job, not the tests'.
"""

from __future__ import annotations

import io
import json
import math
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import hologram as hg
from hologram import bench, cli
from hologram.bench import cases, composed, report, timing
from hologram.bench.progress import Progress

TINY = ["--repeats", "3", "--min-time", "0.0002", "--max-time", "0.2", "--no-progress"]
TINY_API = {"repeats": 3, "min_time": 2e-4, "max_time": 0.2}
HEAD = ["Operation", "PyTorch (CPU)", "NumPy", "Hologram (CPU)", "Speedup vs PyTorch"]


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _impls() -> set[str]:
    return {"hologram", "numpy"} | ({"torch"} if _has_torch() else set())


def _rows(text: str, first_cell: str) -> list[list[str]]:
    """Cells of the markdown table rows of ``text`` whose first cell is ``first_cell``."""
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines()
            if line.startswith("|") and line.strip("|").split("|")[0].strip() == first_cell]


@pytest.fixture
def no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import torch`` fails, as on an install without the ``bench`` extra."""
    monkeypatch.setitem(sys.modules, "torch", None)


# -- the API ---------------------------------------------------------------

def test_api_runs_a_case_in_every_library() -> None:
    results = bench.run(filter="add 10K", **TINY_API)
    assert [r.name for r in results] == ["add 10K"]
    r = results[0]
    assert isinstance(r, bench.Result) and r.error is None
    assert "readme" in r.tags and r.readme == "Vector Add (10K)" and r.readme_speedup == "3.8x"
    assert set(r.timings) == {f"{impl}/{mode}" for impl in _impls() for mode in ("out", "alloc")}
    for key, t in r.timings.items():
        assert isinstance(t, bench.Timing) and key == f"{t.impl}/{t.mode}"
        assert len(t.samples_s) == 3 and all(s > 0 for s in t.samples_s)
        assert t.median_s == statistics.median(t.samples_s)
        assert t.inner >= 1 and t.max_abs_error < 1e-5 and t.call
    assert "hg.vector_add_f32" in r.timings["hologram/out"].call
    assert "hg.ops.add" in r.timings["hologram/alloc"].call
    assert r.timings["numpy/out"].call == "np.add(a, b, out=c)"
    if _has_torch():
        assert r.speedup("torch", "out") == r.median("torch", "out") / r.median("hologram", "out")
        # The README's rows: Hologram into a preallocated buffer vs PyTorch allocating.
        assert r.speedups()["readme"]["torch"] == r.median("torch", "alloc") / r.median("hologram", "out")


def test_api_unknown_filter_raises() -> None:
    with pytest.raises(bench.BenchError, match="no benchmark case matches"):
        bench.run(filter="no such op", **TINY_API)


def test_case_lists() -> None:
    full = {c.name for c in cases.select()}
    for op in ("add", "relu", "gelu", "softmax"):
        assert {f"{op} 10K", f"{op} 1M", f"{op} 16M"} <= full
    assert {"sigmoid 1M", "tanh 1M"} <= full
    assert {f"gemm {m}x{m}" for m in (64, 256, 1024, 2048)} <= full
    quick = {c.name for c in cases.select(quick=True)}
    assert quick < full and not any("16M" in n or "2048" in n for n in quick)
    readme = cases.select(filter="readme")
    assert [c.readme for c in readme] == ["Vector Add (10K)", "ReLU (10K)", "GEMM (256\u00d7256)"]
    assert {c.name for c in readme} <= quick, "--quick keeps the seed README's rows"
    assert [c.name for c in cases.select(filter="GELU 1m")] == ["gelu 1M"]


# -- the command -----------------------------------------------------------

def test_cli_prints_the_table_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bench.json"
    assert cli.main(["bench", "--filter", "relu 10K", *TINY, "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"hologram bench: hologram {hg.__version__}")
    assert re.search(r"^machine: .+, \d+ cores", out, re.MULTILINE)
    assert re.search(r"^threads: ", out, re.MULTILINE)
    heads = _rows(out, "Operation")
    assert heads and all(h[:5] == HEAD for h in heads)
    assert heads[0][5] == "README claimed"
    (readme,) = _rows(out, "ReLU (10K)")
    assert readme[-1] == "4.2x"
    rows = _rows(out, "relu 10K")
    assert len(rows) == 2, "one row with preallocated outputs, one with allocating calls"
    for row in rows:
        assert re.fullmatch(r"[\d.]+ (ns|\u00b5s|ms|s)( ~)?", row[3]), row  # Hologram's time, with a unit
        assert row[4] == "\u2014" or re.fullmatch(r"[\d.]+x", row[4])

    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == "hologram-bench/1"
    assert {"cpu", "cores", "hologram", "numpy", "torch", "torch_threads", "env", "backend"} <= set(doc["machine"])
    assert doc["config"]["repeats"] == 3 and doc["config"]["filter"] == "relu 10K"
    (res,) = doc["results"]
    assert res["name"] == "relu 10K" and res["error"] is None and res["shape"] == [10_000]
    assert set(res["timings"]) == {f"{i}/{m}" for i in _impls() for m in ("out", "alloc")}
    for t in res["timings"].values():
        assert len(t["samples_s"]) == 3 and t["median_s"] == statistics.median(t["samples_s"])
        assert {"impl", "mode", "call", "inner", "max_abs_error", "spread", "composed"} <= set(t)
    assert set(res["speedups"]) == {"out", "alloc", "readme"}
    if _has_torch():
        assert res["speedups"]["out"]["torch"] == pytest.approx(
            res["timings"]["torch/out"]["median_s"] / res["timings"]["hologram/out"]["median_s"])
        assert any("clamp_min" in n for n in doc["notes"]), "the torch ReLU out= substitute is noted"


def test_cli_composed_numpy_is_marked(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--filter", "softmax 10K", *TINY]) == 0
    out = capsys.readouterr().out
    row = _rows(out, "softmax 10K")[0]
    assert row[2].split()[2:3] == ["*"], row  # "8.31 µs *"
    assert "NumPy (composed)" in out


def test_cli_without_torch(no_torch: None, capsys: pytest.CaptureFixture[str]) -> None:
    results = bench.run(filter="add 10K", **TINY_API)
    r = results[0]
    assert {t.impl for t in r.timings.values()} == {"hologram", "numpy"}
    assert "PyTorch" in r.skipped["torch"] and r.speedup("torch") is None
    assert r.speedup("numpy") is not None

    assert cli.main(["bench", "--filter", "add 10K", *TINY]) == 0
    out = capsys.readouterr().out
    assert "torch not available" in out
    row = _rows(out, "add 10K")[0]
    assert row[1] == "\u2014" and row[4] == "\u2014"
    assert "torch skipped: PyTorch is not installed" in out


def test_a_wrong_kernel_fails_the_check_and_is_not_timed(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(hg, "vector_add_f32", hg.vector_sub_f32)  # fast, and wrong
    (r,) = bench.run(filter="add 10K", **TINY_API)
    assert r.timings == {} and r.speedup() is None
    assert r.error is not None and "hologram" in r.error and "vector_add_f32" in r.error

    assert cli.main(["bench", "--filter", "add 10K", *TINY]) == 1
    out = capsys.readouterr().out
    assert "CHECK FAILED" in _rows(out, "add 10K")[0]
    assert "CHECK FAILED, add 10K: hologram" in out


def test_cli_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "bench.png"
    assert cli.main(["bench", "--filter", "add 10K", *TINY, "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {png}" in capsys.readouterr().out


def test_cli_plot_without_matplotlib_fails_before_timing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    t0 = time.perf_counter()
    assert cli.main(["bench", "--filter", "gemm", *TINY, "--plot", str(tmp_path / "x.png")]) == 1
    captured = capsys.readouterr()
    assert "pip install matplotlib" in captured.err
    assert captured.out == "" and time.perf_counter() - t0 < 5, "nothing was timed"


def test_cli_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--filter", "no such op", *TINY]) == 2
    assert "no case matches --filter 'no such op'" in capsys.readouterr().err
    assert cli.main(["bench", "--filter", "add 10K", "--backend", "no-such-backend", *TINY]) == 1
    assert "no-such-backend" in capsys.readouterr().err


def test_cli_help_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["bench", "--help"])
    text = capsys.readouterr().out
    for option in ("--quick", "--json", "--plot", "--filter", "--backend", "--no-progress"):
        assert option in text
    assert "--repeats" not in text and "--min-time" not in text, "test knobs stay out of --help"
    assert cli.main(["bench", "--quick", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0] == "add 10K  [quick, readme]" and len(listed) == len(cases.select(quick=True))


def test_subprocess_draws_no_progress_bar_into_a_pipe() -> None:
    proc = subprocess.run([sys.executable, "-m", "hologram.cli", "bench", "--filter", "relu 10K",
                           "--repeats", "2", "--min-time", "0.0002"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # stderr is a pipe: no bar, even without --no-progress
    assert _rows(proc.stdout, "relu 10K")


# -- the parts -------------------------------------------------------------

def test_format_time() -> None:
    assert report.format_time(5e-8) == "50.0 ns"
    assert report.format_time(2.5e-6) == "2.50 \u00b5s"
    assert report.format_time(8.5e-4) == "850 \u00b5s"
    assert report.format_time(1.2e-3) == "1.20 ms"
    assert report.format_time(2.414) == "2.41 s"
    assert report.format_time(None) == "\u2014"


def test_measure_rotates_the_order_every_round() -> None:
    calls: list[str] = []
    fns = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    out = timing.measure(fns, repeats=3, min_time=0.0, max_time=10.0)
    # Calibration takes two calls of each (a sample, then its confirmation); then the rounds.
    assert calls[6:] == list("abc" "bca" "cab")
    assert all(m.inner == 1 and len(m.samples) == 3 for m in out.values())


def test_calibration_and_budget() -> None:
    assert timing.calibrate(lambda: None, 1e-3) > 100, "a no-op needs many calls to last a millisecond"
    out = timing.measure({"sleep": lambda: time.sleep(0.005)}, repeats=1000, min_time=0.0, max_time=0.05)
    assert 3 <= len(out["sleep"].samples) < 30, "the budget stops the rounds, after at least three"


def test_settle_runs_the_variant_before_every_sample_untimed_and_outside_the_budget() -> None:
    calls = {"a": 0, "b": 0}

    def make(name: str) -> Callable[[], None]:
        def fn() -> None:
            calls[name] += 1
            time.sleep(0.001)
        return fn

    t0 = time.perf_counter()
    out = timing.measure({n: make(n) for n in calls}, repeats=3, min_time=0.0, max_time=10.0, settle=0.02)
    # settling before each calibration (2) and each sample (2 x 3), 20 ms each
    assert time.perf_counter() - t0 >= 8 * 0.02
    assert all(c >= 4 * 10 for c in calls.values()), "settling calls the variant itself"
    assert max(m.median for m in out.values()) < 0.01, "settling is not inside the timed sample"
    # 0.2 s of settling in 4 rounds against a 0.15 s budget: charged, it would stop round 4
    out = timing.measure({n: make(n) for n in calls}, repeats=4, min_time=0.0, max_time=0.15, settle=0.02)
    assert all(len(m.samples) == 4 for m in out.values()), "settling is not charged to max_time"


def test_progress_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    bar = Progress(4, enabled=True, stream=tty)
    bar.update(1.5, "gelu 1M")
    assert tty.getvalue().startswith("\r[") and "1/4  gelu 1M" in tty.getvalue()
    bar.close()
    assert tty.getvalue().endswith("\r") and tty.getvalue().rstrip("\r").split("\r")[-1].strip() == ""
    for stream, enabled in ((io.StringIO(), True), (Terminal(), False)):
        quiet = Progress(4, enabled=enabled, stream=stream)
        quiet.update(2, "x")
        quiet.close()
        assert stream.getvalue() == ""


def test_composed_gelu_is_the_erf_form() -> None:
    """The NumPy GELU is the exact erf form to float32 precision, not the tanh approximation."""
    x = np.linspace(-8, 8, 4001)
    erf = np.array([math.erf(v / math.sqrt(2)) for v in x])
    exact = 0.5 * x * (1 + erf)
    assert np.max(np.abs(composed.gelu(x) - exact)) < 1e-7
    assert np.max(np.abs(composed.erfc(x) - (1 - np.array([math.erf(v) for v in x])))) < 1e-7
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(composed.gelu(x32), exact, rtol=1e-5, atol=2e-6)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert np.max(np.abs(tanh_form - exact)) > 1e-4, "the check could tell the tanh form apart"


def test_machine_info_and_the_busy_warning() -> None:
    info = bench.machine_info(load=0.0)
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert info["cores"] >= 1 and info["hologram"] == hg.__version__ and info["numpy"] == np.__version__
    assert "warning" not in report.header(info)
    busy = report.header({**info, "load_average": 4.0 * info["cores"]})
    assert "warning: the machine was busy" in busy


def test_float32_ulps_is_numpys_float32_spacing() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate([
        rng.standard_normal(1000).astype(np.float32) * np.float32(1e3),
        np.array([1.0, -2.0, 0.5, 3.4e38, 1.2e-38, 1e-40, 1e-45], np.float32),  # powers of 2, extremes, subnormals
    ])
    want = np.abs(np.spacing(np.abs(values))).astype(np.float64)
    np.testing.assert_array_equal(bench.runner.float32_ulps(values.astype(np.float64)), want)
    assert bench.runner.float32_ulps(np.array([0.0]))[0] == 2.0**-149


def test_accuracy_is_measured_in_ulp_and_reported() -> None:
    results = bench.run(filter="gelu 10K", **TINY_API)
    r = results[0]
    assert r.error is None
    ours = r.timings["hologram/out"]
    # The kernel's bound (cpu_vmath.h) against a libm-erfc reference; 0 would mean nothing was measured.
    assert 0 < ours.max_ulp_error <= 3.5
    assert ours.max_ulp_error * 2.0**-24 * 4 > ours.max_abs_error or ours.max_abs_error < 1e-6
    lines = report.accuracy_notes(results)
    assert len(lines) == 1 and lines[0].startswith("gelu accuracy on the 10K inputs")
    assert f"Hologram {ours.max_ulp_error:.2f}" in lines[0]
    if _has_torch():
        # PyTorch's float32 erf form cancels for negative x: far more than a few ULP on normal inputs.
        assert r.timings["torch/out"].max_ulp_error > 100
        assert "PyTorch" in lines[0]
