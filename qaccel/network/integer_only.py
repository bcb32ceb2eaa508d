"""The integer-only path (FORMATS.md, "Integer-only inference"): what the accelerator runs by itself.

From layer 0's input levels (the float path's, signed) every conv's exact sums are requantized per
output channel (``qaccel.export.requant``) straight into the next layer's levels, max-pooled on the
levels where the model pools, and after the last conv into fixed-point features. Only the classifier
runs on the host, in float32, on ``features / 2^F``. Vectorised over the batch: no per-pixel Python.

``check_requantized`` holds another implementation (a core's read-out) to this path level for level,
naming the image, layer, pixel and channel of a difference.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from qaccel.export.integerize import activation_integers, integer_conv2d
from qaccel.export.requant import (
    RequantConstants,
    RequantWidths,
    fold_model,
    max_pool_levels,
    requantize,
)
from qaccel.model.layers import conv_layer, pooled_after

from .backends import ConvResult
from .checks import first_difference
from .paths import IntegerNetwork, classify


class RequantMismatch(AssertionError):
    """Requantized levels differ from the library's integer-only path."""


@dataclass
class IntegerOnlyResult:
    logits: torch.Tensor  # (N, classes) float32
    outputs: dict[int, np.ndarray]  # conv index -> (N, C, H', W') int64: requantized, then pooled where the model pools
    features: np.ndarray  # (N, C, H', W') int64: the last conv's pooled output in units of 2^-F

    @property
    def predictions(self) -> list[int]:
        return [int(p) for p in self.logits.argmax(1)]


class IntegerOnlyNetwork:
    """A model's integer weights and requantization constants, derived once; ``run`` takes a batch."""

    def __init__(self, model, widths: RequantWidths, integer_tolerance: float):
        self.model = model.eval()
        self.widths = widths
        self.tolerance = integer_tolerance
        self.weights = {index: weight.numpy() for index, weight in IntegerNetwork(model, integer_tolerance).weights.items()}
        self.constants: dict[int, RequantConstants] = fold_model(model, widths)

    def input_levels(self, images: torch.Tensor) -> np.ndarray:
        """Layer 0's levels of normalised images (N, 3, H, W): the float path's, signed."""
        first = self.model.features[min(self.weights)]
        return activation_integers(images, first.act_alpha.detach(), first.a_bits, self.tolerance,
                                   f"layer {min(self.weights)} act_int")[0].numpy()

    def layer(self, index: int, levels: np.ndarray, backend=None) -> tuple[np.ndarray, ConvResult | None]:
        """One conv on its input levels: exact sums, requantized, then pooled where the model pools; on
        ``backend`` (one whose ``requantizes`` is true) where given, with its ConvResult."""
        if backend is None:
            acc = integer_conv2d(torch.from_numpy(levels), torch.from_numpy(self.weights[index])).numpy()
            out = requantize(acc, self.constants[index])
            return (max_pool_levels(out) if pooled_after(index) else out), None
        result = backend.convolve_requantized(index, levels, self.weights[index], conv_layer(index).input_signed,
                                              self.constants[index])
        return result.outputs, result

    @torch.no_grad()
    def run(self, images: torch.Tensor, backend=None,
            after_layer: Callable[[int, np.ndarray, ConvResult | None], None] | None = None) -> IntegerOnlyResult:
        """``images``: normalised (N, 3, H, W). ``after_layer`` sees each conv's levels (and the backend's
        result) as soon as they exist: a backend with ``run_network`` (the core) runs every conv at once,
        the others a conv at a time."""
        levels = self.input_levels(images)
        whole = backend.run_network(self.weights, self.constants, levels) if hasattr(backend, "run_network") else None
        outputs = {}
        for index in sorted(self.weights):
            if whole is not None:
                levels, result = whole[index].outputs, whole[index]
            else:
                levels, result = self.layer(index, levels, backend)
            if after_layer is not None:
                after_layer(index, levels, result)
            outputs[index] = levels
        features = torch.from_numpy(levels).float() / 2.0**self.widths.feature_frac_bits
        return IntegerOnlyResult(logits=classify(self.model, features), outputs=outputs, features=levels)


def check_requantized(expected: np.ndarray, got: np.ndarray, layer: int, images: list[int], source: str) -> None:
    """``got`` (N, C, H, W) from ``source`` against the library's levels; ``images`` are the batch's test
    indices. Raise RequantMismatch naming the first difference by image, layer, pixel and channel."""
    difference = first_difference(expected, got, layer, images, source, "the integer-only path", "N, C, H, W",
                                  RequantMismatch)
    if difference:
        (n, channel, y, x), count = difference
        raise RequantMismatch(
            f"image {images[n]}, layer {layer}, pixel {y * expected.shape[3] + x} (y {y}, x {x}), channel {channel}: "
            f"{source} {int(got[n, channel, y, x])}, integer-only path {int(expected[n, channel, y, x])} "
            f"({count} of {expected.size} requantized values differ in this layer)")
