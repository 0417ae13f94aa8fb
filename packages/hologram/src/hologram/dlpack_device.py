"""Zero-copy DLPack on a backend's own device (CUDA): capsules made and taken apart by hand.

NumPy builds and consumes capsules of host memory for us; device memory it
cannot describe, so for a backend that exports device addresses (CUDA) this
module writes the DLPack structs itself (the stable, unversioned
``DLManagedTensor`` every consumer accepts) and reads the ones producers hand
in. Streams follow the DLPack protocol: an export first fences the consumer's
stream behind the ops queued on the executor (no host wait); an import passes
the executor's stream to the producer, which does the same for us.
"""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING, Any

from hologram._core import check, ffi, lib
from hologram.dtypes import DType, from_code

if TYPE_CHECKING:
    from hologram.buffer import Buffer
    from hologram.executor import Executor

__all__ = ["export_capsule", "import_capsule"]

_KDL_FLOAT = 2
_CAPSULE = b"dltensor"
_USED = b"used_dltensor"


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(_DLManagedTensor))
_DLManagedTensor._fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter)]

_api = ctypes.pythonapi
# The capsule destructor is C in hologram-core's extension module: it runs while a refusing
# consumer's exception is pending, which it must keep (and calls the deleter if nobody took the
# tensor).
_CAPSULE_DESTRUCTOR = int(ffi.cast("uintptr_t", ffi.addressof(lib, "hg_py_dlpack_capsule_destructor")))
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]

# Exports alive (their structs and the pinned buffer), keyed by the DLManagedTensor's address:
# the deleter a consumer calls (or the capsule's destructor, if nobody consumed it) drops them.
_live: dict[int, tuple[_DLManagedTensor, Any, Buffer]] = {}
_live_lock = threading.Lock()


def _release(address: int) -> None:
    with _live_lock:
        entry = _live.pop(address, None)
    if entry is not None:
        lib.hg_buffer_unpin(entry[2]._h)


@_Deleter
def _deleter(managed: Any) -> None:
    _release(ctypes.addressof(managed.contents))


def _consumer_stream(stream: Any) -> int:
    """The consumer's ``stream`` as DLPack defines it for CUDA; None means the legacy default (1)."""
    if stream is None:
        return 1
    if isinstance(stream, bool) or not isinstance(stream, int) or stream < -1 or stream == 0:
        raise ValueError(f"__dlpack__: stream must be None, -1, 1, 2 or a stream handle, got {stream!r}")
    return stream


def export_capsule(buf: Buffer, stream: Any) -> Any:
    """A ``dltensor`` capsule of ``buf``'s device memory in place; the buffer stays pinned until
    the consumer releases it. Raises ``NotHostAddressableError`` when the backend has no
    device addresses to export."""
    consumer = _consumer_stream(stream)
    ptr = ffi.new("void **")
    check(lib.hg_buffer_pin_device(buf._h, ptr), "__dlpack__")
    try:
        if consumer != -1:  # -1: the consumer asked for no synchronization
            check(lib.hg_executor_export_fence(buf._exec._h, consumer), "__dlpack__")
        shape = (ctypes.c_int64 * max(len(buf.shape), 1))(*buf.shape)
        managed = _DLManagedTensor()
        t = managed.dl_tensor
        t.data = int(ffi.cast("uintptr_t", ptr[0]))
        t.device = _DLDevice(*buf.__dlpack_device__())
        t.ndim = len(buf.shape)
        t.dtype = _DLDataType(_KDL_FLOAT, buf.dtype.itemsize * 8, 1)
        t.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
        t.strides = None  # compact row-major
        t.byte_offset = 0
        managed.deleter = _deleter
        address = ctypes.addressof(managed)
        with _live_lock:
            _live[address] = (managed, shape, buf)
    except BaseException:
        lib.hg_buffer_unpin(buf._h)
        raise
    return _api.PyCapsule_New(address, _CAPSULE, _CAPSULE_DESTRUCTOR)


class _ProducerMemory:
    """Keeps a producer's tensor alive while a buffer uses its memory; calls its deleter after.

    Ops on the buffer may still be queued when the buffer goes away, so the executor is
    synchronized first: the producer may reuse the memory at once (torch's caching allocator does).
    """

    def __init__(self, managed: Any, executor: Executor) -> None:
        self._managed = managed
        self._executor = executor

    def __del__(self) -> None:
        managed, self._managed = self._managed, None
        if managed is None:
            return
        if not self._executor.closed:
            lib.hg_executor_synchronize(self._executor._h)
        if managed.contents.deleter:
            managed.contents.deleter(managed)


def import_capsule(obj: Any, executor: Executor) -> Buffer:
    """A buffer on ``executor`` sharing the memory of ``obj``, a DLPack producer on the
    executor's own device (a torch CUDA tensor, a CuPy array)."""
    from hologram.buffer import Buffer
    from hologram.errors import DTypeError, ShapeError

    handle = ffi.new("uint64_t *")
    check(lib.hg_executor_stream_handle(executor._h, handle), "from_dlpack")
    capsule = obj.__dlpack__(stream=int(handle[0]) or None)
    if not _api.PyCapsule_IsValid(capsule, _CAPSULE):
        raise ValueError(f"from_dlpack: {type(obj).__name__}.__dlpack__ gave no unconsumed 'dltensor' capsule")
    managed = ctypes.cast(_api.PyCapsule_GetPointer(capsule, _CAPSULE), ctypes.POINTER(_DLManagedTensor))
    t = managed.contents.dl_tensor
    shape = tuple(t.shape[i] for i in range(t.ndim))
    if t.dtype.code != _KDL_FLOAT or t.dtype.lanes != 1 or t.dtype.bits not in (32, 64):
        raise DTypeError(f"from_dlpack: hologram takes float32 or float64 data, got DLPack type code "
                         f"{t.dtype.code} with {t.dtype.bits} bits: convert it first (.float())")
    if t.strides:
        expected = 1
        for i in reversed(range(t.ndim)):
            if shape[i] != 1 and t.strides[i] != expected:
                raise ShapeError(f"from_dlpack: the {type(obj).__name__} is not contiguous (strides "
                                 f"{[t.strides[k] for k in range(t.ndim)]}): pass .contiguous() instead")
            expected *= shape[i]
    dtype: DType = from_code(lib.HG_DTYPE_FLOAT64 if t.dtype.bits == 64 else lib.HG_DTYPE_FLOAT32)
    count = 1
    for n in shape:
        count *= n
    out = ffi.new("hg_buffer **")
    address = (t.data or 0) + t.byte_offset
    owner = _ProducerMemory(managed, executor)
    _api.PyCapsule_SetName(capsule, _USED)  # ours now: the deleter runs when the buffer lets go
    check(lib.hg_buffer_wrap_device(executor._h, ffi.cast("void *", address), count, dtype.code, 0, out),
          "from_dlpack")
    return Buffer._adopt(executor, out[0], shape, dtype, keep=owner)
