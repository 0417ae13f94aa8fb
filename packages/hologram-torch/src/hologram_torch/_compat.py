"""Which features need which torch: the one table the package, its docs and its tests read."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["MIN_TORCH", "Feature", "features", "parse_version", "torch_version"]

#: The oldest torch hologram-torch installs with (pyproject's ``torch>=`` bound).
MIN_TORCH = "2.4"

# torch.library.custom_op / register_fake / register_autograd / opcheck arrived in 2.4; the
# pure-Python PrivateUse1 route (torch.utils.backend_registration's python-backend setup) in 2.10.
_MIN_BY_FEATURE = {
    "functional": (2, 4),
    "nn": (2, 4),
    "autograd": (2, 4),
    "torch.compile": (2, 4),
    "opcheck": (2, 4),
    "device": (2, 10),
}


def parse_version(text: str) -> tuple[int, int]:
    """``"2.10.0+cpu"`` -> ``(2, 10)``."""
    major, minor = text.split("+")[0].split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def torch_version() -> tuple[int, int]:
    """The running torch's (major, minor)."""
    return parse_version(torch.__version__)


@dataclass(frozen=True)
class Feature:
    name: str
    min_torch: tuple[int, int]
    available: bool
    reason: str | None  # why not, when not available


def features() -> dict[str, Feature]:
    """Every feature of hologram-torch, the torch it needs, and whether this torch has it."""
    have = torch_version()
    table = {}
    for name, need in _MIN_BY_FEATURE.items():
        ok = have >= need
        reason = None if ok else (f"{name} needs torch >= {need[0]}.{need[1]}, this is torch {torch.__version__}; "
                                  f"upgrade with: pip install 'torch>={need[0]}.{need[1]}'")
        table[name] = Feature(name, need, ok, reason)
    return table
