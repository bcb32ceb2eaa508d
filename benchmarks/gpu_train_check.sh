#!/usr/bin/env bash
# The training benchmark on a lent GPU machine (torch, torchvision, numpy, pyyaml there; no network,
# no snakemake). Prepare here, from the repo root:
#   mkdir -p .carry && cp ../shared/data/cifar10-jpeg.tar.gz .carry/ && echo /.carry/ >> .git/info/exclude
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
#     -d .carry/wheels jsonschema jsonschema-specifications referencing rpds-py
# then run this script there with .carry carried; results land in $OUT (or ./gpu-out).
set -euo pipefail
export PYTHONUNBUFFERED=1
out="${OUT:-gpu-out}"
mkdir -p "$out"
if ls .carry/wheels/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .carry/wheels/*.whl
    export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c "
from qaccel import data
data.prepare('archive', '.carry/cifar10.npz', archive='.carry/cifar10-jpeg.tar.gz')
" 2>&1 | tee "$out/data.log"
python3 benchmarks/train_recipes.py --data .carry/cifar10.npz --config config.yaml "$@" \
    --json "$out/train_recipes.json" 2>&1 | tee "$out/train_recipes.log"
