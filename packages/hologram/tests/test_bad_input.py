"""The bad-input matrix: every misuse raises a precise, catchable error; nothing crashes.

Each case asserts the exact Hologram exception class, the built-in exception
it doubles as (a bad value is a ``ValueError``, a wrong type or dtype a
``TypeError``, exhausted memory a ``MemoryError``, an unusable backend a
``RuntimeError``) and that the message names the problem. Floating-point edge
values are not misuse: they give IEEE results. A subprocess then throws a
pile of bad calls at the library to prove the process survives them.
"""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hologram as hg

# (Hologram class, the built-in it must also be)
BUILTIN_OF: dict[type[Exception], type[Exception]] = {
    hg.InvalidArgumentError: ValueError,
    hg.ShapeError: ValueError,
    hg.ExecutorMismatchError: ValueError,
    hg.ReadOnlyError: ValueError,
    hg.ClosedError: ValueError,
    hg.DTypeError: TypeError,
    hg.OutOfMemoryError: MemoryError,
    hg.UnsupportedOperationError: NotImplementedError,
    hg.NotHostAddressableError: BufferError,
    hg.BackendError: RuntimeError,
    hg.BackendUnavailableError: RuntimeError,
    hg.BackendLoadError: RuntimeError,
    hg.ABIMismatchError: RuntimeError,
    hg.InternalError: RuntimeError,
}


@pytest.mark.parametrize("cls", list(BUILTIN_OF), ids=lambda c: c.__name__)
def test_error_hierarchy(cls: type[Exception]) -> None:
    assert issubclass(cls, hg.HologramError)
    assert issubclass(cls, BUILTIN_OF[cls])


def test_specific_error_subclasses() -> None:
    assert issubclass(hg.ShapeError, hg.InvalidArgumentError)
    assert issubclass(hg.ExecutorMismatchError, hg.InvalidArgumentError)
    assert issubclass(hg.ReadOnlyError, hg.InvalidArgumentError)
    assert issubclass(hg.BackendUnavailableError, hg.BackendError)
    assert issubclass(hg.ABIMismatchError, hg.BackendLoadError)


def raises(cls: type[Exception], builtin: type[Exception], match: str, call: Callable[[], Any]) -> Exception:
    """Runs ``call``; asserts it raises exactly ``cls`` (also a ``builtin``) with ``match`` in the message."""
    with pytest.raises(cls, match=match) as info:
        call()
    assert type(info.value) is cls, f"expected exactly {cls.__name__}, got {type(info.value).__name__}"
    assert isinstance(info.value, builtin)
    if cls is not TypeError:  # plain TypeErrors are Python-level argument checks
        assert isinstance(info.value, hg.HologramError)
    return info.value


@pytest.fixture
def ex2() -> Any:
    with hg.Executor(backend="cpu") as other:
        yield other


@pytest.fixture
def abc(ex: hg.Executor) -> tuple[hg.Buffer, hg.Buffer, hg.Buffer]:
    a = ex.from_numpy(np.arange(4, dtype=np.float32))
    b = ex.from_numpy(np.ones(4, dtype=np.float32))
    return a, b, ex.zeros(4)


# -- closed and freed -----------------------------------------------------------------


def test_buffer_after_executor_closed() -> None:
    with hg.Executor(backend="cpu") as ex:
        a, b, c = ex.zeros(4), ex.zeros(4), ex.zeros(4)
    raises(hg.ClosedError, ValueError, "executor is closed", lambda: hg.vector_add_f32(ex, a, b, c, 4))
    raises(hg.ClosedError, ValueError, "closed", lambda: hg.ops.add(ex, a, b))
    raises(hg.ClosedError, ValueError, "closed", a.to_numpy)
    raises(hg.ClosedError, ValueError, "closed", lambda: ex.allocate(1))


def test_freed_buffer(ex: hg.Executor, abc: Any) -> None:
    a, b, c = abc
    b.free()
    raises(hg.ClosedError, ValueError, "buffer 'b' was freed", lambda: hg.vector_add_f32(ex, a, b, c, 4))
    raises(hg.ClosedError, ValueError, "freed", lambda: hg.ops.exp(ex, b))
    raises(hg.ClosedError, ValueError, "freed", b.to_bytes)


