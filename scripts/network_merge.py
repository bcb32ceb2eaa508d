"""Rule network_merge: one dataflow's shards into predictions.tsv, summary.json and timing.json."""
import json

from qaccel.network.merge import explain, merge_shards, write_predictions
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], f"network {snakemake.wildcards.dataflow} merge") as log:
    summary, timing = merge_shards(list(snakemake.input.results), list(snakemake.input.timing))
    write_predictions(summary, snakemake.output.predictions)
    with open(snakemake.output.summary, "w") as handle:
        json.dump(summary, handle, indent=1)
    with open(snakemake.output.timing, "w") as handle:
        json.dump(timing, handle, indent=1)
    count, percent = summary["images"]["count"], summary["accuracy_percent"]
    log(f"{count} images: accuracy rtl {percent['rtl']}%, integer {percent['integer']}%, float {percent['float']}%; "
        f"rtl agrees with float on {summary['agreement']['rtl_float']}")
    for disagreement in summary["float_disagreements"]:
        log(explain(disagreement))
