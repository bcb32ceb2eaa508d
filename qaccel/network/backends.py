"""Where a QuantConv2d's integer sums come from in whole-network inference.

A backend takes one layer of a batch of images at a time: ``act_int`` (N, Cin, H, W) and
``weight_int`` (Cout, Cin, 3, 3), both int64, and returns the raw conv sums (before BatchNorm or
ReLU) with the cycles they took. ``IntegerConvBackend`` is the reference: exact integer arithmetic
in software. The simulated core has the same ``convolve`` method; ``BACKENDS`` maps the config's
``network.backend`` names to factories that all take ``(build_dir, dataflow, hardware)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..integerize import integer_conv2d


@dataclass
class ConvResult:
    outputs: np.ndarray  # (N, Cout, H, W) int64: raw conv sums, before BatchNorm/ReLU
    cycles: list[int] | None  # core cycles per image (None for a software backend)
    model_cycles: int | None  # SCALE-Sim model cycles for one image of this layer
    ideal_cycles: int | None  # MACs / (rows * cols) for one image


class IntegerConvBackend:
    """Exact integer convolution on the host: the reference every other backend is checked against."""

    def convolve(self, layer: int, act_int: np.ndarray, weight_int: np.ndarray, act_signed: bool) -> ConvResult:
        outputs = integer_conv2d(torch.from_numpy(act_int), torch.from_numpy(weight_int)).numpy()
        return ConvResult(outputs=outputs, cycles=None, model_cycles=None, ideal_cycles=None)


# The software backend has no array: it ignores the dataflow and the hardware.
BACKENDS = {"software": lambda build_dir, dataflow, hardware: IntegerConvBackend()}


def conv_backend(name: str, build_dir: Path | None, dataflow: str, hardware: dict):
    """The backend ``network.backend`` names, for one dataflow and array."""
    if name not in BACKENDS:
        raise ValueError(f"network.backend {name!r}: expected one of {sorted(BACKENDS)}")
    return BACKENDS[name](build_dir, dataflow, hardware)