# -- executors, counts, dtypes, types --------------------------------------------------


def test_buffers_of_two_executors(ex: hg.Executor, ex2: hg.Executor, abc: Any) -> None:
    a, _, c = abc
    foreign = ex2.zeros(4)
    raises(hg.ExecutorMismatchError, ValueError, "buffer 'b' belongs to another executor",
           lambda: hg.vector_add_f32(ex, a, foreign, c, 4))
    raises(hg.ExecutorMismatchError, ValueError, "another executor", lambda: hg.ops.add(ex, a, foreign))
    raises(hg.ExecutorMismatchError, ValueError, "another executor", lambda: hg.ops.relu(ex2, a))
    raises(hg.ExecutorMismatchError, ValueError, "another executor", lambda: hg.buffer_fill(ex, foreign, 1.0, 4))
    raises(hg.ExecutorMismatchError, ValueError, "another executor", lambda: hg.buffer_to_bytes(ex, foreign))


def test_n_larger_than_a_buffer(ex: hg.Executor, abc: Any) -> None:
    a, b, _ = abc
    short = ex.zeros(3)
    raises(hg.ShapeError, ValueError, "needs 5 elements of buffer 'a', which holds 4",
           lambda: hg.vector_add_f32(ex, a, b, ex.zeros(8), 5))
    # The message names the low-level parameter ('c'), not the core's operand name ('out').
    raises(hg.ShapeError, ValueError, "needs 4 elements of buffer 'c', which holds 3",
           lambda: hg.vector_add_f32(ex, a, b, short, 4))
    raises(hg.ShapeError, ValueError, "holds 4", lambda: hg.reduce_sum_f32(ex, a, ex.zeros(1), 5))
    raises(hg.ShapeError, ValueError, "holds 4", lambda: hg.buffer_fill(ex, a, 0.0, 5))


def test_negative_n(ex: hg.Executor, abc: Any) -> None:
    a, b, c = abc
    raises(hg.InvalidArgumentError, ValueError, "n must be >= 0, got -1", lambda: hg.vector_add_f32(ex, a, b, c, -1))
    raises(hg.InvalidArgumentError, ValueError, ">= 0", lambda: hg.vector_relu_f32(ex, a, c, -3))
    raises(hg.InvalidArgumentError, ValueError, "m must be >= 0", lambda: hg.gemm_f32(ex, a, b, c, -1, 2, 2))
    raises(hg.InvalidArgumentError, ValueError, ">= 0", lambda: hg.buffer_copy(ex, a, c, -1))


def test_huge_n(ex: hg.Executor, abc: Any) -> None:
    a, b, c = abc
    err = raises(hg.InvalidArgumentError, ValueError, "out of range", lambda: hg.vector_add_f32(ex, a, b, c, 2**70))
    assert "'n'" in str(err) or "n=" in str(err)
    raises(hg.InvalidArgumentError, ValueError, "out of range", lambda: hg.vector_add_f32(ex, a, b, c, -(2**70)))
    raises(hg.ShapeError, ValueError, "holds 4", lambda: hg.vector_add_f32(ex, a, b, c, 2**62))
    raises(hg.ShapeError, ValueError, "overflow", lambda: hg.gemm_f32(ex, a, b, c, 2**40, 1, 2**40))


def test_wrong_dtype(ex: hg.Executor, abc: Any) -> None:
    a, b, c = abc
    d = ex.zeros(4, "float64")
    raises(hg.DTypeError, TypeError, "buffer 'a' is float64 but the op needs float32",
           lambda: hg.vector_add_f32(ex, d, b, c, 4))
    raises(hg.DTypeError, TypeError, "float32 but the op needs float64", lambda: hg.vector_add_f64(ex, a, d, d, 4))
    raises(hg.DTypeError, TypeError, "float64", lambda: hg.ops.add(ex, a, d))


