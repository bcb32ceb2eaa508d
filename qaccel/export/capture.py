"""Per-layer activation capture with forward hooks, as the seed's SaveOutput pre-hook.

For one QuantConv2d the capture holds its input (forward pre-hook), its own output, and, when a
ReLU follows the conv directly, that ReLU's output (the next layer's input): the references that
the integer conversion must reproduce. Tensors are cloned because the model's ReLUs are in place.
"""
from __future__ import annotations

import torch

from qaccel.data import check_test_image, normalise
from qaccel.model.layers import CONV_LAYERS, conv_layer
from qaccel.model.vgg import VGGQuant, require_quant_conv


def capture_batch(dataset: dict, first: int, count: int, mean, std,
                  source="the dataset") -> tuple[torch.Tensor, list[int]]:
    """Normalised test images ``first`` .. ``first + count - 1`` (fewer at the split's end), their indices;
    a DatasetError naming capture.image and ``source`` when ``first`` is beyond the split."""
    check_test_image(first, len(dataset["test_labels"]), source)
    stop = min(first + count, len(dataset["test_labels"]))
    images = normalise(torch.from_numpy(dataset["test_images"][first:stop]), torch.tensor(mean), torch.tensor(std))
    return images, list(range(first, stop))


@torch.no_grad()
def capture_layer(model: VGGQuant, images: torch.Tensor, index: int) -> dict:
    """Run ``images`` through ``model`` (eval mode) and return what ``features[index]`` saw and made."""
    conv = require_quant_conv(model, index)
    relu = conv_layer(index).relu_follows
    seen: dict[str, torch.Tensor] = {}

    def save_input(module, inputs):
        seen["input"] = inputs[0].detach().clone()

    def save_output(module, inputs, output):
        seen["conv_output"] = output.detach().clone()

    def save_relu(module, inputs, output):
        seen["relu_output"] = output.detach().clone()

    handles = [conv.register_forward_pre_hook(save_input), conv.register_forward_hook(save_output)]
    if relu:
        handles.append(model.features[index + 1].register_forward_hook(save_relu))
    model.eval()
    try:
        logits = model(images)
    finally:
        for handle in handles:
            handle.remove()
    return {
        "layer": index,
        "relu": relu,
        "act_signed": conv_layer(index).input_signed,
        "w_bits": conv.w_bits,
        "a_bits": conv.a_bits,
        "input": seen["input"],
        "conv_output": seen["conv_output"],
        "reference": seen["relu_output"] if relu else seen["conv_output"],
        "weight_q": conv.weight_q.clone(),
        "act_alpha": conv.act_alpha.detach().clone(),
        "wgt_alpha": conv.weight_quant.wgt_alpha.detach().clone(),
        "logits": logits,
    }


@torch.no_grad()
def capture_conv_inputs(model: VGGQuant, images: torch.Tensor) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """Run ``images`` through ``model`` (eval mode); its logits and every QuantConv2d's input by layer index."""
    seen: dict[int, torch.Tensor] = {}

    def saver(index: int):
        def save_input(module, inputs):
            seen[index] = inputs[0].detach().clone()
        return save_input

    handles = [model.features[index].register_forward_pre_hook(saver(index)) for index in CONV_LAYERS]
    model.eval()
    try:
        logits = model(images)
    finally:
        for handle in handles:
            handle.remove()
    return logits, seen
