"""``hologram_torch.nn``: drop-in replacements for ``torch.nn`` layers, run by Hologram.

Each class subclasses its ``torch.nn`` twin, so it takes the same
constructor arguments, has the same parameters and ``state_dict`` keys,
passes ``isinstance(m, torch.nn.Linear)`` checks, and works inside
``torch.nn.Sequential``; only ``forward`` changes, to call
:mod:`hologram_torch.functional`. Every layer also takes an optional
keyword ``executor=`` (a :class:`hologram.Executor`; default: the shared one).

:func:`convert` swaps the supported layers of an existing model in place.
"""

from __future__ import annotations

from typing import Any

import torch

import hologram
from hologram_torch import functional as F

__all__ = [
    "GELU",
    "CrossEntropyLoss",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "convert",
]


class _Hologram:
    """Mixin holding the executor a layer runs on (None: the default executor)."""

    executor: hologram.Executor | None = None

    def _set_executor(self, executor: hologram.Executor | None) -> None:
        if executor is not None and not isinstance(executor, hologram.Executor):
            raise TypeError(f"executor must be a hologram.Executor or None, got {type(executor).__name__}")
        self.executor = executor


class ReLU(_Hologram, torch.nn.ReLU):
    """``torch.nn.ReLU`` run by Hologram (``inplace=True`` writes the result back into the input)."""

    def __init__(self, inplace: bool = False, *, executor: hologram.Executor | None = None) -> None:
        super().__init__(inplace)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        out = F.relu(input, executor=self.executor)
        return input.copy_(out) if self.inplace else out


class GELU(_Hologram, torch.nn.GELU):
    """``torch.nn.GELU`` run by Hologram (both ``approximate`` modes)."""

    def __init__(self, approximate: str = "none", *, executor: hologram.Executor | None = None) -> None:
        super().__init__(approximate)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.gelu(input, self.approximate, executor=self.executor)  # type: ignore[arg-type]


class Sigmoid(_Hologram, torch.nn.Sigmoid):
    """``torch.nn.Sigmoid`` run by Hologram."""

    def __init__(self, *, executor: hologram.Executor | None = None) -> None:
        super().__init__()
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.sigmoid(input, executor=self.executor)


class Tanh(_Hologram, torch.nn.Tanh):
    """``torch.nn.Tanh`` run by Hologram."""

    def __init__(self, *, executor: hologram.Executor | None = None) -> None:
        super().__init__()
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.tanh(input, executor=self.executor)


def _legacy_softmax_dim(ndim: int) -> int:
    # torch.nn.Softmax(dim=None) keeps PyTorch's old implicit choice; do the same.
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(_Hologram, torch.nn.Softmax):
    """``torch.nn.Softmax`` run by Hologram."""

    def __init__(self, dim: int | None = None, *, executor: hologram.Executor | None = None) -> None:
        super().__init__(dim)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        dim = _legacy_softmax_dim(input.dim()) if self.dim is None else self.dim
        return F.softmax(input, dim, executor=self.executor)


class LogSoftmax(_Hologram, torch.nn.LogSoftmax):
    """``torch.nn.LogSoftmax`` run by Hologram."""

    def __init__(self, dim: int | None = None, *, executor: hologram.Executor | None = None) -> None:
        super().__init__(dim)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        dim = _legacy_softmax_dim(input.dim()) if self.dim is None else self.dim
        return F.log_softmax(input, dim, executor=self.executor)


class Linear(_Hologram, torch.nn.Linear):
    """``torch.nn.Linear`` run by Hologram: same ``weight``/``bias`` parameters and initialisation."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, executor: hologram.Executor | None = None) -> None:
        super().__init__(in_features, out_features, bias, device, dtype)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.linear(input, self.weight, self.bias, executor=self.executor)


class MSELoss(_Hologram, torch.nn.MSELoss):
    """``torch.nn.MSELoss`` run by Hologram."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean", *,
                 executor: hologram.Executor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(input, target, self.reduction, executor=self.executor)


class CrossEntropyLoss(_Hologram, torch.nn.CrossEntropyLoss):
    """``torch.nn.CrossEntropyLoss`` run by Hologram (no per-class ``weight``; see the functional form)."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0, *,
                 executor: hologram.Executor | None = None) -> None:
        if weight is not None:
            raise hologram.UnsupportedOperationError(
                "hologram_torch.nn.CrossEntropyLoss: per-class weight is not supported; use torch.nn.CrossEntropyLoss"
            )
        super().__init__(weight, size_average, ignore_index, reduce, reduction, label_smoothing)
        self._set_executor(executor)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(input, target, None, self.ignore_index, self.reduction, self.label_smoothing,
                               executor=self.executor)


_REPLACEMENTS: dict[type[torch.nn.Module], type[torch.nn.Module]] = {
    torch.nn.ReLU: ReLU, torch.nn.GELU: GELU, torch.nn.Sigmoid: Sigmoid, torch.nn.Tanh: Tanh,
    torch.nn.Softmax: Softmax, torch.nn.LogSoftmax: LogSoftmax, torch.nn.Linear: Linear,
    torch.nn.MSELoss: MSELoss, torch.nn.CrossEntropyLoss: CrossEntropyLoss,
}


def _convertible(module: torch.nn.Module) -> bool:
    if type(module) not in _REPLACEMENTS:
        return False  # subclasses of torch layers may override forward: leave them alone
    return not (isinstance(module, torch.nn.CrossEntropyLoss) and module.weight is not None)


def convert(module: torch.nn.Module, *, executor: hologram.Executor | None = None) -> torch.nn.Module:
    """Swaps every supported ``torch.nn`` layer in ``module`` (itself included) for its Hologram twin.

    The swap is in place: each layer keeps its identity, parameters,
    buffers and hooks (an optimizer built on the model keeps working); only
    its class changes. Layers of other types, subclasses of torch's layers,
    and a ``CrossEntropyLoss`` with per-class ``weight`` are left as they
    are. Returns ``module``.
    """
    if executor is not None and not isinstance(executor, hologram.Executor):
        raise TypeError(f"executor must be a hologram.Executor or None, got {type(executor).__name__}")
    for layer in module.modules():
        if _convertible(layer):
            layer.__class__ = _REPLACEMENTS[type(layer)]
            layer.executor = executor  # type: ignore[assignment]
    return module
