"""Where the WebGPU backend stands in this process (shared by the tests and their fixtures)."""

from __future__ import annotations

import hologram as hg

try:
    import hologram_metal
except ImportError:  # the plugin is opt-in where no wgpu wheel exists
    hologram_metal = None


def webgpu_info() -> hg.BackendInfo | None:
    if hologram_metal is None:
        return None
    return next((b for b in hg.backends() if b.name == hologram_metal.BACKEND_NAME), None)


def skip_reason() -> str | None:
    if hologram_metal is None:
        return "hologram-metal is not installed"
    info = webgpu_info()
    if info is None:
        return "the WebGPU backend was not discovered"
    if not info.available:
        return f"the WebGPU backend is unavailable here: {info.reason}"
    return None
