"""Rule rtl_figures: the RTL pass matrix and the cycles against the model and the ideal (summary.json),
with each simulation's rate (sim.json: wall clock, so not in the summary)."""
import json
from pathlib import Path

from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "rtl figures") as log:
    rows = json.loads(Path(snakemake.input.summary).read_text())["layers"]
    sims = {(sim["layer"], sim["dataflow"]): sim for sim in (json.loads(Path(p).read_text()) for p in snakemake.input.sims)}
    rows = [{**row, "mismatches": sims[row["layer"], row["dataflow"]].get("mismatches"),
             "cycles_per_second": sims[row["layer"], row["dataflow"]].get("cycles_per_second")} for row in rows]
    figures.rtl_pass_matrix(rows, snakemake.output.passes)
    figures.rtl_cycles(rows, snakemake.output.cycles)
    log(f"wrote {snakemake.output.passes} and {snakemake.output.cycles} ({len(rows)} layer/dataflow pairs)")
