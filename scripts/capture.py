"""Rule capture: forward hooks record what one QuantConv2d sees and makes for a test batch."""
import torch

from qaccel import data
from qaccel.export.capture import capture_batch, capture_layer
from qaccel.model.checkpoint import load_model
from qaccel.workflow.stage_log import StageLog

p = snakemake.params
layer = int(snakemake.wildcards.layer)
with StageLog(snakemake.log[0], f"capture layer {layer}") as log:
    torch.set_num_threads(snakemake.threads)
    model = load_model(snakemake.input.model)
    test = data.load(snakemake.input.data)
    images, indices = capture_batch(test, p.image, p.batch_size, p.mean, p.std, source=snakemake.input.data)
    captured = capture_layer(model, images, layer)
    captured["image_indices"] = indices
    captured["labels"] = torch.from_numpy(test["test_labels"][indices])
    torch.save(captured, snakemake.output[0])
    log(f"test images {p.image}..{p.image + len(indices) - 1}: input {tuple(captured['input'].shape)}, "
        f"relu after conv: {captured['relu']}")
