"""The ``'hologram'`` PyTorch device.

After :func:`register` (``import hologram_torch`` calls it), tensors can live
on ``device='hologram'``::

    x = torch.randn(64, 32, device="hologram")
    model = torch.nn.Linear(32, 8).to("hologram")
    loss = model(x).square().mean()
    loss.backward()

The device is PyTorch's PrivateUse1 backend, renamed and driven from
Python (torch >= 2.10). A 'hologram' tensor's storage *is* a hologram buffer
in host memory (:mod:`~hologram_torch.device._storage`): ``.to('hologram')``
and ``.cpu()`` are one copy each, ``data_ptr()`` is the buffer's memory,
views share it.

**Native kernels.** The aten ops in :data:`NATIVE_OPS` have kernels of their
own: the arithmetic runs as hologram ops on the tensors' buffers (the
executor is :func:`executor`); creation, copies, views and random numbers
work on the memory directly (random numbers come from torch's CPU
generator, so ``torch.manual_seed`` makes them reproducible and they equal
those of the same call on the CPU). Native compute covers float32 and
float64 tensors of one dtype, with scalar and broadcast operands (a
broadcast operand is expanded into a contiguous buffer first); a kernel
passes other arguments (mixed dtypes, softmax over another dimension than
the last, ...) to the CPU fallback. Compute ops are registered in their
functional, in-place and ``out=`` forms (``add.Tensor``, ``add_.Tensor``,
``add.out``); structured aten ops reach the ``out=`` form from the other two,
so that is also the name a fallback warning shows.

* creation and memory: ``empty.memory_format``, ``empty_strided``,
  ``fill_`` (``.Scalar``, ``.Tensor``), ``zero_``, ``normal_``, ``uniform_``,
  ``bernoulli_.float``, ``_local_scalar_dense`` (``item()``), ``resize_``,
  ``set_`` (four overloads);
* copies: ``_copy_from``, ``_copy_from_and_resize`` (CPU <-> device and on
  the device, any strides and dtypes);
* views (torch's own CPU kernels, on the same storage): ``view``,
  ``as_strided``, ``_reshape_alias``, ``unfold``, ``view_as_real``,
  ``view_as_complex``; every other view op is a composite of these;
* arithmetic: ``add`` and ``sub`` (with ``alpha``), ``mul``, ``div``
  (``.Tensor`` and ``.Scalar``), ``maximum``, ``minimum``, ``addcmul``,
  ``addcdiv``, ``lerp.Scalar``, ``pow.Tensor_Scalar`` (exponents 0, 0.5, 1,
  2, -1), ``clamp``, ``clamp_min``, ``clamp_max``;
* unary: ``abs``, ``neg``, ``exp``, ``log``, ``sqrt``, ``rsqrt``,
  ``reciprocal``, ``sign``, ``sgn``, ``relu``, ``sigmoid``, ``tanh``,
  ``gelu`` (both forms);
* activation backward: ``threshold_backward`` (ReLU), ``sigmoid_backward``,
  ``tanh_backward``, ``gelu_backward``;
* softmax over the last dim: ``_softmax``, ``_log_softmax``,
  ``_softmax_backward_data``, ``_log_softmax_backward_data``;
* reductions: ``sum.dim_IntList`` and ``mean.dim`` over any dims (with
  ``keepdim``; ``sum()``/``mean()`` reach them), ``max`` and ``min`` of all
  elements;
* loss: ``mse_loss``, ``mse_loss_backward``;
* matrix products: ``mm``, ``addmm``, ``bmm``, and ``mv``/``addmv`` (``w @ v``,
  a 1-D input to ``Linear``: the vector is a one-column matrix); a transposed
  contiguous operand is read in place with gemm's transpose flag.

That set covers the forward and backward passes of ``Linear``,
ReLU/GELU/sigmoid/tanh/abs, softmax and log-softmax and the MSE loss, and the
steps of ``torch.optim.SGD`` (with momentum) and ``torch.optim.Adam``. On
this device torch picks the optimizers' foreach path by default; its
``_foreach_*`` ops are generic loops over the per-tensor ops above
(``add_``, ``mul_``, ``lerp_``, ``addcmul_``, ``sqrt``, ``div_``,
``addcdiv_``), so both that path and ``foreach=False`` step natively.

**Everything else** runs on the CPU on the same memory (no copies of the
inputs; each new result is copied into device memory; in-place ops, ``out=``
and views keep aliasing). The first CPU run of each op warns, naming the
op; ``HOLOGRAM_TORCH_STRICT=1`` turns that into an error. The ops torch's
tensor printing runs are display work and do not warn.

**Dtypes.** Tensors of any dtype can live on the device (bool masks and
int64 indices appear in ordinary models). Only float32 and float64 get
native compute; ops on other dtypes run on the CPU with the warning above,
except creation, fills, copies, views and ``item()``, which work for every
dtype.

**Limits.** One device (``hologram:0``). ``torch.Generator(device='hologram')``
is not supported (pass a CPU generator, or none). Mixing 'hologram' tensors
with CPU tensors (other than 0-dim ones, and index tensors) or other
devices in an op raises, as it does for CUDA. A backend written in Python
cannot give PrivateUse1 a C++ allocator, so the few torch paths that
allocate device storage directly rather than through ``aten::empty`` are
covered one by one: ``copy.deepcopy``, ``torch.save``/``torch.load``
(also ``map_location='hologram'``) and ``storage.hologram()`` work;
``storage.to('hologram')`` raises a clear error, and
``torch.UntypedStorage(n, device='hologram')`` is not supported (torch
crashes in it; make storages with ``torch.empty(n, dtype=torch.uint8,
device='hologram').untyped_storage()``).
"""

