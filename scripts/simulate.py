"""Rule simulate: run one layer's vector set on the RTL core (cocotb) and write sim.json.

A mismatch, an X, a timeout or a simulator failure writes its diagnostic (file, line, field,
expected, got) to the log and fails the job; Snakemake then removes the partial sim.json.
"""
import json
import os
from pathlib import Path

from qaccel.rtl.check import describe
from qaccel.rtl.runner import simulate_layer
from qaccel.stage_log import StageLog

layer = snakemake.wildcards.layer
dataflow = snakemake.wildcards.dataflow
simulator = snakemake.params.simulator
output = Path(snakemake.output[0])

with StageLog(snakemake.log[0], f"simulate layer {layer} {dataflow}") as log:
    log(f"building rtl/ with {simulator} in {snakemake.params.build_dir}")
    result = simulate_layer(Path(snakemake.input.manifest).parent, simulator, Path(snakemake.params.build_dir),
                            rtl_dir=Path(snakemake.params.rtl_dir))
    # Paths relative to the working directory: sim.json stays the same wherever the run happened.
    result["manifest"] = snakemake.input.manifest
    result["logs"] = [os.path.relpath(path) for path in result["logs"]]
    model = result["model"]
    log(f"{result['simulator_version']}: built in {result['build_wall_s']:.1f} s, simulated in "
        f"{result['sim_wall_s']:.1f} s")
    if "cycles" in result:
        log(f"{result['cycles']} cycles ({result['array_cycles']} array + {result['sfp_cycles']} SFP); "
            f"SCALE-Sim {model['formula']}: {model['folds']} folds x {model['cycles_per_fold']} = "
            f"{model['cycles']}; {result['cycles_per_second']:.0f} simulated cycles/s")
        log(f"{result['values_checked']} values checked, {result['mismatches']} mismatches")
    for path in result["logs"]:
        log(f"simulator log: {path}")
    partial = output.with_name(output.name + ".partial")
    partial.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(partial, output)
    if not result["passed"]:
        if result.get("first_mismatch"):
            log(f"first mismatch: {describe(result['first_mismatch'])}")
        raise RuntimeError(f"layer {layer} {dataflow}: the RTL does not match the vectors: "
                           f"{result['error'] or 'see the log'}")
