"""Rule memory_bound_figure: the network's cycles per image against the DRAM's bytes per cycle."""
from qaccel.network.bandwidth import read_table
from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "memory-bound figure") as log:
    rows = read_table(snakemake.input.table)
    figures.memory_bound(rows, snakemake.output.figure)
    log(f"wrote {snakemake.output.figure} from {len(rows)} layer rows")
