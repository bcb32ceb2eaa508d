#!/usr/bin/env bash
# The training benchmark on a lent GPU machine, as one command (no Snakemake there, no network).
# Prepare here first: bash benchmarks/prepare_gpu_carry.sh; then run this there with .carry
# carried. Extra arguments go to benchmarks/train_recipes.py (default: --budgets 60 120).
# Output lands in $OUT (or ./gpu-out), unbuffered, so a timeout loses nothing already printed.
# Expected wall time on one H100: a few minutes (seed recipe stopped after 4 epochs).
set -euo pipefail
export PYTHONUNBUFFERED=1
out="${OUT:-gpu-out}"
mkdir -p "$out"
python3 -c "import jsonschema" 2>/dev/null ||
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .carry/wheels/*.whl
export PYTHONPATH="$PWD:/tmp/site:${PYTHONPATH:-}"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no nvidia-smi"; } | tee "$out/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__)" | tee -a "$out/gpu.txt"
recipes=(seed fast-eager fast)
if ! python3 -m pytest -q -p no:cacheprovider tests/unit/test_train_step.py 2>&1 | tee "$out/pytest.log"; then
    echo "the CUDA graph step failed its test: benchmarking without it" | tee -a "$out/pytest.log"
    recipes=(seed fast-eager)
fi
[ -f .carry/cifar10.npz ] || python3 -c "
from qaccel import data
data.prepare('archive', '.carry/cifar10.npz', archive='.carry/cifar10-jpeg.tar.gz')
" 2>&1 | tee "$out/data.log"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--budgets 60 120)
python3 benchmarks/train_recipes.py --data .carry/cifar10.npz --config config.yaml \
    --recipes "${recipes[@]}" --variant fast-eager=fast:cuda_graph=false \
    --max-epochs seed=4 fast-eager=3 --repeat-check "${recipes[-1]}" "${args[@]}" --json "$out/train_recipes.json" 2>&1 | tee "$out/train_recipes.log"
