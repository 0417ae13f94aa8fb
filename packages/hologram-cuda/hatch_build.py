"""Hatch build hook: compiles the CUDA backend library (nvcc) into the wheel.

A wheel without the library would register a backend that can never load, so
any compiler error fails the build (a machine without nvcc cannot build this
package: it is opt-in in the workspace). The library has a C ABI and no Python
API, so the wheel is tagged ``py3-none-<platform>``. Editable installs build
it next to the sources.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CUDABuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "sdist":
            self._include_native_sources(build_data)
            return
        if self.target_name != "wheel":
            return
        sys.path.insert(0, self.root)
        try:
            from build_cuda import build
        finally:
            sys.path.pop(0)
        package_version = self.metadata.version
        if version == "editable":
            build(Path(self.root) / "src" / "hologram_cuda", package_version)
        else:
            self._staging = Path(tempfile.mkdtemp(prefix="hologram-cuda-wheel-"))
            built = build(self._staging, package_version)
            build_data["force_include"][str(built)] = f"hologram_cuda/{built.name}"
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{sysconfig.get_platform().replace('-', '_').replace('.', '_')}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        staging = getattr(self, "_staging", None)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    def _include_native_sources(self, build_data: dict[str, Any]) -> None:
        """Puts what the wheel build needs into the sdist: the plugin ABI headers and the backend."""
        root = Path(self.root)
        native = root / "native" if (root / "native").is_dir() else root.parent.parent / "native"
        for sub in ("include", "src/cuda"):
            for path in sorted((native / sub).rglob("*")):
                if path.is_file() and path.suffix in (".c", ".h", ".cu", ".cuh", ".md"):
                    build_data["force_include"][str(path)] = f"native/{path.relative_to(native).as_posix()}"
