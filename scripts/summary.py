"""Rule summary: one table of the run (training, integer checks, vectors, RTL) for --report."""
import json

from qaccel.workflow.stage_log import StageLog
from qaccel.workflow.summary import summarise, write_tsv

with StageLog(snakemake.log[0], "summary") as log:
    summary = summarise(snakemake.input.metrics, list(snakemake.input.integers), list(snakemake.input.manifests),
                        list(snakemake.input.sims))
    with open(snakemake.output.json, "w") as handle:
        json.dump(summary, handle, indent=1)
    write_tsv(summary, snakemake.output.table)
    for row in summary["layers"]:
        log(f"layer {row['layer']} {row['dataflow']}: rtl passed {row['rtl_passed']}, {row['rtl_cycles']} cycles "
            f"(model {row['model_cycles']})")