from __future__ import annotations

import threading

import torch

import hologram
from hologram_torch import _compat
from hologram_torch.device import _copy, _creation, _kernels, _views  # noqa: F401  (they record kernels)
from hologram_torch.device._registry import registered_names

__all__ = ["NATIVE_OPS", "executor", "is_available", "register", "unavailable_reason"]

NATIVE_OPS: tuple[str, ...] = registered_names()
"""``aten::name.overload`` of every op with a 'hologram' kernel, sorted (others use the CPU fallback)."""

_MIN_TORCH = _compat.features()["device"].min_torch
_NAME = "hologram"

_lock = threading.Lock()
_registered = False
_reason: str | None = None


def _why_not() -> str | None:
    """Why the device cannot be registered in this process, or None when it can."""
    if _compat.torch_version() < _MIN_TORCH:
        return (f"the 'hologram' device needs torch >= {_MIN_TORCH[0]}.{_MIN_TORCH[1]} (PrivateUse1 backends "
                f"written in Python); this is torch {torch.__version__}. The rest of hologram_torch works.")
    from torch.utils import backend_registration

    if not hasattr(backend_registration, "_setup_privateuseone_for_python_backend"):
        return (f"torch {torch.__version__} lacks torch.utils.backend_registration."
                "_setup_privateuseone_for_python_backend, which the 'hologram' device needs")
    current = torch._C._get_privateuse1_backend_name()
    if current != "privateuseone":
        return (f"PyTorch's one PrivateUse1 backend was already renamed {current!r} in this process (by another "
                "library), so the 'hologram' device cannot be registered; the rest of hologram_torch works")
    return None


def register() -> bool:
    """Sets up the 'hologram' device; returns :func:`is_available`. Idempotent, never raises.

    When the device cannot be registered (old torch, PrivateUse1 taken by
    another library) it records why (:func:`unavailable_reason`) and leaves
    torch as it was.
    """
    global _registered, _reason
    with _lock:
        if _registered or _reason is not None:
            return _registered
        _reason = _why_not()
        if _reason is not None:
            return False
        from torch.utils.backend_registration import _setup_privateuseone_for_python_backend

        from hologram_torch.device import _fallback, _registry, _serialization
        from hologram_torch.device._module import HologramModule

        try:
            _setup_privateuseone_for_python_backend(_NAME, backend_module=HologramModule())
            _registry.install()
            _registry.install_fallback(_fallback.fallback)
            _serialization.install()
        except Exception as exc:  # an experimental torch API: report, never break the import
            _reason = f"setting up the 'hologram' device failed: {type(exc).__name__}: {exc}"
            return False
        _registered = True
        return True


def is_available() -> bool:
    """True once the 'hologram' device is registered in this process (:func:`register`)."""
    return _registered


def unavailable_reason() -> str | None:
    """Why the 'hologram' device is not available (None when it is, or before :func:`register` ran)."""
    if _registered:
        return None
    return _reason if _reason is not None else _why_not() or "hologram_torch.device.register() has not run yet"


def executor() -> hologram.Executor:
    """The :class:`hologram.Executor` whose buffers hold 'hologram' tensors and run their native ops."""
    from hologram_torch.device import _storage

    return _storage.executor()
