#!/usr/bin/env bash
# The training check on a lent GPU machine, as one command (no Snakemake there, no network):
#  1. CUDA tests: the step replayed as a CUDA graph (tests/unit/test_train_step.py) and the fused
#     quantizers, bit for bit against the reference ones on CUDA (tests/unit/test_fused_quant.py).
#     A failed test takes its lever (cuda_graph, fused_quant) out of the fast recipe for the rest
#     of the run, and says so.
#  2. benchmarks/step_kernels.py: the fast recipe's step (batch 512, bf16, channels_last, replayed
#     graphs) with fused and with reference quantizers, and a profiler table of each.
#  3. benchmarks/train_recipes.py: seed (2 epochs: its speed; it needs about 14 minutes in full)
#     against fast (fused quantizers, a float warm-up, alphas fitted by MSE) and fast-plain (the
#     fast recipe without those three), each measured for 4 epochs, then fast refitted to 60 and
#     120 s of wall time and fast-plain to 60 s; the Markdown table for the README.
# Everything lands in $OUT (or ./gpu-out), unbuffered and rewritten after every run, so that a
# timeout loses nothing already measured: steps.log (the machine, data, timings of each step),
# pytest.log, step_kernels.log, profile.txt, train_recipes.log, table.md, train_recipes.json.
#
# Prepare here first: bash benchmarks/prepare_gpu_carry.sh; then there, with .carry carried:
#   bash benchmarks/gpu_train_check.sh
# Extra arguments go to train_recipes.py after the defaults (a repeated option wins). On a machine
# without CUDA it is a dry run; give it small settings (fast's batch is 512):
#   OUT=/tmp/gpuout bash benchmarks/gpu_train_check.sh --train-subset 512 --test-subset 64 --max-steps 2
# Expected wall time on one H200: about 7 minutes (1 of tests, 1 of data and step timing, 5 of
# training: 2 + 4 + 4 epochs, then 60 + 120 + 60 s); keep the call's limit at 9 minutes or more.
set -uo pipefail
export PYTHONUNBUFFERED=1
out="${OUT:-gpu-out}"
mkdir -p "$out"
started=$SECONDS
say() { echo "[gpu_train_check +$(( SECONDS - started )) s] $*" | tee -a "$out/steps.log"; }

python3 -c "import jsonschema" 2>/dev/null ||
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .carry/wheels/*.whl
export PYTHONPATH="$PWD:/tmp/site:${PYTHONPATH:-}"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no nvidia-smi"
  python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.cuda.is_available())"
  python3 -c "import triton; print('triton', triton.__version__)" || echo "no triton"; } 2>&1 | tee -a "$out/steps.log"
on_cuda=$(python3 -c "import torch; print(int(torch.cuda.is_available()))")

say "1. CUDA tests"
fast_changes=()
python3 -m pytest -q -p no:cacheprovider tests/unit/test_train_step.py 2>&1 | tee "$out/pytest.log" ||
    { fast_changes+=(cuda_graph=false); say "the CUDA graph step failed its test: fast runs without cuda_graph"; }
python3 -m pytest -q -p no:cacheprovider tests/unit/test_fused_quant.py -k cuda 2>&1 | tee -a "$out/pytest.log" ||
    { fast_changes+=(fused_quant=false); say "the fused quantizers differ on CUDA: fast runs without fused_quant"; }

say "2. data and step timing"
data=/tmp/qaccel-gpu-check/cifar10.npz  # outside the repo: the next call's carried tree stays small
[ -f "$data" ] || python3 -c "
import sys
from qaccel import data
data.prepare('archive', sys.argv[1], archive='.carry/cifar10-jpeg.tar.gz')
" "$data" 2>&1 | tee -a "$out/steps.log"
if [ "$on_cuda" = 1 ]; then
    step_args=(--device cuda --batch 512 --timed-precisions bf16 --channels-last --steps 20)
    [[ " ${fast_changes[*]} " == *" cuda_graph=false "* ]] || step_args+=(--cuda-graph)
else
    step_args=(--batch 8 --steps 2)
fi
python3 benchmarks/step_kernels.py "${step_args[@]}" --profile "$out/profile.txt" 2>&1 | tee "$out/step_kernels.log"

say "3. training: seed, fast, fast-plain, then fast at 60 and 120 s and fast-plain at 60 s"
variants=(fast-plain=fast:fused_quant=false,float_warmup_epochs=0,alpha_init=seed)
if [ ${#fast_changes[@]} -gt 0 ]; then
    variants=("fast=fast:$(IFS=,; echo "${fast_changes[*]}")" "${variants[@]}")
fi
python3 benchmarks/train_recipes.py --data "$data" --config config.yaml \
    --recipes seed fast fast-plain --variant "${variants[@]}" \
    --max-epochs seed=2 fast=4 fast-plain=4 --budgets fast=60,120 fast-plain=60 "$@" \
    --markdown "$out/table.md" --json "$out/train_recipes.json" 2>&1 | tee "$out/train_recipes.log"
say "done"
