"""The acme backend for Hologram: the entry point of a sample plugin.

Installing the wheel registers the backend through the ``hologram.backends``
entry point (see ``pyproject.toml``); nothing needs importing. Discovery calls
:func:`backend` and loads the library it names through the plugin ABI.
"""

# --8<-- [start:entry]
from __future__ import annotations

import sys
from pathlib import Path

__version__ = "0.1.0"

_LIBRARY = "libhologram_acme.dylib" if sys.platform == "darwin" else "libhologram_acme.so"


def library_path() -> Path:
    """The compiled backend, shipped inside this package by the wheel."""
    return Path(__file__).resolve().parent / _LIBRARY


def backend() -> dict[str, object]:
    """The ``hologram.backends`` entry: what discovery needs to load the backend.

    ``name`` must equal the vtable's name; ``priority`` orders auto-selection
    (the CPU backend is 0, WebGPU 50, CUDA 100, Metal 200). ``unavailable``, when
    given, is a reason shown to the user instead of loading the library.
    """
    spec: dict[str, object] = {
        "name": "acme",
        "priority": -10,            # below the CPU (0): chosen only by name
        "library": str(library_path()),
        "symbol": "hg_backend_entry",   # the default; name another if yours differs
        "version": __version__,
    }
    if not library_path().is_file():
        spec["unavailable"] = f"{_LIBRARY} is missing from hologram-acme: reinstall it from a wheel"
    return spec
# --8<-- [end:entry]
