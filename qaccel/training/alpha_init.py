"""Quantizer scales from the statistics of the float-trained network (recipe key ``alpha_init: mse``).

After a float warm-up (``float_warmup_epochs``) the seed's fixed initial scales (``act_alpha`` 8,
``wgt_alpha`` 3) no longer fit what the layers compute: the normalised image spans about [-2, 2],
and a BatchNorm-ReLU output rarely reaches 8, so most of the 15 activation levels would go unused
when quantization switches on. Instead each QuantConv2d gets:

- ``act_alpha``: the clipping value that minimises the squared quantisation error of the layer's
  input, as the float network computes it on the first ``IMAGES`` training images (no augmentation,
  one batch in training mode: BatchNorm normalises with the batch's statistics, as in the QAT steps
  that follow; its running statistics, which lag behind after a short warm-up and then gave alphas
  near zero, are left as they were);
- ``wgt_alpha``: the one that minimises the squared error of its normalised weight.

Candidates are ``CANDIDATES`` evenly spaced values up to the largest magnitude; the first minimum
wins. The error is summed in float64 over an evenly strided sample of at most ``SAMPLE_SIZE``
elements (an odd stride, so that it cycles through every channel and pixel position); the
quantizers are the reference ones of ``qaccel.model.quant``.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn as nn

from qaccel.data import normalise
from qaccel.model.quant import (
    QuantConv2d,
    quant_convs,
    quantize_activation,
    quantize_normalised_weight,
    set_quantization,
    weight_statistics,
)

IMAGES = 512
CANDIDATES = 100
SAMPLE_SIZE = 2**18


def strided_sample(values: torch.Tensor, size: int = SAMPLE_SIZE) -> torch.Tensor:
    """At most ``size`` elements of ``values`` (in logical order), every ``stride``-th with an odd stride."""
    flat = values.reshape(-1)
    stride = math.ceil(flat.numel() / size) | 1
    return flat[::stride]


def mse_optimal_alpha(values: torch.Tensor, quantize: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> float:
    """The candidate alpha with the least ``sum((quantize(values, alpha) - values)^2)``, in float64."""
    values = values.double()
    top = values.abs().max()
    if not top > 0:
        raise ValueError("cannot fit a quantizer scale to values that are all zero")
    grid = top * torch.arange(1, CANDIDATES + 1, dtype=torch.float64, device=values.device) / CANDIDATES
    errors = torch.stack([(quantize(values, alpha) - values).square().sum() for alpha in grid])
    return grid[errors.argmin()].item()


@torch.no_grad()
def float_layer_inputs(model: nn.Module, images: torch.Tensor) -> dict[QuantConv2d, torch.Tensor]:
    """A strided sample of each QuantConv2d's input in the float network (quantizers bypassed), with
    ``images`` as one training batch; BatchNorm's running statistics are restored afterwards."""
    convs = quant_convs(model)
    samples = {}

    def keep_sample(conv, inputs):
        samples[conv] = strided_sample(inputs[0])

    handles = [conv.register_forward_pre_hook(keep_sample) for conv in convs]
    quantizing, training = [conv.quantize for conv in convs], model.training
    buffers = {name: buffer.clone() for name, buffer in model.named_buffers()}
    set_quantization(model, False)
    model.train()
    try:
        model(images)
    finally:
        for handle, conv, flag in zip(handles, convs, quantizing):
            handle.remove()
            conv.quantize = flag
        for name, buffer in model.named_buffers():
            buffer.copy_(buffers[name])
        model.train(training)
    return samples


@torch.no_grad()
def set_alphas_from_statistics(model: nn.Module, train_images: np.ndarray, mean, std) -> str:
    """Set every QuantConv2d's alphas from the float network's statistics; returns a line for the log."""
    device = next(model.parameters()).device
    count = min(IMAGES, len(train_images))
    images = normalise(torch.from_numpy(train_images[:count]).to(device), torch.tensor(mean, device=device),
                       torch.tensor(std, device=device))
    inputs = float_layer_inputs(model, images)
    chosen = []
    for conv in quant_convs(model):
        act = mse_optimal_alpha(inputs[conv], lambda v, alpha: quantize_activation(v, alpha, conv.a_bits))
        weight_mean, weight_std = weight_statistics(conv.weight)
        normalised = strided_sample((conv.weight - weight_mean) / weight_std)
        wgt = mse_optimal_alpha(normalised, lambda v, alpha: quantize_normalised_weight(v, alpha, conv.w_bits))
        conv.act_alpha.fill_(act)
        conv.weight_quant.wgt_alpha.fill_(wgt)
        chosen.append(f"{act:.2f}/{wgt:.2f}")
    return (f"alphas from the float network (least squared error over {count} training images), act/wgt per "
            f"layer: {' '.join(chosen)}")