def test_array_or_none_where_a_buffer_is_expected(ex: hg.Executor, abc: Any) -> None:
    a, b, c = abc
    arr = np.zeros(4, np.float32)
    raises(TypeError, TypeError, "'a' must be a hologram.Buffer, got ndarray", lambda: hg.vector_add_f32(ex, arr, b, c, 4))
    raises(TypeError, TypeError, "'b' must be a hologram.Buffer, got NoneType", lambda: hg.vector_add_f32(ex, a, None, c, 4))
    raises(TypeError, TypeError, "'c' must be a hologram.Buffer, got ndarray", lambda: hg.vector_relu_f32(ex, a, arr, 4))
    raises(TypeError, TypeError, "'out' must be a hologram.Buffer", lambda: hg.reduce_sum_f32(ex, a, None, 4))
    raises(TypeError, TypeError, "'exec' must be a hologram.Executor, got NoneType",
           lambda: hg.vector_add_f32(None, a, b, c, 4))
    raises(TypeError, TypeError, "'a' must be a hologram.Buffer, got ndarray", lambda: hg.ops.add(ex, arr, b))
    raises(TypeError, TypeError, "'out' must be a hologram.Buffer", lambda: hg.ops.relu(ex, a, out=arr))
    raises(TypeError, TypeError, "must be a hologram.Executor", lambda: hg.ops.relu(None, a))
    raises(TypeError, TypeError, "hologram.Buffer", lambda: c.copy_from(arr))


def test_n_as_float_or_other_non_int(ex: hg.Executor, abc: Any) -> None:
    a, b, c = abc
    raises(TypeError, TypeError, "'n' must be an int, got float", lambda: hg.vector_add_f32(ex, a, b, c, 4.0))
    raises(TypeError, TypeError, "'n' must be an int, got str", lambda: hg.vector_relu_f32(ex, a, c, "4"))
    raises(TypeError, TypeError, "'n' must be an int, got NoneType", lambda: hg.reduce_sum_f32(ex, a, c, None))
    raises(TypeError, TypeError, "'m' must be an int", lambda: hg.matvec_f32(ex, a, b, c, 2.0, 2))
    # NumPy integers are integers.
    hg.vector_add_f32(ex, a, b, c, np.int64(4))
    np.testing.assert_array_equal(c.to_numpy(), [1.0, 2.0, 3.0, 4.0])


def test_scalar_of_the_wrong_type_names_the_argument(ex: hg.Executor, abc: Any) -> None:
    a, _, c = abc
    raises(TypeError, TypeError, "'scalar' must be a number, got NoneType", lambda: hg.scalar_add_f32(ex, a, c, 4, None))
    raises(TypeError, TypeError, "'scalar' must be a number, got str", lambda: hg.scalar_add_f32(ex, a, c, 4, "x"))


# -- allocate, wrap, from_numpy ------------------------------------------------------


def test_allocate_bad_sizes_and_dtypes(ex: hg.Executor) -> None:
    raises(hg.InvalidArgumentError, ValueError, "size must be >= 0, got -1", lambda: ex.allocate(-1))
    raises(hg.InvalidArgumentError, ValueError, ">= 0", lambda: ex.allocate((2, -3)))
    raises(hg.OutOfMemoryError, MemoryError, "exceeds the address space", lambda: ex.allocate(2**60, "float64"))
    raises(hg.InvalidArgumentError, ValueError, "out of range", lambda: ex.allocate(2**70))
    raises(hg.DTypeError, TypeError, "unsupported dtype 'int64'", lambda: ex.allocate(3, "int64"))
    raises(hg.DTypeError, TypeError, "unsupported dtype", lambda: ex.allocate(3, np.int32))
    raises(hg.DTypeError, TypeError, "unsupported dtype 'float16'", lambda: ex.allocate(3, "float16"))
    raises(TypeError, TypeError, "shape must be an int or a tuple of ints", lambda: ex.allocate(1.5))
    raises(TypeError, TypeError, "shape must be an int or a tuple of ints", lambda: ex.allocate(None))
    assert ex.stats()["live_buffers"] == 0


