"""Hatch build hook: compiles the CUDA backend library (build_cuda.py, nvcc) into the wheel.

A machine without nvcc cannot build this package (it is opt-in in the workspace).
The hook itself is shared with hologram-metal: native/packaging/library_hook.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str((_ROOT / "native" if (_ROOT / "native").is_dir() else _ROOT.parent.parent / "native") / "packaging"))
try:
    from library_hook import library_build_hook
finally:
    sys.path.pop(0)


def get_build_hook() -> Any:
    return library_build_hook(package="hologram_cuda", builder="build_cuda", sources="src/cuda",
                              suffixes=(".c", ".h", ".cu", ".cuh", ".md"),
                              shared=("src/cpu/cpu_vmath.h", "src/cpu/cpu_vmath.inc"))
