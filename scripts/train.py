"""Rule train: quantization-aware training -> model.pt (state dict) and metrics.json."""
from qaccel.stage_log import StageLog
from qaccel.train import Recipe, RunSettings, train

p = snakemake.params
settings = RunSettings(**{**p.settings, "mean": tuple(p.settings["mean"]), "std": tuple(p.settings["std"]),
                          "threads": snakemake.threads})
with StageLog(snakemake.log[0], "train") as log:
    train(snakemake.input.data, snakemake.output.model, snakemake.output.metrics, p.resume,
          Recipe.from_dict(p.recipe), settings, log=log)
