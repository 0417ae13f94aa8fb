#!/usr/bin/env bash
# Downloads, on a machine with internet, the build tools scripts/gpu-check.sh needs on a
# GPU machine without it (Python 3.12, x86-64 Linux): pass the folder as --wheelhouse.
#
#   scripts/gpu-wheelhouse.sh [DIR]        (default: ./wheelhouse)
set -euo pipefail
dir=${1:-wheelhouse}
mkdir -p "$dir"
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$dir" hatchling pathspec pluggy packaging trove-classifiers tomlkit "cffi>=1.17" pycparser setuptools
ls "$dir"
