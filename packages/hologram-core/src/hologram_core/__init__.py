"""Hologram's compiled core: the cffi binding and the built-in CPU backend.

``ffi`` and ``lib`` expose the C API of ``hologram.h`` one to one. User code
imports :mod:`hologram` instead; only that package calls into this one.
"""

from __future__ import annotations

from hologram_core._native import ffi, lib

# The METH_FASTCALL op entry points (binding/fast_calls.c), importable as
# hologram_core._fast_calls from here on.
if lib.hg_py_install_fast_calls() != 0:  # pragma: no cover - only without memory
    raise ImportError("hologram_core: could not create the module hologram_core._fast_calls")

__version__ = "0.1.0"

__all__ = ["__version__", "cpu_backend", "ffi", "lib", "library_path"]


def library_path() -> str:
    """Path of the compiled extension, which also holds the CPU backend."""
    from hologram_core import _native

    return str(_native.__file__)


def cpu_backend() -> dict[str, object]:
    """The ``hologram.backends`` entry of the built-in CPU backend.

    It is loaded through the same plugin ABI as any third-party backend:
    the loader opens ``library`` and calls ``symbol``.
    """
    return {
        "name": "cpu",
        "priority": 0,
        "library": library_path(),
        "symbol": "hg_cpu_backend_entry",
        "version": __version__,
    }
