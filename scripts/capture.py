"""Rule capture: forward hooks record what one QuantConv2d sees and makes for a test batch."""
import torch

from qaccel import data
from qaccel.batches import normalise
from qaccel.capture import capture_layer
from qaccel.stage_log import StageLog
from qaccel.train import load_model

p = snakemake.params
layer = int(snakemake.wildcards.layer)
with StageLog(snakemake.log[0], f"capture layer {layer}") as log:
    torch.set_num_threads(snakemake.threads)
    model = load_model(snakemake.input.model)
    test = data.load(snakemake.input.data)
    stop = min(p.image + p.batch_size, len(test["test_labels"]))
    images = normalise(torch.from_numpy(test["test_images"][p.image:stop]), torch.tensor(p.mean), torch.tensor(p.std))
    captured = capture_layer(model, images, layer)
    captured["image_indices"] = list(range(p.image, stop))
    captured["labels"] = torch.from_numpy(test["test_labels"][p.image:stop])
    torch.save(captured, snakemake.output[0])
    log(f"test images {p.image}..{stop - 1}: input {tuple(captured['input'].shape)}, relu after conv: {captured['relu']}")
