#!/usr/bin/env bash
# The GPU check: one command on a machine with an NVIDIA GPU, Python 3.12, torch and
# no internet access. From this tree it
#   1. builds and installs hologram-core, hologram, hologram-torch and hologram-cuda
#      (nvcc and the NVIDIA wheels already installed beside torch; nothing downloaded),
#   2. runs every test with the CUDA backend (the op suite on cpu and cuda, the CUDA
#      package's own tests, everything else as usual),
#   3. runs the op suite on cuda once more under compute-sanitizer --tool memcheck,
#   4. checks the float32 functions the CUDA kernels share with the CPU backend over all
#      2^32 inputs on the GPU and times GELU's variants (native/tests/cuda_vmath.cu), and
#      times launch shapes of the elementwise kernel (native/tests/cuda_map_shapes.cu),
#   5. runs the CUDA benchmark (hologram bench --backend cuda, JSON kept),
# and prints a short summary table last. Exit status 0 only when every step passed.
#
#   scripts/gpu-check.sh [--quick] [--out DIR] [--wheelhouse DIR]
#
#   --quick          for a short lease: the tests are the op suite and the CUDA tests on cuda only,
#                    6 hypothesis examples each; the benchmark's --quick sizes (1M and 64M elements,
#                    GEMM 1024 and 4096: the sizes its targets are judged at)
#   --out DIR        where logs, junit XML and the benchmark JSON go (default: ./gpu-check-out)
#   --wheelhouse DIR wheels of build tools the machine lacks (hatchling, cffi, ...), made on
#                    a machine with internet by scripts/gpu-wheelhouse.sh
#
# Environment: PYTHON (default python3), HOLOGRAM_CUDA_ARCHS (e.g. "90" to build only for
# the GPU at hand: faster), GPU_CHECK_TIMEOUT (seconds per step, default 1500).
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0 out=gpu-check-out wheelhouse=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        --wheelhouse) wheelhouse=$2; shift ;;
        -h|--help) sed -n 2,20p "$0"; exit 0 ;;
        *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
python=${PYTHON:-python3}
step_timeout=${GPU_CHECK_TIMEOUT:-1500}
summary=()
failed=0

# run_step NAME COMMAND...: runs COMMAND with its output in $out/NAME.log (and on the terminal),
# records PASS/FAIL and the seconds it took.
run_step() {
    local name=$1; shift
    local start=$SECONDS rc
    echo "== $name"
    if declare -F "$1" >/dev/null; then  # a shell function: timeout cannot run it
        "$@" 2>&1 | tee "$out/$name.log"
    else
        timeout "$step_timeout" "$@" 2>&1 | tee "$out/$name.log"
    fi
    rc=${PIPESTATUS[0]}
    local took=$((SECONDS - start))
    if [ "$rc" -eq 0 ]; then
        summary+=("$(printf '%-22s PASS  %5ss  %s' "$name" "$took" "$(tail -n 1 "$out/$name.log" | cut -c1-90)")")
    else
        failed=1
        summary+=("$(printf '%-22s FAIL  %5ss  rc=%s, see %s' "$name" "$took" "$rc" "$out/$name.log")")
    fi
    return "$rc"
}

print_summary() {
    echo
    echo "== GPU check summary ($(date -u +%Y-%m-%dT%H:%MZ))"
    printf '%s\n' "${summary[@]}"
    if [ -f "$out/bench-cuda.json" ]; then
        "$python" - "$out/bench-cuda.json" <<'PY' || true
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc.get("device_results") or doc.get("results") or []
print(f"\nbenchmark on {doc.get('machine', {}).get('device', '?')}:")
for r in rows:
    keys = ("op", "size", "hologram", "torch", "ratio", "copy_fraction", "unit")
    print("  " + "  ".join(f"{k}={r[k]}" for k in keys if k in r))
PY
    fi
    [ "$failed" -eq 0 ] && echo "GPU check: PASSED" || echo "GPU check: FAILED"
}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1 | tee "$out/gpu.txt"
command -v nvcc >/dev/null && nvcc --version | tail -n 2
"$python" --version

