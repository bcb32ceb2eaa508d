"""Where a QuantConv2d's integer sums come from in whole-network inference.

A backend takes one layer of a batch of images at a time: ``act_int`` (N, Cin, H, W) and
``weight_int`` (Cout, Cin, 3, 3), both int64, and returns the raw conv sums (before BatchNorm or
ReLU) with the cycles they took. ``IntegerConvBackend`` is the reference: exact integer arithmetic
in software. ``CoreConvBackend`` runs the convs on the simulated core (a build of
rtl/bench/layer_bench.v). ``BACKENDS`` maps the config's ``network.backend`` names to factories that
all take ``(build_dir, dataflow, hardware)``.

A backend whose ``requantizes`` is true also turns a layer's sums into the next layer's levels,
pooled where the model pools: whole-network runs then take it through the integer-only path
(FORMATS.md, "Integer-only inference") and check its levels layer by layer. The software backend does,
with the library's requantizer, a layer at a time (``convolve_requantized``); the core runs the whole
network as one program per image (``run_network``: each conv a RUN and a DRAIN on its read-out path,
rtl/readout.v, the maps passing on chip) and sends every layer's levels out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qaccel.export.integerize import integer_conv2d
from qaccel.export.requant import (
    RequantConstants,
    max_pool_levels,
    requantize,
)
from qaccel.model.layers import pooled_after
from qaccel.rtl.bench_run import DramTiming
from qaccel.rtl.build import BenchBuild
from qaccel.rtl.conv_runs import run_chain
from qaccel.rtl.program import Readout


@dataclass
class ConvResult:
    outputs: np.ndarray  # (N, Cout, H, W) int64: raw conv sums, before BatchNorm/ReLU (or the levels: convolve_requantized)
    cycles: list[int] | None  # core cycles per image (None for a software backend)
    model_cycles: int | None  # the per-fold model's cycles (qaccel/rtl/cycles.py) for one image of this layer
    ideal_cycles: float | None  # MACs / (rows * cols) for one image
    sim_seconds: float | None = None  # the simulator's wall time for the batch (None for a software backend)
    energy_uj: list[dict[str, float]] | None = None  # per image: compute, sram, dram, total (None in software)
    # One image's cycles waiting for the DMA and bytes read from DRAM (the same for every image; None in software)
    dma_stall_cycles: int | None = None
    dram_bytes: float | None = None


class IntegerConvBackend:
    """Exact integer convolution on the host: the reference every other backend is checked against."""

    requantizes = False

    def convolve(self, layer: int, act_int: np.ndarray, weight_int: np.ndarray, act_signed: bool) -> ConvResult:
        outputs = integer_conv2d(torch.from_numpy(act_int), torch.from_numpy(weight_int)).numpy()
        return ConvResult(outputs=outputs, cycles=None, model_cycles=None, ideal_cycles=None)


class SoftwareBackend(IntegerConvBackend):
    """``network.backend: software``: exact sums, requantized and pooled as the library's integer-only path."""

    requantizes = True

    def requantize(self, layer: int, sums: np.ndarray, constants: RequantConstants) -> np.ndarray:
        levels = requantize(sums, constants)
        return max_pool_levels(levels) if pooled_after(layer) else levels

    def convolve_requantized(self, layer: int, act_int: np.ndarray, weight_int: np.ndarray, act_signed: bool,
                             constants: RequantConstants) -> ConvResult:
        result = self.convolve(layer, act_int, weight_int, act_signed)
        result.outputs = self.requantize(layer, result.outputs, constants)
        return result


class CoreConvBackend:
    """The simulated core: the whole network as one program per image, a batch in one run of the built
    bench (qaccel.rtl.conv_runs.run_chain), every layer's sums requantized and pooled on the core."""

    requantizes = True

    def __init__(self, build_dir: Path, dataflow: str, hardware: dict):
        self.build = BenchBuild.load(build_dir)
        self.dataflow = dataflow
        self.dram = DramTiming(hardware["dram_latency"], hardware["dram_bytes_per_cycle"])
        built = self.build.parameters
        wanted = (hardware["rows"], hardware["cols"], hardware["act_bits"], hardware["act_signed"], hardware["psum_bits"])
        if (built.rows, built.cols, built.act_bits, built.act_signed, built.psum_bits) != wanted:
            raise ValueError(f"{build_dir} holds a {built.key()} core; the hardware config asks for rows, cols, "
                             f"act_bits, act_signed, psum_bits = {wanted}")

    def run_network(self, weights: dict[int, np.ndarray], constants: dict[int, RequantConstants],
                    act_int: np.ndarray) -> dict[int, ConvResult]:
        """Every conv (``weights`` and ``constants`` by layer index) on the first layer's levels
        ``act_int`` (N, Cin, H, W): each layer's levels and figures, by layer index."""
        order, layers = readout_layers(weights, constants)
        results = run_chain(self.build, self.dataflow, act_int, layers, f"network {self.dataflow}",
                            names=[f"layer {index}" for index in order], dram=self.dram)
        return {index: ConvResult(outputs=runs.outputs, cycles=runs.cycles, model_cycles=runs.model_cycles,
                                  ideal_cycles=runs.ideal_cycles, sim_seconds=runs.sim_seconds,
                                  energy_uj=runs.energy_uj, dma_stall_cycles=runs.dma_stall_cycles,
                                  dram_bytes=runs.dram_bytes)
                for index, runs in zip(order, results)}


def readout_layers(weights: dict[int, np.ndarray], constants: dict[int, RequantConstants]
                   ) -> tuple[list[int], list[tuple[np.ndarray, Readout]]]:
    """The convs in order (their layer indices) and each one's (weights, Readout: its requantization
    constants, pooled where VGG16 pools after it), as qaccel.rtl.conv_runs.run_chain takes them."""
    order = sorted(weights)
    return order, [(weights[index], Readout(constants[index].multiplier, constants[index].bias, constants[index].shift,
                                            constants[index].out_bits, pooled_after(index)))
                   for index in order]


# The software backend has no array: it ignores the dataflow and the hardware.
BACKENDS = {"software": lambda build_dir, dataflow, hardware: SoftwareBackend(),
            "core": CoreConvBackend}


def conv_backend(name: str, build_dir: Path | None, dataflow: str, hardware: dict):
    """The backend ``network.backend`` names, for one dataflow and array."""
    if name not in BACKENDS:
        raise ValueError(f"network.backend {name!r}: expected one of {sorted(BACKENDS)}")
    return BACKENDS[name](build_dir, dataflow, hardware)
