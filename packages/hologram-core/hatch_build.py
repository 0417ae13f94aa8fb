"""Hatch build hook: compiles the C core into ``hologram_core._native``.

A wheel of hologram-core without its extension would import and then fail at
the first call, so any compiler error fails the build loudly. Wheels are
tagged ``cp310-abi3-<platform>``: one wheel for every CPython >= 3.10.
Editable installs build the extension next to the sources, where the
editable path finds it.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _platform_tag() -> str:
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


class NativeBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "sdist":
            self._include_native_sources(build_data)
            return
        if self.target_name != "wheel":
            return
        sys.path.insert(0, self.root)
        try:
            from build_native import make_ffibuilder
        finally:
            sys.path.pop(0)
        ffibuilder = make_ffibuilder()
        work = Path(tempfile.mkdtemp(prefix="hologram-core-build-"))
        try:
            built = self._compile(ffibuilder, work)
            if version == "editable":
                target = Path(self.root) / "src" / "hologram_core" / built.name
                for stale in target.parent.glob("_native*.so"):
                    stale.unlink()
                shutil.copy2(built, target)
            else:
                self._staging = Path(tempfile.mkdtemp(prefix="hologram-core-wheel-"))
                keep = self._staging / built.name
                shutil.copy2(built, keep)
                build_data["force_include"][str(keep)] = f"hologram_core/{built.name}"
        finally:
            shutil.rmtree(work, ignore_errors=True)
        build_data["pure_python"] = False
        build_data["tag"] = f"cp310-abi3-{_platform_tag()}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        staging = getattr(self, "_staging", None)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    def _include_native_sources(self, build_data: dict[str, Any]) -> None:
        """Puts the C sources the wheel build needs into the sdist (never build outputs)."""
        root = Path(self.root)
        native = root / "native" if (root / "native").is_dir() else root.parent.parent / "native"
        for sub in ("include", "src", "tests"):
            for path in sorted((native / sub).rglob("*")):
                if path.is_file() and path.suffix in (".c", ".h", ".inc"):
                    build_data["force_include"][str(path)] = f"native/{path.relative_to(native).as_posix()}"
        build_data["force_include"][str(native / "Makefile")] = "native/Makefile"

    @staticmethod
    def _compile(ffibuilder: Any, work: Path) -> Path:
        from setuptools import Distribution

        ext = ffibuilder.distutils_extension(tmpdir=str(work / "src"))
        ext.py_limited_api = True
        dist = Distribution({"name": "hologram-core", "ext_modules": [ext]})
        cmd = dist.get_command_obj("build_ext")
        cmd.build_lib = str(work / "lib")
        cmd.build_temp = str(work / "tmp")
        cmd.ensure_finalized()
        try:
            cmd.run()
        except Exception as exc:  # compiler errors surface as distutils exceptions
            raise RuntimeError(
                f"compiling the Hologram C core failed ({exc}); a C11 compiler (gcc or clang) "
                "is required to build hologram-core from source"
            ) from exc
        built = Path(cmd.get_ext_fullpath(ext.name))
        if not built.is_file():
            raise RuntimeError(f"the C core did not produce {built}")
        return built
