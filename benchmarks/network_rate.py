"""Whole-network inference on the core: test images in both dataflows, timed (issue 16's targets).

    python benchmarks/network_rate.py --directory <built tree> --configfile config.yaml configs/offline.yaml
    python benchmarks/network_rate.py --directory <built tree> --configfile ... --count 100 --shard 10 --cores 2

The tree needs the model and the data (results/train/model.pt, resources/cifar10.npz); the core's
build is made if it is missing (and then counts in the wall time). A dry run first: a tree on which the
run would also make other jobs (the data, the training: a tree built with other settings or code) is
refused, naming them, before anything runs. The run is the workflow's own:
`snakemake --cores N results/network/{ws,os}/predictions.tsv` with `network={first, count, shard}`,
its shard jobs forced, so a finished range is timed again. Printed:

- the wall time of the run against the target (100 images, both dataflows, 2 cores: 6 minutes);
- per dataflow, from the merged timing.json and summary.json: seconds per image, the core's cycles
  per image, simulated cycles per second (the core's cycles over the simulator's wall seconds, one
  shard in one process: target 2M), and
  the shares of the run's seconds spent in the simulator, in the rest of the backend (programs,
  operands, reading back) and on the host (integer path, widths, float model, host side of the rtl
  path);
- what a cluster would take: per job, its start-up (the job's benchmark wall time less the work in
  its timing.json) and its seconds per image; with one image per shard, jobs on N nodes of this
  machine's size (as many shard jobs at once as it has cores).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS_PER_100 = 6 * 60  # issue 16: 100 images, both dataflows, --cores 2
TARGET_CYCLES_PER_SECOND = 2_000_000  # issue 16: Verilator, the 8x8 core, one shard in one process
DATAFLOWS = ("ws", "os")


# The jobs the timed run may make: the shards it times, their merges, and the core's build (which then
# counts in the wall time).
TIMED_RULES = ("network_shard", "network_merge", "sim_build")


def network_command(directory: Path, configfiles: list[str], first: int, count: int, shard: int, cores: int,
                    *options: str) -> list[str]:
    targets = [f"results/network/{dataflow}/predictions.tsv" for dataflow in DATAFLOWS]
    # --forcerun, --configfile and --config take several values: targets first, --config last.
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory",
            str(directory), "--cores", str(cores), *targets, *options, "--forcerun", "network_shard",
            *(["--configfile", *configfiles] if configfiles else []),
            "--config", f"network={{first: {first}, count: {count}, shard: {shard}}}"]


def planned_jobs(command: list[str], directory: Path) -> dict[str, int]:
    """Rule -> number of jobs, from the "Job stats" table of ``command`` (a dry run)."""
    result = subprocess.run(command, cwd=directory, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-4000:]}")
    lines = result.stdout.splitlines()
    if "Job stats:" not in lines:
        return {}
    jobs = {}
    for line in lines[lines.index("Job stats:") + 3:]:  # after the header and its rule
        rule, _, number = line.partition(" ")
        if rule == "total" or not number.strip().isdigit():
            break
        jobs[rule] = int(number)
    return jobs


def check_built(directory: Path, command: list[str]) -> None:
    """Exit, naming them, if the run would make jobs besides TIMED_RULES'."""
    others = {rule: jobs for rule, jobs in planned_jobs(command, directory).items() if rule not in TIMED_RULES}
    if others:
        sys.exit(f"{directory} is not built for this benchmark: besides the shards the run would make "
                 f"{', '.join(f'{jobs} {rule}' for rule, jobs in others.items())} (its data, model or settings differ "
                 f"from what these config files ask); run the workflow there with them first "
                 f"(`snakemake --cores N results/network/ws/predictions.tsv --configfile ...`), or pass the "
                 f"config files it was built with")


def run_network(directory: Path, configfiles: list[str], first: int, count: int, shard: int, cores: int) -> float:
    command = network_command(directory, configfiles, first, count, shard, cores)
    check_built(directory, network_command(directory, configfiles, first, count, shard, cores, "--dry-run"))
    print(f"running {count} images x {len(DATAFLOWS)} dataflows, shards of {shard}, --cores {cores} ...", flush=True)
    began = time.perf_counter()
    result = subprocess.run(command, cwd=directory, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-4000:]}")
    return wall


