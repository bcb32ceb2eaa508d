"""The workload a profile-guided Verilator build is trained on (qaccel.rtl.build.build_bench's
``training``; config ``sim.profile_guided``).

g++ compiles the verilated model once instrumented; the bench then runs small random programs that
take the core through the paths real runs take (both dataflows; for a network build a chain of
three convs with its LOADs, DMA, DRAINs, requantization, pooling and maps passed on chip, otherwise
one conv read back through the host port), and g++ compiles it again with the branch and call
counts of that run. The model's behaviour is the same (the same Verilog, the same C++); only the
machine code's layout and inlining follow the profile. The programs' results are not checked: the
builds' own runs are.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .bench_run import DramTiming, run_programs
from .build import BenchBuild
from .conv_runs import chain_cycle_limit
from .cycles import core_cycles, watchdog_cycles
from .program import CoreShape, Readout, compile_chain, compile_layer, map_images

TRAINING_SEED = 20261207
MAP_SIZE = 16  # the first conv's map (pixels a side); the chain pools it once
REQUANT_SHIFT = 14


def _weights(rng: np.random.Generator, out_channels: int, in_channels: int, weight_bits: int) -> np.ndarray:
    bound = 1 << (weight_bits - 1)
    return rng.integers(-bound, bound, (out_channels, in_channels, 3, 3))


def _map(rng: np.random.Generator, channels: int, size: int, act_bits: int, signed: bool) -> np.ndarray:
    low, high = (-(1 << (act_bits - 1)), 1 << (act_bits - 1)) if signed else (0, 1 << act_bits)
    return rng.integers(low, high, (1, channels, size, size))


def _chain_layers(rng: np.random.Generator, shape: CoreShape) -> tuple[np.ndarray, list]:
    """Two input tiles of channels in, two output tiles out (pooled), two, then one tile with wide levels."""
    rows, cols = shape.rows, shape.cols
    plan = [(2 * rows, 2 * cols, True), (2 * cols, 2 * cols, False), (2 * cols, cols, False)]
    stored_bits = shape.act_bits - shape.act_signed  # levels stored as the next layer's map
    layers = []
    for index, (in_channels, out_channels, pool) in enumerate(plan):
        last = index == len(plan) - 1
        readout = Readout(rng.integers(1, 1 << 10, out_channels), np.zeros(out_channels, dtype=np.int64),
                          np.full(out_channels, REQUANT_SHIFT), shape.level_bits if last else stored_bits, pool)
        layers.append((_weights(rng, out_channels, in_channels, shape.weight_bits), readout))
    # A chain's first map is levels too: non-negative, of the stored width.
    first = rng.integers(0, 1 << stored_bits, (1, plan[0][0], MAP_SIZE, MAP_SIZE))
    return first, layers


def chain_trainable(build: BenchBuild) -> bool:
    """A network build (a DRAM for the DMA) of a square array: the training runs a chain."""
    parameters = build.parameters
    return parameters.dram_addr_bits is not None and parameters.rows == parameters.cols


def train(build: BenchBuild, workdir: Path) -> str:
    """Run the training programs on the instrumented ``build`` in ``workdir``; returns what ran."""
    shape = build.parameters.shape
    rng = np.random.default_rng(TRAINING_SEED)
    ran = []
    for dataflow in ("ws", "os"):
        if chain_trainable(build):
            first, layers = _chain_layers(rng, shape)
            program = compile_chain(dataflow, first[0], layers, shape, "profile training")
            dram = DramTiming()
            run_programs(build, program, map_images(first, shape, "profile training"), workdir / dataflow,
                         chain_cycle_limit(program, dram), dram=dram)
            ran.append(f"{dataflow}: a chain of {len(layers)} convs on a {MAP_SIZE}x{MAP_SIZE} map")
        else:
            act = _map(rng, 2 * shape.rows, MAP_SIZE, shape.act_bits, shape.act_signed)
            weight = _weights(rng, 2 * shape.cols, 2 * shape.rows, shape.weight_bits)
            program = compile_layer(dataflow, act[0], weight, shape, "profile training")
            conv = program.conv
            run_programs(build, program, map_images(act, shape, "profile training"), workdir / dataflow,
                         watchdog_cycles(core_cycles(dataflow, conv, shape.rows, shape.cols)))
            ran.append(f"{dataflow}: one conv {conv.in_channels}->{conv.out_channels} on {MAP_SIZE}x{MAP_SIZE}")
    return "; ".join(ran)