def test_allocate_truly_too_large_for_memory(ex: hg.Executor) -> None:
    """Representable but absurd (8 EiB / 2): the backend's allocator refuses; no crash."""
    raises(hg.OutOfMemoryError, MemoryError, "memory", lambda: ex.allocate(2**59, "float64"))


def test_wrap_bad_arrays(ex: hg.Executor) -> None:
    raises(hg.InvalidArgumentError, ValueError, "C-contiguous", lambda: ex.wrap(np.zeros(10)[::2]))
    raises(hg.InvalidArgumentError, ValueError, "contiguous", lambda: ex.wrap(np.zeros((3, 4)).T))
    raises(hg.DTypeError, TypeError, "unsupported dtype", lambda: ex.wrap(np.zeros(4, np.int64)))
    raises(TypeError, TypeError, "wrap needs an array", lambda: ex.wrap([1.0, 2.0]))
    raises(TypeError, TypeError, "wrap needs an array", lambda: ex.wrap(3.0))
    raises(hg.InvalidArgumentError, ValueError, "contiguous", lambda: hg.from_numpy(np.zeros(10)[::2], ex))


def test_from_numpy_wrong_length_or_dtype(ex: hg.Executor) -> None:
    buf = ex.allocate(5)
    raises(hg.ShapeError, ValueError, "4 elements but the buffer holds 5",
           lambda: buf.from_numpy(np.zeros(4, np.float32)))
    raises(hg.DTypeError, TypeError, "float64 but the buffer is float32", lambda: buf.from_numpy(np.zeros(5)))
    raises(hg.ShapeError, ValueError, "got 16 bytes but the buffer holds 20", lambda: buf.from_bytes(bytes(16)))
    raises(hg.ShapeError, ValueError, "cannot reshape", lambda: buf.reshape(2, 3))


def test_buffer_cannot_be_constructed_directly() -> None:
    raises(TypeError, TypeError, "Executor.allocate", hg.Buffer)


# -- op-specific misuse ------------------------------------------------------------------


def test_write_into_read_only_wrapped_buffer(ex: hg.Executor) -> None:
    arr = np.arange(4, dtype=np.float32)
    arr.flags.writeable = False
    ro = ex.wrap(arr)
    a = ex.from_numpy(np.ones(4, np.float32))
    raises(hg.ReadOnlyError, ValueError, "output buffer '(c|out)' wraps read-only memory",
           lambda: hg.vector_add_f32(ex, a, a, ro, 4))
    raises(hg.ReadOnlyError, ValueError, "read-only", lambda: hg.ops.relu(ex, a, out=ro))
    raises(hg.ReadOnlyError, ValueError, "read-only", lambda: ro.fill(0.0))
    np.testing.assert_array_equal(arr, np.arange(4, dtype=np.float32))


def test_partially_overlapping_wrapped_output(ex: hg.Executor) -> None:
    mem = np.arange(10, dtype=np.float64)
    a = ex.wrap(mem[0:6])
    out = ex.wrap(mem[2:8])
    raises(hg.InvalidArgumentError, ValueError, "output 'c' overlaps input 'a'",
           lambda: hg.vector_add_f64(ex, a, a, out, 6))
    raises(hg.InvalidArgumentError, ValueError, "output 'out' overlaps input 'a'",
           lambda: hg.ops.exp(ex, a, out=out))
    np.testing.assert_array_equal(mem, np.arange(10.0))  # nothing was written
    # Exactly the same memory (in place) is allowed for elementwise ops.
    same = ex.wrap(mem[0:6])
    hg.vector_add_f64(ex, a, a, same, 6)
    np.testing.assert_array_equal(mem[:6], np.arange(6.0) * 2)


