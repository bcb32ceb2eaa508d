"""Rule network_figure: the whole network's accuracy per path (float, integer, integer-only, the backend's)
and the core's energy per image by layer, per dataflow."""
import json
from pathlib import Path

from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "network figure") as log:
    summaries = [json.loads(Path(path).read_text()) for path in snakemake.input.summaries]
    figures.network_accuracy(summaries, snakemake.output.accuracy)
    figures.network_energy(summaries, snakemake.output.energy)
    accuracies = [f"{s['dataflow']} " + ", ".join(f"{path} {s['accuracy_percent'][path]}%"
                                                  for path in ("float", "integer", "integer_only", "rtl"))
                  for s in summaries]
    log(f"wrote {snakemake.output.accuracy} and {snakemake.output.energy}: {'; '.join(accuracies)}")
