"""hologram-torch: PyTorch integration for Hologram.

* :mod:`hologram_torch.functional` — ``torch.nn.functional``-style ops run by
  Hologram's kernels on CPU tensors in place (and on ``'hologram'`` tensors);
* :mod:`hologram_torch.nn` — drop-in modules (``ReLU``, ``Linear``, ...) and
  :func:`hologram_torch.nn.convert` to swap them into an existing model;
* every op is a real torch op (``torch.ops.hologram.*``) with autograd,
  fake-tensor and ``torch.compile`` support;
* importing this package registers the ``'hologram'`` device (torch >= 2.10):
  ``torch.randn(1024, device='hologram')``.

    >>> import torch, hologram_torch as hg
    >>> with hg.Executor() as exec:
    ...     c = hg.functional.add(exec, torch.ones(3), torch.ones(3))
    >>> c.tolist()
    [2.0, 2.0, 2.0]
"""

from __future__ import annotations

from hologram import Executor
from hologram_torch import device, functional, nn
from hologram_torch._bridge import default_executor

__version__ = "0.1.0"

device.register()

__all__ = ["Executor", "__version__", "default_executor", "device", "functional", "nn"]
