"""The integer path through the whole network, and the float model's quantised levels per layer.

Integer path (FORMATS.md): for each QuantConv2d, ``act_int`` from the layer's own activation
quantizer and ``weight_int`` from its weight quantizer (``qaccel.export.integerize``), the sums from a
convolution backend, then on the host ``out_int * act_scale * weight_scale`` and the model's own
modules that follow (BatchNorm with running statistics, ReLU, max-pool) up to the next conv; after
the last one, flatten and the model's classifier.

Every step before the classifier is elementwise or exact, so an image's integers do not depend on
which other images share its batch. The classifier (a matrix product, whose summation order can
change with the batch size) runs image by image, so that sharding never changes a result.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch

from qaccel.export.capture import capture_conv_inputs
from qaccel.export.integerize import activation_integers, recover, weight_integers
from qaccel.model.layers import conv_layer
from qaccel.model.quant import QuantConv2d, activation_levels_before_rounding
from qaccel.model.vgg import VGGQuant

from .backends import ConvResult


@dataclass
class ConvTrace:
    """One QuantConv2d of the integer path over a batch."""

    layer: int
    act_signed: bool  # the input does not come out of a ReLU (layer 0: the normalised image)
    act_int: torch.Tensor  # (N, Cin, H, W) int64
    before_rounding: torch.Tensor  # (N, Cin, H, W) float32: what the activation quantizer rounded, in levels
    weight_int: torch.Tensor  # (Cout, Cin, 3, 3) int64
    result: ConvResult
    backend_seconds: float


@dataclass
class PathResult:
    logits: torch.Tensor  # (N, classes)
    convs: list[ConvTrace]

    @property
    def predictions(self) -> list[int]:
        return [int(p) for p in self.logits.argmax(1)]


def classify(model: VGGQuant, features: torch.Tensor) -> torch.Tensor:
    """The model's classifier on its flattened features, one image at a time (see the module docstring)."""
    flat = torch.flatten(features, 1)
    return torch.cat([model.classifier(flat[i : i + 1]) for i in range(flat.shape[0])])


class IntegerNetwork:
    """A model's integer weights, derived once; ``run`` takes a batch through the integer path."""

    def __init__(self, model: VGGQuant, integer_tolerance: float):
        self.model = model.eval()
        self.tolerance = integer_tolerance
        self.weights: dict[int, torch.Tensor] = {}
        self.act_signed: dict[int, bool] = {}  # the input does not come out of a ReLU (layer 0)
        with torch.no_grad():
            for index, module in enumerate(model.features):
                if isinstance(module, QuantConv2d):
                    self.act_signed[index] = conv_layer(index).input_signed
                    self.weights[index], _ = weight_integers(module.weight_quant(module.weight),
                                                             module.weight_quant.wgt_alpha, module.w_bits,
                                                             integer_tolerance, f"layer {index} weight_int")

    @torch.no_grad()
    def run(self, images: torch.Tensor, backend,
            after_conv: Callable[[ConvTrace], None] | None = None) -> PathResult:
        """``images``: normalised (N, 3, H, W). ``after_conv`` sees each conv's trace as soon as it exists."""
        x = images
        convs = []
        for index, module in enumerate(self.model.features):
            if not isinstance(module, QuantConv2d):
                x = module(x)
                continue
            act_int, _ = activation_integers(x, module.act_alpha, module.a_bits, self.tolerance,
                                             f"layer {index} act_int")
            started = time.perf_counter()
            result = backend.convolve(index, act_int.numpy(), self.weights[index].numpy(), self.act_signed[index])
            trace = ConvTrace(layer=index, act_signed=self.act_signed[index], act_int=act_int,
                              before_rounding=activation_levels_before_rounding(x, module.act_alpha, module.a_bits),
                              weight_int=self.weights[index], result=result,
                              backend_seconds=time.perf_counter() - started)
            if after_conv is not None:
                after_conv(trace)
            convs.append(trace)
            outputs = torch.from_numpy(result.outputs)
            x = recover(outputs, module.act_alpha, module.weight_quant.wgt_alpha, module.a_bits, module.w_bits)
        return PathResult(logits=classify(self.model, x), convs=convs)


@dataclass
class FloatLevels:
    """The float model on one image: its logits and, per QuantConv2d, the levels its quantizer chose."""

    logits: torch.Tensor  # (classes,)
    levels: dict[int, torch.Tensor]  # layer -> (Cin, H, W) int64: quantised input / scale
    before_rounding: dict[int, torch.Tensor]  # layer -> (Cin, H, W) float32


@torch.no_grad()
def float_levels(model: VGGQuant, image: torch.Tensor, integer_tolerance: float) -> FloatLevels:
    """``model(image)`` as trained (eval mode), one image, with every conv's input captured by a pre-hook."""
    logits, inputs = capture_conv_inputs(model, image[None])
    levels, before = {}, {}
    for index, x in inputs.items():
        conv = model.features[index]
        levels[index] = activation_integers(x, conv.act_alpha, conv.a_bits, integer_tolerance,
                                            f"float model layer {index} quantised input")[0][0]
        before[index] = activation_levels_before_rounding(x, conv.act_alpha, conv.a_bits).detach()[0]
    return FloatLevels(logits=logits[0].detach(), levels=levels, before_rounding=before)
