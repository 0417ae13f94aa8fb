"""The hatch build hook of a backend plugin whose wheel carries one compiled shared library.

hologram-metal (WebGPU, C) and hologram-cuda (nvcc) both ship a library with a
C ABI and no Python API, built by a ``build_<name>.py`` beside their
``pyproject.toml``; each package's ``hatch_build.py`` asks
:func:`library_build_hook` for its hook class. A wheel without the library would
register a backend that can never load, so any compiler error fails the build.
The wheel is tagged ``py3-none-<platform>``. Editable installs build the library
next to the package's sources. An sdist carries the ABI headers, the backend's
sources and this file, so it builds on its own.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def find_native_dir(root: Path) -> Path:
    """The ``native/`` tree: inside an unpacked sdist, or two levels up in the repository."""
    return root / "native" if (root / "native").is_dir() else root.parent.parent / "native"


def library_build_hook(*, package: str, builder: str, sources: str, suffixes: tuple[str, ...],
                       shared: tuple[str, ...] = ()) -> type[BuildHookInterface]:
    """The hook class of a plugin wheel.

    package: the import package the library goes into (``hologram_cuda``);
    builder: the module beside ``pyproject.toml`` whose ``build(out_dir, version)``
    compiles the library and returns its path (``build_cuda``);
    sources: the backend's folder under ``native/`` (``src/cuda``);
    suffixes: the files of that folder (and of ``native/include``) an sdist carries;
    shared: single files elsewhere under ``native/`` that the backend includes
    (``src/cpu/cpu_vmath.h``), carried by the sdist too.
    """

    class LibraryBuildHook(BuildHookInterface):  # type: ignore[type-arg]
        PLUGIN_NAME = "custom"

        def initialize(self, version: str, build_data: dict[str, Any]) -> None:
            if self.target_name == "sdist":
                self._include_native_sources(build_data)
                return
            if self.target_name != "wheel":
                return
            sys.path.insert(0, self.root)
            try:
                build = __import__(builder).build
            finally:
                sys.path.pop(0)
            if version == "editable":
                build(Path(self.root) / "src" / package, self.metadata.version)
            else:
                self._staging = Path(tempfile.mkdtemp(prefix=f"{package}-wheel-"))
                built = build(self._staging, self.metadata.version)
                build_data["force_include"][str(built)] = f"{package}/{built.name}"
            build_data["pure_python"] = False
            build_data["tag"] = f"py3-none-{sysconfig.get_platform().replace('-', '_').replace('.', '_')}"

        def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
            staging = getattr(self, "_staging", None)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)

        def _include_native_sources(self, build_data: dict[str, Any]) -> None:
            """Puts what the wheel build needs into the sdist: the ABI headers, the backend, this hook."""
            native = find_native_dir(Path(self.root))
            for sub in ("include", sources):
                for path in sorted((native / sub).rglob("*")):
                    if path.is_file() and path.suffix in suffixes:
                        build_data["force_include"][str(path)] = f"native/{path.relative_to(native).as_posix()}"
            for name in shared:
                build_data["force_include"][str(native / name)] = f"native/{name}"
            here = Path(__file__).resolve()
            build_data["force_include"][str(here)] = f"native/packaging/{here.name}"

    return LibraryBuildHook
