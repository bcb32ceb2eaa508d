"""Rule training_figures: the training curves (metrics.json) and the learnt quantizer scales (model.pt)."""
import json
from pathlib import Path

from qaccel.model.checkpoint import load_model
from qaccel.model.layers import CONV_LAYERS
from qaccel.workflow import figures
from qaccel.workflow.stage_log import StageLog

with StageLog(snakemake.log[0], "training figures") as log:
    metrics = json.loads(Path(snakemake.input.metrics).read_text())
    figures.training_curves(metrics["epochs"], metrics["final_test_acc"], snakemake.output.curves)
    model = load_model(snakemake.input.model)
    layers = sorted(CONV_LAYERS)
    convs = [model.features[layer] for layer in layers]
    figures.alphas(layers, [float(conv.act_alpha) for conv in convs],
                   [float(conv.weight_quant.wgt_alpha) for conv in convs], snakemake.params.exported,
                   snakemake.output.alphas)
    log(f"wrote {snakemake.output.curves} ({len(metrics['epochs'])} epochs) and {snakemake.output.alphas}")