def test_size_and_shape_mismatches_in_ops(ex: hg.Executor) -> None:
    a = ex.zeros((2, 3))
    raises(hg.ShapeError, ValueError, "inner dimensions differ", lambda: hg.ops.gemm(ex, a, ex.zeros((4, 2))))
    raises(hg.ShapeError, ValueError, "must be 2-D", lambda: hg.ops.gemm(ex, ex.zeros(6), a))
    raises(hg.ShapeError, ValueError, "differ in size", lambda: hg.ops.add(ex, ex.zeros(3), ex.zeros(4)))
    raises(hg.ShapeError, ValueError, "out holds 5 elements", lambda: hg.ops.relu(ex, a, out=ex.zeros(5)))
    raises(hg.ShapeError, ValueError, "x has 2 elements", lambda: hg.ops.matvec(ex, a, ex.zeros(2)))
    raises(hg.InvalidArgumentError, ValueError, "axis", lambda: hg.ops.sum(ex, a, axis=0))
    raises(hg.InvalidArgumentError, ValueError, "approximate", lambda: hg.ops.gelu(ex, a, approximate="fast"))
    raises(hg.ShapeError, ValueError, "empty row", lambda: hg.ops.max(ex, ex.zeros(0)))


def test_clip_with_nan_bounds(ex: hg.Executor) -> None:
    a = ex.from_numpy(np.arange(4, dtype=np.float32))
    c = ex.zeros(4)
    raises(hg.InvalidArgumentError, ValueError, "NaN", lambda: hg.vector_clip_f32(ex, a, c, 4, math.nan, 1.0))
    raises(hg.InvalidArgumentError, ValueError, "NaN", lambda: hg.vector_clip_f32(ex, a, c, 4, 0.0, math.nan))
    raises(hg.InvalidArgumentError, ValueError, "must not be NaN", lambda: hg.ops.clip(ex, a, math.nan, math.nan))
    # Infinite bounds are fine.
    np.testing.assert_array_equal(hg.ops.clip(ex, a, -math.inf, 2.0).to_numpy(), [0, 1, 2, 2])


def test_json_slow_path_bad_data(ex: hg.Executor) -> None:
    buf = ex.allocate(3)
    raises(hg.InvalidArgumentError, ValueError, "JSON list", lambda: hg.buffer_copy_from_slice(ex, buf, "not json"))
    raises(hg.InvalidArgumentError, ValueError, "JSON list", lambda: hg.buffer_copy_from_slice(ex, buf, '{"a": 1}'))
    raises(hg.ShapeError, ValueError, "2 elements but the buffer holds 3",
           lambda: hg.buffer_copy_from_slice(ex, buf, "[1, 2]"))


# -- IEEE edge values are results, not errors --------------------------------------------


def _f64(ex: hg.Executor, values: list[float]) -> hg.Buffer:
    return ex.from_numpy(np.array(values, dtype=np.float64))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ieee_results_not_exceptions(ex: hg.Executor, dtype: str) -> None:
    inf, nan = math.inf, math.nan

    def buf(values: list[float]) -> hg.Buffer:
        return ex.from_numpy(np.array(values, dtype=dtype))

    add = hg.ops.add(ex, buf([inf, -inf, inf, 1.0, nan]), buf([1.0, 1.0, -inf, nan, 0.0])).to_numpy()
    np.testing.assert_array_equal(add, [inf, -inf, nan, nan, nan])
    div = hg.ops.div(ex, buf([1.0, -1.0, 0.0, inf]), buf([0.0, 0.0, 0.0, inf])).to_numpy()
    np.testing.assert_array_equal(div, [inf, -inf, nan, nan])
    log = hg.ops.log(ex, buf([-1.0, 0.0, 1.0, inf])).to_numpy()
    np.testing.assert_array_equal(log, [nan, -inf, 0.0, inf])
    sqrt = hg.ops.sqrt(ex, buf([-1.0, 0.0, 4.0, inf])).to_numpy()
    np.testing.assert_array_equal(sqrt, [nan, 0.0, 2.0, inf])
    exp = hg.ops.exp(ex, buf([-inf, 0.0, 1000.0])).to_numpy()
    np.testing.assert_array_equal(exp, [0.0, 1.0, inf])
    assert math.isnan(hg.ops.sum(ex, buf([1.0, nan])))
    assert hg.ops.sum(ex, buf([1.0, inf])) == inf
    assert math.isnan(hg.ops.max(ex, buf([1.0, nan, 3.0])))  # NaN propagates, as np.max


