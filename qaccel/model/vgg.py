"""VGG16_quant exactly as the seed prints it, built from the layout in ``qaccel.model.layers``."""
from __future__ import annotations

import torch
import torch.nn as nn

from .layers import CLASSIFIER_INPUTS, FEATURES, conv_layer
from .quant import QuantConv2d


def _module(kind: str, in_channels: int, out_channels: int, w_bits: int, a_bits: int) -> nn.Module:
    if kind == "conv":
        return QuantConv2d(in_channels, out_channels, w_bits=w_bits, a_bits=a_bits)
    if kind == "batchnorm":
        return nn.BatchNorm2d(out_channels)
    if kind == "relu":
        return nn.ReLU(inplace=True)
    if kind == "maxpool":
        return nn.MaxPool2d(kernel_size=2, stride=2)
    if kind == "avgpool":
        return nn.AvgPool2d(kernel_size=1, stride=1)
    raise ValueError(f"qaccel.model.layers.FEATURES: unknown module kind {kind!r}")


class VGGQuant(nn.Module):
    def __init__(self, *, w_bits: int, a_bits: int, num_classes: int = 10):
        """``w_bits``, ``a_bits``: the config's quant section (the schema holds their defaults)."""
        super().__init__()
        self.features = nn.Sequential(*(_module(f.kind, f.in_channels, f.out_channels, w_bits, a_bits)
                                        for f in FEATURES))
        self.classifier = nn.Linear(CLASSIFIER_INPUTS, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def require_quant_conv(model: VGGQuant, index: int) -> QuantConv2d:
    """``model.features[index]``, or a ValueError naming the index and what sits there."""
    conv_layer(index)
    return model.features[index]
