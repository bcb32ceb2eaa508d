"""Rule sim_build: the no-Python layer bench built with one simulator for the configured core."""
from pathlib import Path

from qaccel.rtl.build import BenchParameters, build_bench
from qaccel.rtl.profile_training import train
from qaccel.workflow.stage_log import StageLog

simulator = snakemake.wildcards.simulator
parameters = BenchParameters(**snakemake.params.parameters)
with StageLog(snakemake.log[0], f"sim_build {simulator}") as log:
    mutant = snakemake.params.mutant
    profiled = snakemake.params.profile_guided
    log(f"building rtl/bench/layer_bench.v with {simulator} for {parameters.key()}"
        + (f" with the planted fault {mutant}" if mutant else "")
        + ((" (Verilator, profile-guided: built twice with a training run between, about half a minute on 2 "
            "cores; sim.profile_guided: false builds once)" if profiled else " (Verilator: about a quarter of a minute)")
           if simulator == "verilator" else ""))
    build = build_bench(simulator, parameters, Path(snakemake.output[0]), mutant=mutant,
                        rtl_dir=Path(snakemake.input.rtl[0]).parent, jobs=snakemake.threads,
                        training=train if profiled else None)
    log(f"built in {build.build_seconds:.1f} s; compiler output in {build.directory / 'build.log'}")
