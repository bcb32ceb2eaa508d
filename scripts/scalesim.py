"""Rule scalesim: SCALE-Sim 3 on VGG16's 13 convs for one array and dataflow, in its own virtual
environment; the JSON holds, per layer, its cycles and SRAM/DRAM traffic beside the core's cycles,
the per-fold model's and the ideal. SCALE-Sim's inputs and report CSVs stay in the run directory.
"""
import json
from pathlib import Path

from qaccel.scalesim.compare import comparison, network_convs
from qaccel.scalesim.inputs import ScaleSimArray
from qaccel.scalesim.run import run_scalesim
from qaccel.workflow.stage_log import StageLog

rows, cols = int(snakemake.wildcards.rows), int(snakemake.wildcards.cols)
dataflow = snakemake.wildcards.dataflow
sram = snakemake.params.sram_kb

with StageLog(snakemake.log[0], f"scalesim {rows}x{cols} {dataflow}") as log:
    array = ScaleSimArray(rows, cols, dataflow, sram["ifmap"], sram["filter"], sram["ofmap"])
    convs = network_convs()
    versions, reported = run_scalesim(Path(snakemake.input.environment), Path(snakemake.output.run), array, convs,
                                      snakemake.config['scalesim']['time_limit_s'], log)
    result = {"scalesim": versions, "array": array.__dict__,
              "cycles": "scalesim_cycles: SCALE-Sim's Total Cycles (the last cycle's index, counted from 0); "
                        "core_cycles: the core's timing formula (rtl/README.md, pinned to the RTL); "
                        "fold_model_cycles: qaccel/rtl/cycles.py's per-fold model; ideal_cycles: MACs / (rows x cols)",
              **comparison(convs, reported, dataflow, rows, cols)}
    for layer in result["layers"]:
        log(f"layer {layer['layer']:2d}: SCALE-Sim {layer['scalesim_cycles']:,}, core {layer['core_cycles']:,}, "
            f"per-fold model {layer['fold_model_cycles']:,}, ideal {layer['ideal_cycles']:,.0f}")
    total = result["total"]
    log(f"all {len(convs)} convs: SCALE-Sim {total['scalesim_cycles']:,}, core {total['core_cycles']:,}, "
        f"per-fold model {total['fold_model_cycles']:,}, ideal {total['ideal_cycles']:,.0f}")
    Path(snakemake.output.json).write_text(json.dumps(result, indent=1) + "\n")
