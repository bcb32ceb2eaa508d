"""Rule dse_figures: the design-space sweep's Pareto figures, speed and energy per image against area."""
import json
from pathlib import Path

from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "dse figures") as log:
    rows = json.loads(Path(snakemake.input.summary).read_text())["rows"]
    figures.dse_speed(rows, snakemake.output.speed)
    figures.dse_energy(rows, snakemake.output.energy)
    log(f"wrote {snakemake.output.speed} and {snakemake.output.energy} ({len(rows)} points)")
