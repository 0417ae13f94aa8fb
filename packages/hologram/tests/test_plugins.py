"""A third-party backend shipped as a plugin: discovered, selected, run, refused, removed.

Every plugin here is installed the way a wheel would install it (a dist-info
with a ``hologram.backends`` entry point plus its entry module, on
``sys.path``) and the backend itself is ``plugin_src/toy_backend.c``, a real C
library built against ``backend.h`` alone. Each variant gets its own name,
because names are what users select backends by.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import plugin_fixtures as pf  # its fixtures are registered by conftest.py
import pytest

import hologram

PluginSandbox = pf.PluginSandbox

# Above the built-in CPU (priority 0), so auto-selection prefers the toy.
TOY_PRIORITY = 100


def toy_counters(library: Path) -> tuple[int, int]:
    """(live contexts, live allocations) inside a loaded toy library.

    dlopen of a path already loaded returns the same handle, so these are the
    counters of the very copy the core is using.
    """
    lib = ctypes.CDLL(str(library))
    lib.toy_live_contexts.restype = ctypes.c_longlong
    lib.toy_live_allocations.restype = ctypes.c_longlong
    return int(lib.toy_live_contexts()), int(lib.toy_live_allocations())


def assert_released(library: Path) -> None:
    """The core gave every buffer and context of the toy back once nothing uses them."""
    gc.collect()
    assert toy_counters(library) == (0, 0), "the core leaked toy backend memory or contexts"


# -- discovery and selection ---------------------------------------------------


def test_toy_plugin_is_discovered(plugin_sandbox: PluginSandbox) -> None:
    plugin = plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY, version="1.2.3")

    found = plugin_sandbox.refresh()

    info = found["toy"]
    assert info.name == "toy"
    assert info.version == "1.2.3"
    assert info.priority == TOY_PRIORITY
    assert info.available, info.reason
    assert info.reason == ""
    assert Path(info.library) == plugin.library
    assert plugin.distribution in info.source
    # The built-in backend is still there, and the list is ordered for selection.
    assert found["cpu"].available
    names = [b.name for b in hologram.backends()]
    assert names.index("toy") < names.index("cpu")


def test_dict_entry_point_is_discovered(plugin_sandbox: PluginSandbox) -> None:
    # An entry point may name the spec dict itself instead of a function.
    plugin_sandbox.install_toy("toy_dict", priority=7, version="0.2.0", as_dict=True)

    info = plugin_sandbox.refresh()["toy_dict"]

    assert (info.name, info.version, info.priority, info.available) == ("toy_dict", "0.2.0", 7, True)


def test_higher_priority_plugin_is_auto_selected(plugin_sandbox: PluginSandbox) -> None:
    plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY)
    plugin_sandbox.refresh()

    with hologram.Executor() as ex:
        assert ex.backend == "toy"
    assert hologram.get_default_backend() == "toy"


def test_lower_priority_plugin_is_not_auto_selected(plugin_sandbox: PluginSandbox) -> None:
    plugin_sandbox.install_toy("toy_low", priority=-5)
    plugin_sandbox.refresh()

    with hologram.Executor() as ex:
        assert ex.backend == "cpu"
    with hologram.Executor(backend="toy_low") as ex:
        assert ex.backend == "toy_low"


def test_env_var_forces_cpu_over_higher_priority(plugin_sandbox: PluginSandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY)
    plugin_sandbox.refresh()
    monkeypatch.setenv("HOLOGRAM_BACKEND", "cpu")

    with hologram.Executor() as ex:
        assert ex.backend == "cpu"


def test_env_var_can_force_the_plugin(plugin_sandbox: PluginSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_sandbox.install_toy("toy_low", priority=-5)
    plugin_sandbox.refresh()
    monkeypatch.setenv("HOLOGRAM_BACKEND", "toy_low")

    with hologram.Executor() as ex:
        assert ex.backend == "toy_low"


# -- running ops on the plugin ---------------------------------------------------


def test_vector_add_on_toy_matches_numpy(plugin_sandbox: PluginSandbox) -> None:
    plugin = plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY)
    plugin_sandbox.refresh()
    assert plugin.library is not None
    rng = np.random.default_rng(1234)
    n = 1037  # not a multiple of any vector width
    a_np = rng.standard_normal(n).astype(np.float32)
    b_np = rng.standard_normal(n).astype(np.float32)

    with hologram.Executor(backend="toy") as ex:
        assert ex.backend == "toy"
        a = ex.allocate(n, dtype="float32")
        b = ex.allocate(n, dtype="float32")
        c = ex.allocate(n, dtype="float32")
        a.from_numpy(a_np)
        b.from_numpy(b_np)

        hologram.vector_add_f32(ex, a, b, c, n)
        # One float32 addition per element, as NumPy does: bit-identical.
        np.testing.assert_array_equal(np.array(c.to_numpy()), a_np + b_np)

        # The same kernel through the high-level API, plus MUL and FILL.
        total = hologram.ops.add(ex, a, b)
        assert isinstance(total, hologram.Buffer)
        np.testing.assert_array_equal(np.array(total.to_numpy()), a_np + b_np)
        product = hologram.ops.mul(ex, a, b)
        np.testing.assert_array_equal(np.array(product.to_numpy()), a_np * b_np)
        c.fill(2.5)
        np.testing.assert_array_equal(np.array(c.to_numpy()), np.full(n, 2.5, dtype=np.float32))

        assert toy_counters(plugin.library) == (1, 5)
        del a, b, c, total, product

    assert_released(plugin.library)


def test_partial_count_and_bytes_round_trip_on_toy(plugin_sandbox: PluginSandbox) -> None:
    # Copies go through the plugin's copy_from_host/copy_to_host, and a
    # kernel given n smaller than the buffers must leave the rest alone.
    plugin = plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY)
    plugin_sandbox.refresh()
    assert plugin.library is not None
    a_np = np.arange(10, dtype=np.float32)

    with hologram.Executor(backend="toy") as ex:
        a = ex.allocate(10, dtype="float32").from_numpy(a_np)
        c = ex.allocate(10, dtype="float32")
        c.fill(-1.0)
        hologram.vector_add_f32(ex, a, a, c, 4)
        expected = np.concatenate([2 * a_np[:4], np.full(6, -1.0, dtype=np.float32)])
        assert np.frombuffer(c.to_bytes(), dtype=np.float32).tolist() == expected.tolist()
        del a, c

    assert_released(plugin.library)


def test_unsupported_op_names_the_backend(plugin_sandbox: PluginSandbox) -> None:
    plugin = plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY)
    plugin_sandbox.refresh()
    assert plugin.library is not None

    with hologram.Executor(backend="toy") as ex:
        a = ex.allocate(8, dtype="float32").from_numpy(np.linspace(-1, 1, 8, dtype=np.float32))
        with pytest.raises(hologram.UnsupportedOperationError) as info:
            hologram.ops.relu(ex, a)
        assert isinstance(info.value, hologram.HologramError)
        assert isinstance(info.value, NotImplementedError)
        assert "toy" in str(info.value)
        assert "relu" in str(info.value)

        # The toy only has float32 kernels: a dtype with no kernel at all is a TypeError
        # (as float64 on a WGSL backend), naming the backend and the remedy.
        d = ex.allocate(8, dtype="float64")
        with pytest.raises(hologram.DTypeError, match=r"'toy' has no float64 kernels at all") as dt:
            d.fill(1.0)
        assert isinstance(dt.value, TypeError)
        assert "float32" in str(dt.value)
        del a, d

    assert_released(plugin.library)


# -- plugins that cannot run -------------------------------------------------------


def test_abi_mismatch_is_listed_and_refused(plugin_sandbox: PluginSandbox) -> None:
    # Highest priority of all: being skipped cannot be an accident of ordering.
    plugin_sandbox.install_toy("toy_abi99", priority=10_000, abi_version=99)

    info = plugin_sandbox.refresh()["toy_abi99"]

    assert not info.available
    assert "ABI" in info.reason
    assert "99" in info.reason
    with hologram.Executor() as ex:
        assert ex.backend == "cpu"
    with pytest.raises(hologram.BackendUnavailableError) as raised:
        hologram.Executor(backend="toy_abi99")
    assert isinstance(raised.value, hologram.HologramError)
    assert isinstance(raised.value, RuntimeError)
    assert "toy_abi99" in str(raised.value)
    assert "ABI" in str(raised.value)


def test_unavailable_probe_is_listed_and_skipped(plugin_sandbox: PluginSandbox) -> None:
    plugin_sandbox.install_toy("toy_off", priority=10_000, unavailable=True)

    info = plugin_sandbox.refresh()["toy_off"]

    assert not info.available
    assert "toy device not present" in info.reason
    with hologram.Executor() as ex:
        assert ex.backend == "cpu"
    with pytest.raises(hologram.BackendUnavailableError, match="toy device not present"):
        hologram.Executor(backend="toy_off")


def test_unavailable_probe_falls_through_to_next_plugin(plugin_sandbox: PluginSandbox) -> None:
    plugin_sandbox.install_toy("toy_off", priority=10_000, unavailable=True)
    plugin_sandbox.install_toy("toy", priority=TOY_PRIORITY)
    plugin_sandbox.refresh()

    with hologram.Executor() as ex:
        assert ex.backend == "toy"


def test_missing_entry_symbol_is_listed(plugin_sandbox: PluginSandbox) -> None:
    plugin_sandbox.install_toy("toy_nosym", priority=10_000, symbol="no_such_backend_entry")

    info = plugin_sandbox.refresh()["toy_nosym"]

    assert not info.available
    assert "no_such_backend_entry" in info.reason
    with hologram.Executor() as ex:
        assert ex.backend == "cpu"


def _install_broken(sandbox: PluginSandbox) -> tuple[str, Path]:
    """Installs both broken plugins; returns the ImportError text and the missing library."""
    message = "toy_broken needs libtoyrt, which is not installed"
    sandbox.install_import_error("toy_broken", message, priority=10_000)
    missing = sandbox.install_missing_library("toy_missing", priority=10_000)
    assert missing.library is not None
    return message, missing.library


def test_a_plugin_may_declare_itself_unavailable(plugin_sandbox: PluginSandbox) -> None:
    """An entry point with ``unavailable`` is listed with that reason; its library is never loaded
    (here it does not even exist), nothing is logged as broken, and asking for it names the reason."""
    reason = "NVIDIA's CUDA libraries are not installed: pip install 'hologram[cuda]'"
    plugin = plugin_sandbox.install("toy_declined", library=plugin_sandbox.root / "nowhere.so", priority=10_000,
                                    unavailable=reason)
    found = plugin_sandbox.refresh()
    info = found["toy_declined"]
    assert not info.available and info.reason == reason and info.library == str(plugin.library)
    assert hologram.get_default_backend() == "cpu"
    with pytest.raises(hologram.BackendUnavailableError, match=r"toy_declined.*pip install 'hologram\[cuda\]'"):
        hologram.Executor(backend="toy_declined")


def test_broken_plugins_are_listed_with_their_errors(plugin_sandbox: PluginSandbox) -> None:
    message, missing_library = _install_broken(plugin_sandbox)

    found = plugin_sandbox.refresh()

    broken = found["toy_broken"]
    assert not broken.available
    assert "ImportError" in broken.reason
    assert message in broken.reason
    assert "toy_broken" in broken.source
    missing = found["toy_missing"]
    assert not missing.available
    assert missing_library.name in missing.reason
    assert found["cpu"].available
    with hologram.Executor() as ex:
        assert ex.backend == "cpu"
    for name, needle in (("toy_broken", message), ("toy_missing", missing_library.name)):
        with pytest.raises(hologram.BackendUnavailableError, match=needle):
            hologram.Executor(backend=name)


_FRESH_PROCESS_SCRIPT = textwrap.dedent(
    """
    import json

    import numpy as np

    import hologram

    listing = {b.name: {"available": b.available, "reason": b.reason} for b in hologram.backends()}
    with hologram.Executor() as ex:
        a = ex.allocate(4, dtype="float32").from_numpy(np.arange(4, dtype=np.float32))
        out = hologram.ops.add(ex, a, a).to_numpy().tolist()
        backend = ex.backend
    print(json.dumps({"backends": listing, "backend": backend, "out": out}))
    """
)


def test_broken_plugins_do_not_break_a_fresh_import(plugin_sandbox: PluginSandbox) -> None:
    # In a new interpreter discovery runs from scratch, as it does for a user
    # who just installed a broken plugin: the import and the CPU must survive.
    message, missing_library = _install_broken(plugin_sandbox)
    env = dict(os.environ)
    env.pop("HOLOGRAM_BACKEND", None)
    # hologram itself stays importable however this process found it.
    import hologram_core

    own = [str(Path(m.__file__).resolve().parents[1]) for m in (hologram, hologram_core) if m.__file__]
    env["PYTHONPATH"] = os.pathsep.join(
        [plugin_sandbox.pythonpath, *own, *filter(None, [os.environ.get("PYTHONPATH")])]
    )

    proc = subprocess.run([sys.executable, "-c", _FRESH_PROCESS_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120, check=False)

    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["backend"] == "cpu"
    assert result["out"] == [0.0, 2.0, 4.0, 6.0]
    listing = result["backends"]
    assert listing["toy_broken"]["available"] is False
    assert message in listing["toy_broken"]["reason"]
    assert listing["toy_missing"]["available"] is False
    assert missing_library.name in listing["toy_missing"]["reason"]


# -- uninstalling -----------------------------------------------------------------------


def test_plugin_is_gone_after_uninstall(tmp_path: Path, toy_builder: pf.ToyBuilder) -> None:
    with PluginSandbox(tmp_path / "site-packages", toy_builder) as sandbox:
        plugin = sandbox.install_toy("toy_gone", priority=TOY_PRIORITY)
        assert "toy_gone" in sandbox.refresh()
        with hologram.Executor() as ex:
            assert ex.backend == "toy_gone"

    assert str(plugin.site) not in sys.path
    assert plugin.module not in sys.modules
    names = [b.name for b in hologram.backends(refresh=True)]
    assert "toy_gone" not in names
    assert "cpu" in names
    with hologram.Executor() as ex:
        assert ex.backend == "cpu"
    with pytest.raises(hologram.BackendUnavailableError, match="toy_gone"):
        hologram.Executor(backend="toy_gone")