def test_ieee_lowlevel(ex: hg.Executor) -> None:
    a, b, c = _f64(ex, [1.0, -1.0, 0.0]), _f64(ex, [0.0, 0.0, 0.0]), ex.zeros(3, "float64")
    hg.vector_div_f64(ex, a, b, c, 3)
    np.testing.assert_array_equal(c.to_numpy(), [math.inf, -math.inf, math.nan])
    hg.vector_log_f64(ex, _f64(ex, [-1.0, 0.0, math.e]), c, 3)
    np.testing.assert_allclose(c.to_numpy(), [math.nan, -math.inf, 1.0], equal_nan=True)
    hg.vector_sqrt_f64(ex, _f64(ex, [-1.0, 9.0, math.inf]), c, 3)
    np.testing.assert_array_equal(c.to_numpy(), [math.nan, 3.0, math.inf])


# -- n = 0 ---------------------------------------------------------------------------------

_COUNT_ARGS = ("n", "m", "k")
_LOWLEVEL_WITH_COUNTS = sorted(
    name for name in hg._lowlevel.__all__
    if any(p in inspect.signature(getattr(hg, name)).parameters for p in _COUNT_ARGS)
)


def test_every_function_with_a_count_is_covered() -> None:
    # 2 dtypes x (6 binary + 10 unary + 2 row-wise + 2 scalar + clip + 4 reductions + 3 losses + gemm + matvec)
    # + buffer_fill + buffer_copy
    assert len(_LOWLEVEL_WITH_COUNTS) == 2 * 30 + 2


@pytest.mark.parametrize("name", _LOWLEVEL_WITH_COUNTS)
def test_n_zero(ex: hg.Executor, name: str) -> None:
    """n = 0 never fails on an element-wise or matrix op and touches nothing.

    Reductions and losses of zero elements still produce their defined result
    in ``out[0]`` (sum 0, mean NaN, as NumPy); max/min of nothing has no
    identity and is a ShapeError, as ``np.max([])`` is an error.
    """
    fn = getattr(hg, name)
    dtype = "float64" if name.endswith("_f64") else "float32"
    sentinel = 7.0
    buffers: dict[str, hg.Buffer] = {}
    args: list[Any] = []
    for param in inspect.signature(fn).parameters:
        if param == "exec":
            args.append(ex)
        elif param in _COUNT_ARGS:
            args.append(0)
        elif param in ("value", "scalar"):
            args.append(1.0)
        elif param == "min_val":
            args.append(-1.0)
        elif param == "max_val":
            args.append(1.0)
        else:
            buffers[param] = ex.allocate(4, dtype).fill(sentinel)
            args.append(buffers[param])
    stem = name.rsplit("_", 1)[0]
    if stem in ("reduce_max", "reduce_min"):
        raises(hg.ShapeError, ValueError, "empty row", lambda: fn(*args))
        result = None
    else:
        result = fn(*args)
    expected_out0 = {
        "reduce_sum": 0.0, "reduce_mean": math.nan, "mse_loss": math.nan,
        "binary_cross_entropy_loss": math.nan, "cross_entropy_loss": 0.0,
    }
    for param, buf in buffers.items():
        values = buf.to_numpy()
        if param == "out" and stem in expected_out0:
            want = expected_out0[stem]
            got = float(values[0])
            assert (math.isnan(got) and math.isnan(want)) or got == want, f"{name}: out[0] is {got}"
            assert (math.isnan(result) and math.isnan(want)) or result == want
            values = values[1:]
        assert np.all(values == sentinel), f"{name} with n=0 wrote into {param!r}: {values}"


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_empty_buffers_through_ops(ex: hg.Executor, op: str) -> None:
    a, b = ex.allocate(0), ex.allocate(0)
    out = getattr(hg.ops, op)(ex, a, b)
    assert out.size == 0
    assert out.to_numpy().shape == (0,)
    assert hg.ops.relu(ex, a).size == 0
    assert hg.ops.sum(ex, a) == 0.0


# -- executors and backends ------------------------------------------------------------


