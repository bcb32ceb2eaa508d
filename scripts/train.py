"""Rule train: qaccel.training.train.train (what `python -m qaccel.training.train` runs) on the rule's files.

The recipe and run settings arrive as params (JSON, keys sorted). log_every is read from the config,
not a param: it shapes only the log, so changing it must not retrain.
"""
import json
from pathlib import Path

from qaccel.training.train import RunSettings, choose_recipe, resolve_device, train
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
settings = RunSettings.from_dict({**json.loads(p.settings), "threads": snakemake.threads,
                                  "log_every": snakemake.config["train"]["log_every"]})
with StageLog(snakemake.log[0], "train") as log:
    train(Path(snakemake.input.data), Path(snakemake.output.model), Path(snakemake.output.metrics), Path(p.resume),
          choose_recipe(json.loads(p.recipe), resolve_device(settings.device), log), settings, log=log)
