"""The cluster path (issue 5): the tiny configuration through `--profile profiles/slurm` on the
single-node SLURM of .ci/slurm/start.sh gives the same outputs, byte for byte, as a local run. The
cluster starts where the local run's training and simulator builds ended.

CI: .ci/slurm/start.sh before pytest, .ci/slurm/stop.sh after it (in a trap)."""
import importlib.util
import json
import shutil
import subprocess

import pytest
from support import DEFAULTS, REPO, config_args, run_snakemake, tiny_settings

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# Files under the output directories that are no workflow output: the training rule's resume state
# is a param on purpose (it must survive a failed job) and records wall-clock times; simulator build
# directories hold compiler output and logs; resources/code/ holds the code digests that the parse writes.
NOT_OUTPUTS = {"results/train/resume.pt"}
# Figures that plot wall-clock times (training curves against seconds, simulation rates, job times).
WALL_CLOCK_FIGURES = {"results/figures/training_curves.png", "results/figures/rtl_cycles.png",
                      "results/figures/jobs.png"}
NOT_OUTPUT_DIRS = ("resources/sim_build/", "resources/code/")
# Wall-clock figures: per epoch in metrics.json, per simulation in sim.json.
TIMING_KEYS = ("train_seconds", "seconds", "elapsed_seconds")
SIM_TIMING_KEYS = ("cycles_per_second", "sim_wall_s", "wall_s")
# A bench run's wall times, and whether its build was already there (the cluster starts with it).
TB_RUN_KEYS = ("wall_s", "compile_wall_s", "build_reused")


def cluster_problem():
    """Why the test cluster cannot run jobs, or None when it can."""
    if shutil.which("sinfo") is None:
        return "sinfo not found: no SLURM client tools (.ci/slurm/install.sh)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')"
    try:
        sinfo = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "sinfo timed out: slurmctld is not answering"
    if sinfo.returncode != 0:
        last_error = (sinfo.stderr.strip().splitlines() or ["no error output"])[-1]
        return f"no SLURM cluster is up (start one with .ci/slurm/start.sh): {last_error}"
    states = sinfo.stdout.split()
    if not {"idle", "mixed", "allocated"} & set(states):
        return f"no SLURM node can run jobs, node states: {states}"
    return None


# Session scope and first in the test's arguments: pytest sets up session fixtures first, and the
# check must skip before tiny_workflow spends minutes on the local reference run.
@pytest.fixture(scope="session")
def slurm_cluster():
    problem = cluster_problem()
    if problem:
        pytest.skip(problem)


def output_files(workdir):
    return sorted(
        str(path.relative_to(workdir))
        for directory in ("resources", "results")
        for path in (workdir / directory).rglob("*")
        if path.is_file() and str(path.relative_to(workdir)) not in NOT_OUTPUTS
        and not str(path.relative_to(workdir)).startswith(NOT_OUTPUT_DIRS)
    )


def comparable_content(path):
    """The file's bytes; for training metrics, simulation and bench results, the JSON without wall-clock figures;
    nothing of the network's timing files, which hold wall-clock figures only."""
    if path.name.endswith("timing.json"):
        return None
    if path.name == "metrics.json":
        metrics = json.loads(path.read_text())
        for epoch in metrics["epochs"]:
            for key in TIMING_KEYS:
                epoch.pop(key)
        metrics.pop("total_seconds")
        return metrics
    if path.name in ("sim.json", "tb.json"):
        result = json.loads(path.read_text())
        for key in SIM_TIMING_KEYS if path.name == "sim.json" else TB_RUN_KEYS:
            result.pop(key)
        return result
    return path.read_bytes()


# Kept from the local run: the data, the trained model and the simulator builds with their logs, so
# that the cluster runs every job from capture on (the local run covers the first two minutes).
KEPT = ("results/train", "logs/data.", "logs/train.", "logs/sim_build", "logs/tb_build")


def seed_from_local_run(tiny_workflow, workdir):
    shutil.copytree(tiny_workflow, workdir, symlinks=True)
    for top in ("results", "logs"):
        for path in sorted((workdir / top).iterdir()):
            if not str(path.relative_to(workdir)).startswith(KEPT):
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def test_slurm_run_reproduces_the_local_run(slurm_cluster, tiny_workflow, tiny_config, tmp_path):
    workdir = tmp_path / "cluster"
    seed_from_local_run(tiny_workflow, workdir)
    # The user's command: profiles/default (the workflow profile) is picked up beside the Snakefile.
    result = run_snakemake(workdir, *config_args(tiny_config), "--profile", str(REPO / "profiles/slurm"),
                           timeout=1500)
    lines = result.stdout.splitlines()

    def rules(prefix):
        return {line.split()[-1].rstrip(":") for line in lines if line.startswith(prefix)}

    # The profile's group: the layer's chain in one SLURM job; each network shard its own; the light
    # rules (localrules) beside Snakemake. Training and the builds came from the local run.
    assert rules("    rule ") == {"capture", "integerize", "tile", "serialize", "simulate", "tb"}, result.stdout[-4000:]
    assert rules("rule ") == {"network_shard", "network_bandwidth"}
    assert rules("localrule ") == {"summary", "network_merge", "network_report", "training_figures", "layer_figure",
                                   "rtl_figures", "network_figure", "memory_bound_figure", "jobs_figure", "all"}
    network = tiny_settings()["network"]
    shards = network["count"] // network["shard"] * len(DEFAULTS["network"]["dataflows"])
    assert result.stdout.count("has been submitted with SLURM jobid") == 1 + shards + 1  # layer, shards, sweep

    local_files, cluster_files = output_files(tiny_workflow), output_files(workdir)
    assert cluster_files == local_files
    differing = [name for name in local_files if name not in WALL_CLOCK_FIGURES
                 and comparable_content(workdir / name) != comparable_content(tiny_workflow / name)]
    assert differing == []
