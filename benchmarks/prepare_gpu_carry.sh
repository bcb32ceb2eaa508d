#!/usr/bin/env bash
# Fill .carry/ (git-ignored) with what benchmarks/gpu_train_check.sh needs on a lent GPU machine,
# which has torch, torchvision, numpy, pyyaml and pytest (Python 3.12) but no network and no
# jsonschema: the offline CIFAR-10 archive and the jsonschema wheels. Run from the repo root:
#   bash benchmarks/prepare_gpu_carry.sh [path/to/cifar10-jpeg.tar.gz]
set -euo pipefail
archive="${1:-../shared/data/cifar10-jpeg.tar.gz}"
mkdir -p .carry/wheels
cp "$archive" .carry/cifar10-jpeg.tar.gz
rm -f .carry/wheels/*.whl
for package in jsonschema jsonschema-specifications referencing rpds-py; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .carry/wheels "$package"
done
du -sh .carry
