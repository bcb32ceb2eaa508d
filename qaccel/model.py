"""VGG16_quant exactly as the seed prints it.

The 8-channel squeeze sits at ``features[24]`` (256 -> 8, with BatchNorm) and ``features[27]``
(8 -> 8, no BatchNorm: conv then ReLU), followed by ``features[29]`` (8 -> 512).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .quant import QuantConv2d

# Output channels per conv; "M" is a 2x2 max-pool. "8" entries are the squeeze; the second one has
# no BatchNorm, which is what makes features[27] a conv -> ReLU layer.
_LAYOUT = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 8, "8-nobn", 512, "M", 512, 512, 512, "M"]


class VGGQuant(nn.Module):
    def __init__(self, w_bits: int = 4, a_bits: int = 4, num_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 3
        for entry in _LAYOUT:
            if entry == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                continue
            batch_norm = entry != "8-nobn"
            out_channels = 8 if entry == "8-nobn" else int(entry)
            layers.append(QuantConv2d(in_channels, out_channels, w_bits=w_bits, a_bits=a_bits))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
            in_channels = out_channels
        layers.append(nn.AvgPool2d(kernel_size=1, stride=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def quant_conv_indices(model: VGGQuant) -> list[int]:
    """Indices in ``model.features`` of every QuantConv2d."""
    return [i for i, m in enumerate(model.features) if isinstance(m, QuantConv2d)]


def relu_follows_directly(model: VGGQuant, index: int) -> bool:
    """True when the conv's output goes straight into a ReLU (no BatchNorm between)."""
    following = model.features[index + 1] if index + 1 < len(model.features) else None
    return isinstance(following, nn.ReLU)


def require_quant_conv(model: VGGQuant, index: int) -> QuantConv2d:
    """``model.features[index]``, or a ValueError naming the index and what sits there."""
    if not 0 <= index < len(model.features):
        raise ValueError(f"layer {index}: model.features has only {len(model.features)} modules")
    module = model.features[index]
    if not isinstance(module, QuantConv2d):
        raise ValueError(
            f"layer {index}: model.features[{index}] is {type(module).__name__}, not a QuantConv2d; "
            f"QuantConv2d layers are {quant_conv_indices(model)}"
        )
    return module
