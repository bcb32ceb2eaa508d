"""Rule rtl_figures: the pass matrix of both RTL checks (sim.json and tb.json, or their failure records)
and the cycles against the model and the ideal (summary.json), with each simulation's rate (sim.json:
wall clock, so not in the summary)."""
import json
from pathlib import Path

from qaccel.workflow import figures
from qaccel.workflow.outcomes import read_outcome
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "rtl figures") as log:
    rows = json.loads(Path(snakemake.input.summary).read_text())["layers"]
    sims = [read_outcome(path) for path in snakemake.input.sims]
    # tb.json does not name its layer: the inputs list both checks in the same layer and dataflow order
    benches = [{**read_outcome(path), "layer": sim["layer"], "dataflow": sim["dataflow"]}
               for path, sim in zip(snakemake.input.tbs, sims)]
    by_pair = {(sim["layer"], sim["dataflow"]): sim for sim in sims}
    rows = [{**row, "cycles_per_second": by_pair[row["layer"], row["dataflow"]].get("cycles_per_second")}
            for row in rows]
    figures.rtl_pass_matrix(sims, benches, benches[0]["top"], snakemake.output.passes)
    figures.rtl_cycles(rows, snakemake.output.cycles)
    failed = [f"layer {o['layer']} {o['dataflow']}: {o['failed_at']}" for o in sims + benches if not o["passed"]]
    log(f"wrote {snakemake.output.passes} and {snakemake.output.cycles} ({len(rows)} layer/dataflow pairs)"
        + (f"; failed: {'; '.join(failed)}" if failed else ""))
