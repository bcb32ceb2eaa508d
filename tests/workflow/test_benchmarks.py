"""Smoke test of the training benchmark: both recipes train in one process and are compared."""
import subprocess
import sys

import pytest

from support import REPO

pytestmark = pytest.mark.slow


def test_train_recipes_benchmark_runs_both_recipes(tiny_workflow):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/train_recipes.py"), "--data", str(tiny_workflow / "resources/cifar10.npz"),
         "--train-subset", "64", "--test-subset", "32", "--max-steps", "2", "--epochs", "2"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line.split()[:1] in (["seed"], ["fast"])}
    assert set(rows) == {"seed", "fast"}
    assert any(line.startswith("ratio fast/seed: s/epoch x") for line in lines)
