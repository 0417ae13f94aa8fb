"""Hologram's GPU backend over WebGPU: Metal on macOS, Vulkan or Direct3D 12 elsewhere.

Installing this distribution (``pip install 'hologram[metal]'``) registers the
backend with :mod:`hologram` through the ``hologram.backends`` entry point;
nothing needs importing. The backend is a C library implementing Hologram's
plugin ABI over ``webgpu.h``; the WebGPU implementation, wgpu-native, comes
from the ``wgpu`` wheel and is loaded when the backend starts.

Names and auto-selection:

* on macOS the backend is ``'metal'``, first in auto-selection (Metal > CUDA > CPU);
* elsewhere it is ``'webgpu'``, below CUDA and above the CPU;
* a software adapter (lavapipe, llvmpipe, SwiftShader, WARP) is never chosen
  automatically, only when asked for by name: ``hg.Executor(backend='webgpu')``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

__version__ = "0.1.0"

__all__ = ["BACKEND_NAME", "PRIORITY", "__version__", "backend", "library_path", "wgpu_native_path"]

#: The backend's name on this platform.
BACKEND_NAME = "metal" if sys.platform == "darwin" else "webgpu"
#: Auto-selection priority: hologram-core's CPU backend is 0, hologram-cuda's CUDA backend 100.
PRIORITY = 200 if sys.platform == "darwin" else 50

_LIBRARY = "libhologram_webgpu.dylib" if sys.platform == "darwin" else "libhologram_webgpu.so"


def library_path() -> str:
    """Path of the compiled backend library (it implements ``hologram/backend.h``)."""
    return str(Path(__file__).resolve().parent / _LIBRARY)


def wgpu_native_path() -> str | None:
    """Path of the ``libwgpu_native`` the ``wgpu`` wheel ships, or None when it is not installed.

    Found without importing ``wgpu`` (whose import pulls in its GUI helpers).
    """
    spec = importlib.util.find_spec("wgpu")
    for location in (spec.submodule_search_locations or []) if spec else []:
        resources = Path(location) / "resources"
        for pattern in ("libwgpu_native*.so", "libwgpu_native*.dylib", "wgpu_native*.dll"):
            found = sorted(resources.glob(pattern))
            if found:
                return str(found[0])
    return None


def backend() -> dict[str, object]:
    """The ``hologram.backends`` entry: name, priority, library and version.

    Points the C library at the wheel's wgpu-native through
    ``HOLOGRAM_WGPU_LIBRARY`` (a value already set by the user wins).
    """
    if not os.environ.get("HOLOGRAM_WGPU_LIBRARY"):
        native = wgpu_native_path()
        if native:
            os.environ["HOLOGRAM_WGPU_LIBRARY"] = native
    return {
        "name": BACKEND_NAME,
        "priority": PRIORITY,
        "library": library_path(),
        "version": __version__,
    }
