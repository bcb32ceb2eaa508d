#!/usr/bin/env bash
# The training check on a lent GPU machine, as one command (no Snakemake there, no network):
#  1. CUDA tests: the step replayed as a CUDA graph (tests/unit/test_train_step.py) and the fused
#     quantizers, bit for bit against the reference ones on CUDA (tests/unit/test_fused_quant.py).
#     A failed test takes its lever (cuda_graph, fused_quant) out of the fast recipe for the rest
#     of the run, and says so.
#  2. benchmarks/step_kernels.py: the fast recipe's step (batch 512, bf16, channels_last, replayed
#     graphs) with fused and with reference quantizers, and a profiler table of each.
#  3. benchmarks/train_recipes.py: seed (2 epochs: its speed; it needs about 14 minutes in full)
#     against fast (fused quantizers, a float warm-up, alphas fitted by MSE), fast-alpha-seed (the
#     same with the seed's alphas) and fast-plain (fast without those three), each measured for a
#     few epochs, then fast refitted to 60 and 120 s of wall time and the other two to 60 s (in
#     that order; a budget run that would end after 525 s into the script is skipped, and the log
#     says so); the Markdown table for the README.
# Everything lands in $OUT (or ./gpu-out), unbuffered and rewritten after every run, so that a
# timeout loses nothing already measured: steps.log (the machine, the data, when each step began),
# pytest.log, step_kernels.log, profile.txt, train_recipes.log, table.md, train_recipes.json.
#
# Prepare here first: bash benchmarks/prepare_gpu_carry.sh; then there, with .carry carried:
#   bash benchmarks/gpu_train_check.sh
# Extra arguments go to train_recipes.py after the defaults (a repeated option wins). On a machine
# without CUDA it is a dry run of the same steps, with fast at batch 32 in fp32 and one float
# epoch; give it small subsets:
#   OUT=/tmp/gpuout bash benchmarks/gpu_train_check.sh --train-subset 64 --test-subset 32 --max-steps 4
# Expected wall time on one H200: 8 to 9 minutes (1.5 for the tests and the step timing, 1.5 for
# the measured runs, 5 for the budget runs); the time limit above keeps it under 9, so call it with
# a limit of 570 s.
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

# The dataset is decoded from the JPEG archive while the tests run (outside the repo, so that the
# next call's carried tree stays small).
data=/tmp/qaccel-gpu-check/cifar10.npz
if [ ! -f "$data" ]; then
    python3 -c "
import sys
from qaccel import data
data.prepare('archive', sys.argv[1], archive='.carry/cifar10-jpeg.tar.gz')
" "$data" > "$out/data.log" 2>&1 &
    decoding=$!
fi

say "1. CUDA tests"
fast_changes=()
python3 -m pytest -q -rf -p no:cacheprovider -k cuda tests/unit/test_train_step.py tests/unit/test_fused_quant.py \
    2>&1 | tee "$out/pytest.log"
if grep -q "^FAILED tests/unit/test_train_step.py" "$out/pytest.log"; then
    fast_changes+=(cuda_graph=false); say "the CUDA graph step failed its test: fast runs without cuda_graph"
fi
if grep -q "^FAILED tests/unit/test_fused_quant.py" "$out/pytest.log"; then
    fast_changes+=(fused_quant=false); say "the fused quantizers differ on CUDA: fast runs without fused_quant"
fi

say "2. step timing and profile"
if [ "$on_cuda" = 1 ]; then
    step_args=(--device cuda --batch 512 --timed-precisions bf16 --channels-last --steps 10)
    [[ " ${fast_changes[*]} " == *" cuda_graph=false "* ]] || step_args+=(--cuda-graph)
else  # a dry run: small steps; fast at batch 32 in fp32 with one float epoch, so that a few steps reach QAT
    step_args=(--batch 8 --steps 2)
    fast_changes+=(batch_size=32 precision=fp32 channels_last=false float_warmup_epochs=1)
fi
python3 benchmarks/step_kernels.py "${step_args[@]}" --profile "$out/profile.txt" 2>&1 | tee "$out/step_kernels.log" ||
    say "step_kernels.py failed (see step_kernels.log); training goes on"
if [ -n "${decoding:-}" ]; then
    wait "$decoding" || { say "decoding the archive failed:"; cat "$out/data.log"; exit 1; }
fi
cat "$out/data.log" >> "$out/steps.log" 2>/dev/null; rm -f "$out/data.log"

say "3. training: seed, fast, fast-alpha-seed, fast-plain; fast at 60 and 120 s, the others at 60 s"
variants=(fast-alpha-seed=fast:alpha_init=seed fast-plain=fast:fused_quant=false,float_warmup_epochs=0,alpha_init=seed)
if [ ${#fast_changes[@]} -gt 0 ]; then
    variants=("fast=fast:$(IFS=,; echo "${fast_changes[*]}")" "${variants[@]}")
fi
python3 benchmarks/train_recipes.py --data "$data" --config config.yaml \
    --recipes seed fast fast-alpha-seed fast-plain --variant "${variants[@]}" \
    --max-epochs seed=2 fast=4 fast-alpha-seed=4 fast-plain=3 \
    --budgets fast=60,120 fast-alpha-seed=60 fast-plain=60 --time-limit $(( 525 - (SECONDS - started) )) "$@" \
    --markdown "$out/table.md" --json "$out/train_recipes.json" 2>&1 | tee "$out/train_recipes.log"
status=$?
say "done (train_recipes.py exit status $status)"
exit $status
