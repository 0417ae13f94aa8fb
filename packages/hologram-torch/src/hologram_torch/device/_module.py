"""``torch.hologram``: the backend module torch looks up for the 'hologram' device.

torch calls into it by name (``torch.manual_seed`` calls ``manual_seed_all``,
``torch.Tensor.hologram()`` and ``is_hologram`` come from
``generate_methods_for_privateuse1_backend``). There is one device,
``hologram:0``; its random numbers come from torch's CPU generator.
"""

from __future__ import annotations

import sys
from typing import Any

import torch
import torch._utils

from hologram_torch.device import _storage

__all__ = ["HologramModule"]


def _index(device: Any) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    return torch.device(device).index or 0


class _DeviceContext:
    """``with torch.hologram.device(0):`` (torch.utils.checkpoint uses it around RNG state calls).

    There is one device, so entering it changes nothing. torch's storage
    ``.to('hologram')`` enters it too and then allocates with PrivateUse1's
    C++ allocator, which a backend written in Python does not have (the
    process would crash); that caller gets a clear error here instead.
    """

    def __init__(self, device: Any) -> None:
        if _index(device) != 0:
            raise RuntimeError(f"hologram: there is one 'hologram' device, index 0; got {device!r}")

    def __enter__(self) -> None:
        if sys._getframe(1).f_code is torch._utils._to.__code__:
            raise RuntimeError(
                "hologram: storage.to('hologram') is not supported (torch would allocate it with a C++ "
                "allocator a Python backend cannot provide); use storage.hologram() or move the tensor "
                "with tensor.to('hologram')"
            )

    def __exit__(self, *exc: object) -> None:
        return None


class HologramModule:
    """The functions of ``torch.hologram``."""

    @staticmethod
    def is_available() -> bool:
        """True: the device runs on host memory and is there whenever hologram_torch is imported."""
        return True

    @staticmethod
    def is_initialized() -> bool:
        return True

    @staticmethod
    def _is_in_bad_fork() -> bool:
        # No device context to lose across fork(): the memory is ordinary host memory.
        return False

    @staticmethod
    def device_count() -> int:
        """1: the device is ``hologram:0``."""
        return 1

    @staticmethod
    def current_device() -> int:
        return 0

    device = _DeviceContext

    @staticmethod
    def set_device(device: int | str | torch.device) -> None:
        _DeviceContext(device)  # validates the index

    @staticmethod
    def synchronize(device: int | str | torch.device | None = None) -> None:
        """Waits for every queued hologram op of the device's executor."""
        _storage.executor().synchronize()

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Seeds the generator 'hologram' random numbers come from: torch's CPU generator."""
        torch.default_generator.manual_seed(int(seed))

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        """Called by ``torch.manual_seed``, which has already seeded the CPU generator the device uses."""

    @staticmethod
    def seed() -> None:
        torch.default_generator.seed()

    @staticmethod
    def seed_all() -> None:
        torch.default_generator.seed()

    @staticmethod
    def initial_seed() -> int:
        return int(torch.default_generator.initial_seed())

    @staticmethod
    def get_rng_state(device: int | str | torch.device = "hologram") -> torch.Tensor:
        return torch.default_generator.get_state()

    @staticmethod
    def set_rng_state(new_state: torch.Tensor, device: int | str | torch.device = "hologram") -> None:
        torch.default_generator.set_state(new_state)

    @staticmethod
    def get_amp_supported_dtype() -> list[torch.dtype]:
        return [torch.float32, torch.float64]

    @staticmethod
    def executor() -> object:
        """The hologram.Executor whose buffers hold 'hologram' tensors."""
        return _storage.executor()
