"""Hatch build hook: compiles ``csrc/acme_backend.c`` into the wheel.

The library is plain C with no Python API, so the wheel is tagged
``py3-none-<platform>`` (one wheel per platform, any Python 3). The plugin ABI's
headers (``hologram/hologram.h`` and ``hologram/backend.h``) come from
``$HOLOGRAM_INCLUDE_DIR``, else a vendored ``include/`` beside this file, else
the Hologram repository this sample sits in. ``$CC`` picks the compiler.
"""

from __future__ import annotations

# --8<-- [start:hook]
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

HERE = Path(__file__).resolve().parent
LIBRARY = "libhologram_acme.dylib" if sys.platform == "darwin" else "libhologram_acme.so"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-shared", "-fvisibility=hidden"]


def include_dir() -> Path:
    candidates = [Path(os.environ["HOLOGRAM_INCLUDE_DIR"])] if os.environ.get("HOLOGRAM_INCLUDE_DIR") else []
    candidates += [HERE / "include", HERE.parent.parent / "native" / "include"]
    for candidate in candidates:
        if (candidate / "hologram" / "backend.h").is_file():
            return candidate
    raise RuntimeError("hologram/backend.h not found: set HOLOGRAM_INCLUDE_DIR or vendor include/hologram/")


class AcmeBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        self._staging = Path(tempfile.mkdtemp(prefix="hologram-acme-"))
        output = self._staging / LIBRARY
        cc = shlex.split(os.environ.get("CC", "cc"))
        cmd = [*cc, *CFLAGS, f"-I{include_dir()}", str(HERE / "csrc" / "acme_backend.c"), "-o", str(output)]
        subprocess.run(cmd, check=True)  # a compiler error fails the build: no wheel without its library
        build_data["force_include"][str(output)] = f"hologram_acme/{LIBRARY}"
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{sysconfig.get_platform().replace('-', '_').replace('.', '_')}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if getattr(self, "_staging", None) is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
# --8<-- [end:hook]