def test_executor_nonexistent_backend() -> None:
    err = raises(hg.BackendUnavailableError, RuntimeError, "no backend named 'nonexistent'",
                 lambda: hg.Executor(backend="nonexistent"))
    assert "install the plugin that provides the 'nonexistent' backend" in str(err)
    assert "installed: " in str(err) and "cpu" in str(err)


def test_executor_cuda_not_available_says_what_to_install() -> None:
    if hg.is_cuda_available():
        pytest.skip("CUDA is available here")
    err = raises(hg.BackendUnavailableError, RuntimeError, "cuda", lambda: hg.Executor(backend="cuda"))
    assert "pip install 'hologram[cuda]'" in str(err) or "unavailable" in str(err)


def test_executor_metal_not_available_says_what_to_install() -> None:
    if hg.is_metal_available():
        pytest.skip("Metal is available here")
    err = raises(hg.BackendUnavailableError, RuntimeError, "metal", lambda: hg.Executor(backend="metal"))
    assert "pip install 'hologram[metal]'" in str(err) or "unavailable" in str(err)


def test_hologram_backend_env_naming_a_missing_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOLOGRAM_BACKEND", "nonexistent")
    raises(hg.BackendUnavailableError, RuntimeError, "from HOLOGRAM_BACKEND", hg.Executor)
    # An explicit name wins over the variable.
    with hg.Executor(backend="cpu") as ex:
        assert ex.backend == "cpu"


def test_executor_bad_device() -> None:
    raises(hg.InvalidArgumentError, ValueError, "device 5 does not exist", lambda: hg.Executor(device=5))
    raises(hg.InvalidArgumentError, ValueError, "device -1 does not exist", lambda: hg.Executor(device=-1))
    raises(TypeError, TypeError, "integer", lambda: hg.Executor(device=1.5))
    raises(TypeError, TypeError, "backend must be a name", lambda: hg.Executor(backend=5))


def test_executor_device_out_of_int32_range() -> None:
    # Like the counts, an out-of-range device is a ValueError naming it, not a raw OverflowError.
    raises(hg.InvalidArgumentError, ValueError, "device", lambda: hg.Executor(device=2**40))


# -- the crash script ---------------------------------------------------------------------

