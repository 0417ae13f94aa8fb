"""The backends the op suite runs on, and what each one promises.

The op tests (``test_ops_*.py``) are written once and run on every backend
available in this process: the CPU backend always, and each GPU backend that
is installed and can run here (``webgpu`` even on a software adapter, which is
never auto-selected but can be asked for by name; ``cuda`` where there is an
NVIDIA GPU). ``HOLOGRAM_TEST_BACKENDS=cpu,webgpu`` narrows the list; a name it
asks for that cannot run fails the session instead of being skipped quietly.

Backends differ in what the hardware guarantees, and each difference is stated
here, once, as data the tests read -- never as a skip inside a test:

* ``dtypes``: WGSL has no float64, so the WebGPU backend runs the float32 half
  of the suite (its float64 refusal is tested with the backend's own tests);
* ``host_addressable``: device memory cannot be wrapped around a NumPy array;
* ``signed_zeros``: GPU compilers may return -0 for +0 where a result is
  computed (the sign-only ops stay exact);
* gradual underflow is required of every backend: WGSL allows a GPU to flush
  denormals, but lavapipe does not, and no backend that does has been tested
  (an Apple GPU is the candidate; see docs/webgpu-backend.md);
* ``wide_sums``: the CPU and CUDA backends accumulate float32 sums in double;
  WebGPU accumulates float-float pairs in float32, so an intermediate beyond
  the float32 range overflows there (and is tested only where it cannot);
* ``tolerances``: per-op overrides of the suite's float32 tolerances, each
  with the reason (the shader README's measured table for WebGPU).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from op_reference import EPS32, SUB32, Tol

import hologram as hg

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


@dataclass(frozen=True)
class BackendUnderTest:
    """One backend of the op suite and the guarantees its tests hold it to."""

    name: str
    dtypes: tuple[np.dtype, ...] = (F32, F64)
    host_addressable: bool = True
    signed_zeros: bool = True
    wide_sums: bool = True
    #: op name -> {dtype: tolerance} replacing the suite's default for that op (``op_reference.Tol``).
    tolerances: Mapping[str, Mapping[np.dtype, Tol]] = field(default_factory=dict)

    def supports(self, dtype: Any) -> bool:
        return np.dtype(dtype) in self.dtypes

    def __str__(self) -> str:
        return self.name


def _traits() -> dict[str, BackendUnderTest]:
    """The known backends' guarantees (an unknown backend is held to the CPU's)."""
    def ulps(n: float, why: str) -> Tol:
        # n float32 ulps of the result: one ulp is at most 2^-23 |result| (at the bottom of a
        # binade), so rtol n * 2^-23 admits n ulp everywhere; the absolute floor is two subnormal steps.
        return Tol("close", rtol=n * EPS32, atol=2 * SUB32, note=why)

    webgpu_tols = {
        name: {F32: ulps(n, f"WebGPU {name}: {n} ulp (measured on lavapipe, shaders/README.md)")}
        for name, n in (("sqrt", 1), ("exp", 2), ("log", 2), ("tanh", 2), ("sigmoid", 3),
                        ("gelu", 4), ("gelu_tanh", 4))
    }
    # Vulkan allows division 2.5 ulp (lavapipe rounds it correctly).
    webgpu_tols["div"] = {F32: ulps(3, "Vulkan's division bound: 2.5 ulp")}
    webgpu = {"dtypes": (F32,), "host_addressable": False, "wide_sums": False, "signed_zeros": False,
              "tolerances": webgpu_tols}
    return {
        "cpu": BackendUnderTest("cpu"),
        "webgpu": BackendUnderTest("webgpu", **webgpu),  # type: ignore[arg-type]
        "metal": BackendUnderTest("metal", **webgpu),  # type: ignore[arg-type]  # not yet run on a Mac
        # CUDA's accurate math library (no fast-math, no -ftz): IEEE-rounded + - * / sqrt with
        # denormals kept and signed zeros, libm-grade transcendentals: held to the CPU's bounds.
        "cuda": BackendUnderTest("cuda", host_addressable=False),
    }


def _runnable() -> list[hg.BackendInfo]:
    return [b for b in hg.backends() if b.available]


def backends_under_test() -> list[BackendUnderTest]:
    """The backends to run the op suite on, CPU first (see the module docstring)."""
    traits = _traits()
    runnable = {b.name: b for b in _runnable()}
    wanted = os.environ.get("HOLOGRAM_TEST_BACKENDS", "").strip()
    if wanted:
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        missing = [n for n in names if n not in runnable]
        if missing:
            found = {b.name: b.status for b in hg.backends()}
            raise RuntimeError(f"HOLOGRAM_TEST_BACKENDS asks for {missing}, which cannot run here: "
                               + "; ".join(f"{n}: {found.get(n, 'not installed')}" for n in missing))
    else:
        names = ["cpu", *sorted(n for n in runnable if n != "cpu")]
    return [traits.get(n, BackendUnderTest(n)) for n in names]


#: Ops that only move or flip sign bits: exact on every backend, the sign of zero included.
SIGN_EXACT = frozenset({"neg", "abs", "copy", "fill"})


def tolerance(table: Mapping[str, Mapping[np.dtype, Any]], backend: BackendUnderTest, name: str,
              dtype: Any) -> Any:
    """The tolerance ``backend`` is held to for ``name`` in ``dtype``: its override, else the suite's
    ``table`` entry, without the sign-of-zero check where the backend does not promise it."""
    dtype = np.dtype(dtype)
    tol = backend.tolerances.get(name, {}).get(dtype) or table[name][dtype]
    if not backend.signed_zeros and getattr(tol, "signed_zeros", False) and name not in SIGN_EXACT:
        tol = dataclasses.replace(tol, signed_zeros=False)
    return tol

