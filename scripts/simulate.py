"""Rule simulate: one layer's vector set on the built core; every value it produces is checked
against the vector files, and sim.json records the result, the cycles beside the formula, the model
and the ideal, and the memories the layer fills.

A mismatch, a status flag, a timeout or a simulator failure is written to the log with its place
(file, line, field, expected, got) and fails the job; the record, with ``failed_at``, goes to
sim.failed.json first (qaccel.workflow.outcomes), which the summary and the pass matrix show.
"""
import os
import tempfile
from pathlib import Path

from qaccel.rtl.build import BenchBuild
from qaccel.rtl.check import describe
from qaccel.rtl.layer_sim import simulate_layer
from qaccel.workflow.outcomes import write_outcome
from qaccel.workflow.stage_log import StageLog

layer = snakemake.wildcards.layer
dataflow = snakemake.wildcards.dataflow
output = Path(snakemake.output[0])

with StageLog(snakemake.log[0], f"simulate layer {layer} {dataflow}") as log:
    build = BenchBuild.load(Path(snakemake.input.build))
    log(f"on the {build.simulator} build of core {build.parameters.key()}"
        + (f" with the planted fault {build.mutant}" if build.mutant else ""))
    with tempfile.TemporaryDirectory() as scratch:
        result = simulate_layer(Path(snakemake.input.vectors), build, Path(scratch))
        simulator_output = (Path(scratch) / "sim.log").read_text()
    # Paths relative to the working directory: sim.json stays the same wherever the run happened.
    result["build"] = os.path.relpath(build.directory)
    model = result["model"]
    log(f"{result['cycles']} cycles (formula {result['cycles_formula']}); per-fold model {model['formula']}: "
        f"{model['folds']} folds x {model['cycles_per_fold']} = {model['cycles']}; ideal {result['ideal_cycles']:.0f}")
    if result["cycles"]:
        log(f"utilisation {result['utilisation']:.3f}; {result['cycles_per_second']:.0f} simulated cycles/s")
    log(f"{result['values_checked']} values checked, {result['mismatches']} mismatches")
    if simulator_output.strip():
        log("simulator output:\n" + simulator_output.strip())
    if not result["passed"]:
        first = result.get("first_mismatch")
        if first:
            log(f"first mismatch: {describe(first)}")
        # where, in a cell of the pass matrix: the first wrong value's file, line and field, else the error
        result["failed_at"] = (f"{Path(first['file']).name}:{first['line']} field {first['field']}"
                               if first and first["file"] else result["error"])
    write_outcome(result, output)
    if not result["passed"]:
        raise RuntimeError(f"layer {layer} {dataflow}: {result['error']}")