def benchmark_seconds(path: Path) -> float:
    """A job's wall seconds from its Snakemake benchmark file."""
    with open(path) as handle:
        return float(next(csv.DictReader(handle, delimiter="\t"))["s"])


def job_seconds(directory: Path, dataflow: str, shard: dict) -> float:
    name = f"images{shard['first']}-{shard['last']}"
    return benchmark_seconds(directory / f"logs/network/{dataflow}/{name}.benchmark.tsv")


def report_dataflow(directory: Path, dataflow: str) -> dict:
    network = directory / "results/network" / dataflow
    timing = json.loads((network / "timing.json").read_text())
    summary = json.loads((network / "summary.json").read_text())
    images, seconds = timing["images"], timing["seconds"]
    work = seconds["integer"] + seconds["widths"] + seconds["float"] + seconds["rtl"]
    cycles = summary["cycles_per_image"]["core"] * images
    startups = [job_seconds(directory, dataflow, shard) - sum(shard["seconds"][key] for key in
                                                               ("integer", "widths", "float", "rtl"))
                for shard in timing["shards"]]
    stalls = summary["cycles_per_image"]["dma_stalls"]
    figures = {"images": images, "seconds_per_image": work / images, "cycles_per_image": cycles / images,
               "dma_stall_cycles_per_image": stalls,
               "cycles_per_second": cycles / seconds["rtl_simulator"],
               "simulator_share": seconds["rtl_simulator"] / work,
               "backend_rest_share": (seconds["rtl_backend"] - seconds["rtl_simulator"]) / work,
               "host_share": (work - seconds["rtl_backend"]) / work,
               "job_startup_s": statistics.median(startups),
               "accuracy_percent": summary["accuracy_percent"]}
    print(f"{dataflow}: {images} images, {figures['seconds_per_image']:.2f} s per image; "
          f"{figures['cycles_per_image']:,.0f} core cycles per image ({stalls:,} waiting for the DMA), "
          f"{figures['cycles_per_second']:,.0f} "
          f"simulated cycles/s (target {TARGET_CYCLES_PER_SECOND:,}: "
          f"{'met' if figures['cycles_per_second'] >= TARGET_CYCLES_PER_SECOND else 'MISSED'}); simulator {figures['simulator_share']:.1%}, rest of the backend "
          f"{figures['backend_rest_share']:.1%}, host {figures['host_share']:.1%}; job start-up "
          f"{figures['job_startup_s']:.1f} s (median); accuracy rtl {figures['accuracy_percent']['rtl']}%, "
          f"float {figures['accuracy_percent']['float']}%")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--directory", type=Path, required=True, help="a tree with the model and the data")
    parser.add_argument("--configfile", nargs="*", default=[], help="the tree's config files, in order")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--shard", type=int, default=10)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=100, help="cluster size for the estimate")
    args = parser.parse_args()
    directory = args.directory.resolve()
    configfiles = [str(Path(path).resolve()) for path in args.configfile]

    wall = run_network(directory, configfiles, args.first, args.count, args.shard, args.cores)
    target = TARGET_SECONDS_PER_100 * args.count / 100
    print(f"wall time {wall:.0f} s for {args.count} images x {len(DATAFLOWS)} dataflows on {args.cores} cores "
          f"(target {target:.1f} s: {'met' if wall <= target else 'MISSED'}; {wall / target:.2f} of it)")
    figures = {dataflow: report_dataflow(directory, dataflow) for dataflow in DATAFLOWS}

    # A cluster: one image per shard, every node this machine's size (``cores`` shard jobs at once).
    slots = args.nodes * (os.cpu_count() or 1)
    jobs = args.count * len(DATAFLOWS)
    per_job = max(f["job_startup_s"] + f["seconds_per_image"] for f in figures.values())
    rounds = math.ceil(jobs / slots)
    builds = sorted((directory / "logs/sim_build").glob("verilator-*.benchmark.tsv"), key=os.path.getmtime)
    build = f" ({benchmark_seconds(builds[-1]):.0f} s here)" if builds else ""
    print(f"cluster of {args.nodes} nodes like this one ({slots} shard jobs at once), shard 1: {jobs} jobs in "
          f"{rounds} round(s) of about {per_job:.0f} s (start-up + one image) = about {rounds * per_job:.0f} s, "
          f"plus queueing and the core's build{build}, once, before the shards")


if __name__ == "__main__":
    main()
