#!/usr/bin/env bash
# The GPU check: one command on a machine with an NVIDIA GPU, Python 3.12, torch and
# no internet access. From this tree it
#   1. builds and installs hologram-core, hologram, hologram-torch and hologram-cuda
#      (nvcc and the NVIDIA wheels already installed beside torch; nothing downloaded),
#   2. runs every test with the CUDA backend (the op suite on cpu and cuda, the CUDA
#      package's own tests, everything else as usual),
#   3. runs the op suite on cuda once more under compute-sanitizer --tool memcheck,
#   4. runs the CUDA benchmark (hologram bench --backend cuda, JSON kept),
# and prints a short summary table last. Exit status 0 only when every step passed.
#
#   scripts/gpu-check.sh [--quick] [--out DIR] [--wheelhouse DIR]
#
#   --quick          fewer hypothesis examples, the benchmark's --quick sizes
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
    timeout "$step_timeout" "$@" 2>&1 | tee "$out/$name.log"
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
        "$venv/bin/python" - "$out/bench-cuda.json" <<'PY' || true
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

venv=$(mktemp -d)/venv
# The system site-packages bring torch, numpy, pytest, hypothesis and NVIDIA's CUDA wheels.
"$python" -m venv --system-site-packages "$venv"
pip=("$venv/bin/python" -m pip install --quiet --no-index --no-cache-dir)
missing=$("$venv/bin/python" - <<'PY'
import importlib.util
need = {"hatchling": "hatchling", "cffi": "cffi", "pycparser": "pycparser", "numpy": "numpy",
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
    "${pip[@]}" --find-links "$wheelhouse" $missing || exit 2
fi

install() {
    # No build isolation: the build tools come from this environment, nothing is fetched.
    "${pip[@]}" --no-build-isolation --no-deps packages/hologram-core packages/hologram \
        packages/hologram-torch packages/hologram-cuda \
        && (cd /tmp && "$venv/bin/python" -m hologram.cli info)
}
run_step build-and-install install || { print_summary; exit 1; }

py=("$venv/bin/python")
examples=$([ "$quick" -eq 1 ] && echo ci || echo dev)
# HOLOGRAM_TEST_BACKENDS makes a cuda that cannot run an error, not a skip.
run_step tests env HOLOGRAM_TEST_BACKENDS=cpu,cuda HYPOTHESIS_PROFILE="$examples" \
    "${py[@]}" -m pytest -q -p no:cacheprovider --junitxml="$out/tests.xml"

if command -v compute-sanitizer >/dev/null; then
    run_step memcheck env HOLOGRAM_TEST_BACKENDS=cuda HYPOTHESIS_PROFILE=ci \
        compute-sanitizer --tool memcheck --leak-check full --error-exitcode 86 --print-limit 20 \
        "${py[@]}" -m pytest -q -p no:cacheprovider -x packages/hologram/tests/test_ops_elementwise.py \
        packages/hologram/tests/test_ops_reductions.py packages/hologram/tests/test_ops_linalg.py \
        packages/hologram-cuda/tests
else
    summary+=("$(printf '%-22s FAIL  compute-sanitizer is not on the PATH' memcheck)"); failed=1
fi

bench_args=(--backend cuda --json "$out/bench-cuda.json" --no-progress)
[ "$quick" -eq 1 ] && bench_args+=(--quick)
run_step bench-cuda "${py[@]}" -m hologram.cli bench "${bench_args[@]}"

print_summary
exit "$failed"