CRASH_SCRIPT = textwrap.dedent(
    """
    import gc, math, sys
    import numpy as np
    import hologram as hg

    attempts = 0
    unexpected = []

    def attempt(fn):
        global attempts
        attempts += 1
        try:
            fn()
        except (hg.HologramError, TypeError, ValueError, MemoryError, BufferError) as exc:
            if not str(exc):
                unexpected.append(("empty message", type(exc).__name__))
        except Exception as exc:  # anything else is a finding, but not a crash
            unexpected.append((type(exc).__name__, str(exc)))

    ex = hg.Executor(backend="cpu")
    other = hg.Executor(backend="cpu")
    a = ex.from_numpy(np.arange(8, dtype=np.float32))
    d = ex.from_numpy(np.arange(8, dtype=np.float64))
    f = ex.allocate(8); f.free()
    o = other.allocate(8)
    ro_arr = np.arange(8, dtype=np.float32); ro_arr.flags.writeable = False
    ro = ex.wrap(ro_arr)
    mem = np.arange(16, dtype=np.float32)
    lo, hi = ex.wrap(mem[0:8]), ex.wrap(mem[4:12])
    junk = [None, 0, -1, 2**31, 2**63, 2**70, -(2**70), 1.5, math.nan, "x", b"x", np.zeros(8, np.float32),
            [1.0], object(), ex, other]
    bufs = [a, d, f, o, ro, lo, hi]
    names = [n for n in hg._lowlevel.__all__ if n != "get_version"]
    import inspect
    for name in names:
        fn = getattr(hg, name)
        params = list(inspect.signature(fn).parameters)
        for pos in range(len(params)):
            for bad in junk + bufs:
                args = []
                for i, p in enumerate(params):
                    if i == pos:
                        args.append(bad)
                    elif p == "exec":
                        args.append(ex)
                    elif p in ("n", "m", "k"):
                        args.append(2)
                    elif p in ("value", "scalar", "min_val", "max_val"):
                        args.append(0.5)
                    elif p == "data":
                        args.append(bytes(32))
                    else:
                        args.append(d if name.endswith("_f64") else a)
                attempt(lambda: fn(*args))
    for name in hg.ops.__all__:
        fn = getattr(hg.ops, name)
        for bad in junk + bufs:
            attempt(lambda: fn(ex, bad))
            attempt(lambda: fn(ex, a, bad))
            attempt(lambda: fn(other, a, a))
            attempt(lambda: fn(ex, bad, bad, bad))
    for shape in (-1, 2**62, 2**70, (2**40, 2**40), (-1, 2), 1.5, None, "3", [2, "x"]):
        for dt in ("float32", "float64", "int64", None, 3, object()):
            attempt(lambda: ex.allocate(shape, dt))
    for arr in (np.zeros(8)[::2], np.zeros(4, np.int64), [1.0], 3, None, b"abcd", np.zeros((2, 2)).T,
                np.zeros(0), np.frombuffer(bytes(3), np.uint8)):
        attempt(lambda: ex.wrap(arr))
        attempt(lambda: hg.from_numpy(arr, ex))
        attempt(lambda: hg.from_dlpack(arr, ex))
        attempt(lambda: a.from_numpy(arr))
        attempt(lambda: a.from_bytes(arr))
    for backend in ("nonexistent", "cuda", "metal", "", 5, None):
        for device in (0, 5, -1, 2**40, 1.5):
            attempt(lambda: hg.Executor(backend=backend, device=device).close())
    # Use after free / close, in odd orders, with views outstanding.
    a.from_numpy(np.arange(8, dtype=np.float32))
    view = a.to_numpy()
    a.free(); a.free()
    attempt(lambda: hg.vector_add_f32(ex, a, a, a, 8))
    ex.close(); ex.close()
    for b in bufs:
        attempt(b.to_numpy); attempt(b.to_bytes); attempt(lambda: b.fill(1.0)); attempt(b.free)
        attempt(lambda: b.reshape(2, 4)); attempt(lambda: b.copy_from(o))
    attempt(lambda: hg.vector_add_f32(ex, a, a, a, 8))
    attempt(lambda: ex.allocate(8))
    del a, d, ex
    gc.collect()
    assert view.sum() == 28.0, view
    view[:] = 1.0
    other.close()
    attempt(lambda: o.to_numpy())
    gc.collect()
    print("attempts", attempts)
    print("unexpected", unexpected)
    sys.exit(0)
    """
)


@pytest.fixture(scope="module")
def crash_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CRASH_SCRIPT], capture_output=True, text=True, timeout=120)


def test_crash_script_exits_cleanly(crash_run: subprocess.CompletedProcess[str]) -> None:
    """No segfault, abort or uncaught error however the library is misused."""
    assert crash_run.returncode == 0, (
        f"exit code {crash_run.returncode} (negative = killed by a signal)\n"
        f"stdout:\n{crash_run.stdout[-4000:]}\nstderr:\n{crash_run.stderr[-4000:]}"
    )
    attempts = int(crash_run.stdout.split("attempts", 1)[1].split()[0])
    assert attempts > 1000


def test_crash_script_raised_only_documented_errors(crash_run: subprocess.CompletedProcess[str]) -> None:
    """Every bad call raised a HologramError or the built-in a Python user expects, with a message."""
    assert crash_run.returncode == 0
    unexpected = crash_run.stdout.split("unexpected", 1)[1].strip()
    assert unexpected == "[]", f"undocumented exceptions: {unexpected}"


@pytest.mark.parametrize("obj", [[1.0, 2.0], None, 3, b"abcd"], ids=["list", "None", "int", "bytes"])
def test_from_dlpack_of_a_non_dlpack_object(ex: hg.Executor, obj: Any) -> None:
    """Not a DLPack producer: a TypeError (or the documented NotHostAddressableError), never AttributeError."""
    with pytest.raises((TypeError, hg.NotHostAddressableError), match="from_dlpack"):
        hg.from_dlpack(obj, ex)
