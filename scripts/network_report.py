"""Rule network_report: accuracy of each path side by side and per-layer widths and cycles, both dataflows."""
from qaccel.network.merge import report_tables
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "network report"):
    report_tables(list(snakemake.input.summaries), snakemake.output.accuracy, snakemake.output.layers)
