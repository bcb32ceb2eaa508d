"""Rule network_figure: the whole network's accuracy per path (float, integer, RTL) and dataflow."""
import json
from pathlib import Path

from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "network figure") as log:
    summaries = [json.loads(Path(path).read_text()) for path in snakemake.input.summaries]
    figures.network_accuracy(summaries, snakemake.output[0])
    accuracies = [f"{s['dataflow']} " + ", ".join(f"{path} {s['accuracy_percent'][path]}%"
                                                  for path in ("float", "integer", "rtl")) for s in summaries]
    log(f"wrote {snakemake.output[0]}: {'; '.join(accuracies)}")
