"""Smoke tests of the benchmarks: training recipes in one process, compared and fitted to a wall-time
budget; the step's kernel count; the no-op dry run; the whole network's rate."""
import re
import subprocess
import sys

import pytest
import yaml
from support import REPO, tiny_settings

from qaccel.model.layers import CONV_LAYERS
from qaccel.rtl.cycles import chain_cycles
from qaccel.rtl.program import ConvShape

pytestmark = pytest.mark.slow

BENCHMARK = str(REPO / "benchmarks/train_recipes.py")
# dry_run.py's line for the no-op dry run: wall and CPU seconds
MEASURED = r"no-op dry run \(snakemake -n\): +(\d+\.\d+) s wall, +(\d+\.\d+) s CPU \(median of \d+\)"


def test_train_recipes_benchmark_compares_recipes_and_fits_a_budget(tiny_workflow):
    result = subprocess.run(
        [sys.executable, BENCHMARK, "--data", str(tiny_workflow / "resources/cifar10.npz"),
         "--train-subset", "128", "--test-subset", "32", "--max-steps", "2", "--max-epochs", "seed=1",
         "--recipes", "seed", "fast-fp", "--variant",
         "fast-fp=fast:float_warmup_epochs=1,precision=fp32,channels_last=false,fused_quant=false,batch_size=128",
         "--budgets", "300", "--repeat-check", "seed"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line.split()[:1] in (["seed"], ["fast-fp"], ["fast-fp@300s"])}
    assert set(rows) == {"seed", "fast-fp", "fast-fp@300s"}
    assert rows["seed"][1] == "1" and rows["fast-fp"][1] == "2"  # epochs: stopped after 1; 2 steps of 1 each
    assert all(row[-1] in ("pass", "FAIL") for row in rows.values())
    assert any(line.startswith("ratio fast-fp/seed: s/epoch x") for line in lines)
    assert any(line.startswith("budget 300 s: ") and "within budget" in line for line in lines)
    assert "float_warmup_epochs=1" in result.stdout
    assert any(line.startswith("repeat check (seed): bit-identical") for line in lines)


def test_a_variant_of_an_unknown_key_is_refused_by_name(tiny_workflow):
    result = subprocess.run(
        [sys.executable, BENCHMARK, "--data", str(tiny_workflow / "resources/cifar10.npz"),
         "--variant", "x=fast:cuda_graphs=true"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "'cuda_graphs' is not a recipe key" in result.stderr


def test_step_kernels_counts_and_times_both_kinds_of_quantizer():
    result = subprocess.run([sys.executable, str(REPO / "benchmarks/step_kernels.py"), "--batch", "2", "--steps", "1"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    counts = {line.split(":")[0]: int(line.split()[2]) for line in lines if " operations per training step" in line}
    assert list(counts) == ["fp32 unfused", "fp32 fused", "bf16 unfused", "bf16 fused"]
    # VGG16 has 13 convolutions: one forward and one backward operation each.
    assert sum("26 of them convolutions" in line for line in lines) == 4
    assert counts["bf16 unfused"] > counts["fp32 unfused"] > 26 * 10  # autocast adds casts; quantizers dwarf convs
    # Per QuantConv2d the reference quantizers run 6 + 9 elementwise operations (activation forward,
    # backward) and 11 + 11 (weight); the fused ones 4 operations in all.
    for precision in ("fp32", "bf16"):
        assert counts[f"{precision} unfused"] - counts[f"{precision} fused"] == 13 * (6 + 9 + 11 + 11 - 4)
    timing = next(line for line in lines if line.startswith("step time (fp32, batch 2, cpu"))
    unfused, fused, ratio = (float(timing.split(label)[1].split()[0].lstrip("x"))
                             for label in ("unfused ", " fused ", "ratio fused/unfused "))
    assert ratio == pytest.approx(fused / unfused, abs=2e-3)


def test_dry_run_benchmark_times_a_no_op_dry_run_without_torch(tiny_workflow):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/dry_run.py"), "--directory", str(tiny_workflow), "--configfile",
         str(REPO / "config.yaml"), str(tiny_workflow / "tiny.yaml"), "--repeat", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "snakemake --version (start-up)", "no-op dry run (snakemake -n)", "import torch alone",
        "torch imported while parsing", "target"]
    assert lines[3] == "torch imported while parsing: no"
    # A slow machine may miss the target; the verdict must follow the measured time.
    no_op = float(re.match(MEASURED, lines[1]).group(1))
    assert lines[4] == f"target: no-op dry run under 2 s: {'met' if no_op < 2 else 'NOT met'}"


def test_the_readme_records_a_measured_no_op_dry_run():
    """The README holds dry_run.py's output as measured, with the date: missing, this fails (slow does not)."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("`python benchmarks/dry_run.py"):]
    assert re.search(r"Measured on the .+ \(\d{4}-\d{2}-\d{2}\)", section[:400])
    recorded = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n") + 4)].splitlines()
    assert [line.split(":")[0] for line in recorded] == [
        "snakemake --version (start-up)", "no-op dry run (snakemake -n)", "import torch alone",
        "torch imported while parsing", "target"]
    assert re.match(MEASURED, recorded[1]) and recorded[3] == "torch imported while parsing: no"


def test_dry_run_benchmark_refuses_a_tree_with_work_left(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny_settings()))
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/dry_run.py"), "--directory", str(tmp_path), "--configfile",
         str(REPO / "config.yaml"), str(tmp_path / "tiny.yaml"), "--repeat", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "is not a built tree: the dry run plans jobs" in result.stderr


def test_network_rate_benchmark_times_both_dataflows_and_estimates_a_cluster(copy_of_tiny_workflow):
    workdir = copy_of_tiny_workflow
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/network_rate.py"), "--directory", str(workdir), "--configfile",
         str(REPO / "config.yaml"), str(workdir / "tiny.yaml"), "--count", "1", "--shard", "1", "--nodes", "100"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "running 1 images x 2 dataflows, shards of 1, --cores 2 ..."
    assert lines[1].startswith("wall time ") and "(target 3.6 s: " in lines[1]
    for dataflow, line in zip(("ws", "os"), lines[2:4]):
        # the chain's timing formula over the 13 convs (one program per image), which tests/rtl pins
        cycles = chain_cycles([(dataflow, ConvShape(c.in_channels, c.out_channels, c.height, c.width))
                               for c in CONV_LAYERS.values()], 8, 8)
        # the measured cycles: the formula's and those waiting for the DMA
        stalls = int(re.search(r" core cycles per image \(([\d,]+) waiting for the DMA\), ", line)[1].replace(",", ""))
        assert line.startswith(f"{dataflow}: 1 images, ") and f" s per image; {cycles + stalls:,} core cycles per image (" in line
        assert 100 < stalls < 10_000  # the first tile waits for the DRAM's latency; later ones rarely
        assert " simulated cycles/s (target 2,000,000: " in line
    # one image per dataflow, 200 shard slots: one round
    assert lines[4].startswith("cluster of 100 nodes like this one (") and ": 2 jobs in 1 round(s) of about " in lines[4]


def test_network_rate_benchmark_refuses_a_tree_that_would_train_first(copy_of_tiny_workflow):
    """A tree whose model is gone (or was built with other settings): the run would train before it
    times anything. The benchmark names the jobs and runs none of them."""
    workdir = copy_of_tiny_workflow
    (workdir / "results/train/model.pt").unlink()
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/network_rate.py"), "--directory", str(workdir), "--configfile",
         str(REPO / "config.yaml"), str(workdir / "tiny.yaml"), "--count", "1", "--shard", "1"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and result.stdout == ""
    assert f"{workdir} is not built for this benchmark: besides the shards the run would make 1 train (" in result.stderr
    assert not (workdir / "results/train/model.pt").exists()
