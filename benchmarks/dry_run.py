"""A no-op dry run on a built tree: how long `snakemake -n` takes when there is nothing to do.

It times, in one process and as the median of --repeat runs each: Snakemake's own start-up
(`snakemake --version`, the floor no workflow can go below), the no-op dry run of this workflow, and
`import torch` (what parsing paid before the layer table became torch-free). Each as wall seconds and
as CPU seconds (user + system of the child process), which a busy machine inflates less. One more
dry run under `python -X importtime` says whether parsing imported torch. Target (issue 11): under
2 s of wall time on a quiet machine.

    python benchmarks/dry_run.py --directory . --configfile config.yaml configs/offline.yaml
    python benchmarks/dry_run.py --directory <a built tree> --configfile <its config files> --repeat 5

The tree must be built (the dry run must find nothing to do); the dry run loads the workflow
profile (profiles/default) as a user's `snakemake -n` does.
"""
from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 2.0


def dry_run_command(directory: Path, configfiles: list[str]) -> list[str]:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory",
               str(directory), "-n"]
    return command + (["--configfile", *configfiles] if configfiles else [])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, repeat: int) -> tuple[float, float, str]:
    """Median wall seconds and median CPU seconds of ``repeat`` runs, and the output of the last."""
    wall, cpu, output = [], [], ""
    for _ in range(repeat):
        began, cpu_before = time.perf_counter(), _children_cpu()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        wall.append(time.perf_counter() - began)
        cpu.append(_children_cpu() - cpu_before)
        output = result.stdout + result.stderr
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{output[-3000:]}")
    return statistics.median(wall), statistics.median(cpu), output


def imported_while_parsing(command: list[str], cwd: Path) -> set[str]:
    """Top-level packages that a dry run imports, from ``python -X importtime``'s report."""
    result = subprocess.run([sys.executable, "-X", "importtime", *command[1:]], cwd=cwd, capture_output=True,
                            text=True)
    return {match.group(1).split(".")[0]
            for match in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", result.stderr, re.MULTILINE)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--directory", type=Path, required=True, help="a built work directory")
    parser.add_argument("--configfile", nargs="*", default=[], help="its config files, as the build used them")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    directory = args.directory.resolve()
    dry_run = dry_run_command(directory, [str(Path(path).resolve()) for path in args.configfile])

    startup, startup_cpu, _ = timed([sys.executable, "-m", "snakemake", "--version"], directory, args.repeat)
    no_op, no_op_cpu, output = timed(dry_run, directory, args.repeat)
    if "Nothing to be done" not in output:
        sys.exit(f"{directory} is not a built tree: the dry run plans jobs\n{output[-3000:]}")
    torch_import, torch_cpu, _ = timed([sys.executable, "-c", "import torch"], directory, args.repeat)
    packages = imported_while_parsing(dry_run, directory)

    print(f"snakemake --version (start-up): {startup:6.2f} s wall, {startup_cpu:5.2f} s CPU (median of {args.repeat})")
    print(f"no-op dry run (snakemake -n):   {no_op:6.2f} s wall, {no_op_cpu:5.2f} s CPU (median of {args.repeat}); "
          f"x{no_op / startup:.2f} of start-up, {no_op - startup:.2f} s wall for the workflow")
    print(f"import torch alone:             {torch_import:6.2f} s wall, {torch_cpu:5.2f} s CPU (median of "
          f"{args.repeat})")
    print(f"torch imported while parsing: {'yes' if 'torch' in packages else 'no'}")
    print(f"target: no-op dry run under {TARGET_SECONDS:g} s: {'met' if no_op < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