# Installed with --target into a fresh folder put on PYTHONPATH, not into a venv: the Python
# that has torch may itself be a venv, whose packages a --system-site-packages venv would not see.
site=$(mktemp -d)/site
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
pip=("$python" -m pip install --quiet --no-index --no-cache-dir --no-compile --target "$site")
missing=$("$python" - <<'PY'
import importlib.util
need = {"hatchling": "hatchling", "cffi": "cffi", "pycparser": "pycparser", "setuptools": "setuptools", "numpy": "numpy",
        "pytest": "pytest", "hypothesis": "hypothesis"}
print(" ".join(dist for mod, dist in need.items() if importlib.util.find_spec(mod) is None))
PY
)
if [ -n "$missing" ]; then
    if [ -z "$wheelhouse" ]; then
        echo "gpu-check: this Python lacks $missing and there is no internet: make a wheelhouse with" \
             "scripts/gpu-wheelhouse.sh on a machine that has it, then pass --wheelhouse DIR" >&2
        exit 2
    fi
    # shellcheck disable=SC2086  # one word per missing distribution
    "${pip[@]}" --find-links "$wheelhouse" $missing || exit 2
fi

build_and_install() {
    # No build isolation: the build tools come from this environment, nothing is fetched.
    local p
    for p in hologram-core hologram hologram-torch hologram-cuda; do
        echo "building and installing $p"
        "${pip[@]}" --no-build-isolation --no-deps "packages/$p" || return 1
    done
    (cd /tmp && "$python" -m hologram.cli info && "$python" -c "
import hologram as hg
cuda = next((b for b in hg.backends() if b.name == 'cuda'), None)
print('cuda backend:', cuda.status if cuda else 'not discovered', '|', cuda.device if cuda else '')")
}
run_step build-and-install build_and_install || { print_summary; exit 1; }

py=("$python")
cuda_tests=(packages/hologram/tests/test_ops_elementwise.py packages/hologram/tests/test_ops_reductions.py
            packages/hologram/tests/test_ops_linalg.py packages/hologram-cuda/tests)
# HOLOGRAM_TEST_BACKENDS makes a cuda that cannot run an error, not a skip.
if [ "$quick" -eq 1 ]; then
    run_step tests env HOLOGRAM_TEST_BACKENDS=cuda HYPOTHESIS_PROFILE=quick \
        "${py[@]}" -m pytest -q -p no:cacheprovider --junitxml="$out/tests.xml" "${cuda_tests[@]}" \
        packages/hologram/tests/test_dlpack_device.py packages/hologram/tests/test_device_memory.py
else
    run_step tests env HOLOGRAM_TEST_BACKENDS=cpu,cuda HYPOTHESIS_PROFILE=dev \
        "${py[@]}" -m pytest -q -p no:cacheprovider --junitxml="$out/tests.xml"
fi

# Every test runs under the sanitizer, not up to the first failure: a failing test must not
# leave the ones after it unchecked for memory errors (exit status 86 is the sanitizer's own).
if command -v compute-sanitizer >/dev/null; then
    run_step memcheck env HOLOGRAM_TEST_BACKENDS=cuda HYPOTHESIS_PROFILE=quick \
        compute-sanitizer --tool memcheck --leak-check full --error-exitcode 86 --print-limit 20 \
        "${py[@]}" -m pytest -q -p no:cacheprovider "${cuda_tests[@]}"
else
    summary+=("$(printf '%-22s FAIL  compute-sanitizer is not on the PATH' memcheck)"); failed=1
fi

# build_and_run NAME: compiles native/tests/NAME.cu for the GPU at hand and runs it.
build_and_run() {
    local bin
    bin=$(mktemp -d)/$1
    nvcc -O3 -std=c++17 -arch=native -Inative/include -o "$bin" "native/tests/$1.cu" && "$bin"
}
if command -v nvcc >/dev/null; then
    run_step vmath-on-device build_and_run cuda_vmath
    run_step map-shapes build_and_run cuda_map_shapes
else
    summary+=("$(printf '%-22s FAIL  nvcc is not on the PATH' vmath-on-device)"); failed=1
fi

bench_args=(--backend cuda --json "$out/bench-cuda.json" --no-progress)
[ "$quick" -eq 1 ] && bench_args+=(--quick)
run_step bench-cuda "${py[@]}" -m hologram.cli bench "${bench_args[@]}"

print_summary
exit "$failed"
