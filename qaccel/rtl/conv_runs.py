"""Convolutions of a batch of images on the simulated core, from integer arrays in memory (no vector
files).

``run_convs``: one layer. One simulator process runs it for the whole batch (the program and the
weights are loaded once; each image brings its map); each image's raw sums are read back from the
accumulator, or, with a ``Readout``, the levels the core's DRAIN sent out (requantized and pooled on
the core).

``run_chain``: several layers as one program per image (qaccel.rtl.program.compile_chain: the maps
pass on chip), what the whole-network run uses. Each image brings its first map; every layer's levels
come back from the level port, and its cycles and events from the counts at the end of its DRAIN.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qaccel.hw.energy import chain_host_words, host_words, run_energy, split_uj

from .bench_run import CoreRun, DramTiming, SimulationError, describe_stuck, run_programs
from .build import BenchBuild
from .cycles import (chain_cycles, chain_layer_cycles, core_cycles, drain_cycles, fold_model_cycles, ideal_cycles,
                     watchdog_cycles)
from .program import ConvShape, Readout, compile_chain, compile_layer, map_images, with_readout


@dataclass
class CoreConvs:
    """A layer of N images on the core."""

    outputs: np.ndarray  # (N, Cout, H, W) raw sums, before BatchNorm/ReLU; with a readout (N, Cout, H', W') levels
    cycles: list[int]    # core cycles per image (start to done)
    formula_cycles: int  # rtl/README.md's timing formula for one image
    model_cycles: int    # the per-fold model (cycles.py) for one image
    ideal_cycles: float  # MACs / (rows * cols)
    sim_seconds: float   # the simulator's wall time for the batch
    energy_uj: list[dict[str, float]]  # per image: compute, sram, dram, total (qaccel.hw.energy)
    # One image's cycles waiting for the DMA (a chain's) and bytes from DRAM: the same for every image.
    dma_stall_cycles: int = 0
    dram_bytes: float = 0.0


def run_convs(build: BenchBuild, dataflow: str, act_int: np.ndarray, weight_int: np.ndarray, label: str,
              workdir: Path | None = None, readout: Readout | None = None) -> CoreConvs:
    """``act_int`` (N, Cin, H, W) and ``weight_int`` (Cout, Cin, 3, 3) integers through the core, and
    with ``readout`` out through its requantizer and max-pool.

    A value that does not fit the core's lanes is an error naming ``label`` (nothing is wrapped); a
    core that stops early, hangs or raises a status flag is an error naming the image.
    """
    shape = build.parameters.shape
    act_int = np.asarray(act_int, dtype=np.int64)
    images, cin, height, width = act_int.shape
    conv = ConvShape(cin, int(weight_int.shape[0]), height, width)
    # The instructions and weights are the same for every image (compiled once, with image 0's map, which
    # the host's words count); each image brings its map.
    program = compile_layer(dataflow, act_int[0], weight_int, shape, f"{label} image 0")
    formula = core_cycles(dataflow, conv, shape.rows, shape.cols)
    if readout is not None:
        program = with_readout(program, readout, label)
        formula += drain_cycles(conv, shape.cols)
    limit = watchdog_cycles(formula)
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        runs, seconds = run_programs(build, program, map_images(act_int, shape, label), Path(scratch), limit)
    _check_runs(runs, images, program, label, limit)
    outputs = np.empty((images, conv.out_channels, *program.out_size), dtype=np.int64)
    for index, run in enumerate(runs):
        outputs[index] = (program.levels_output(run.levels) if readout is not None
                          else program.raw_output(run.raw).T.reshape(conv.out_channels, height, width))
    energies = [run_energy(run.values, build.parameters, host_words(program)) for run in runs]
    return CoreConvs(outputs, [run.cycles for run in runs], formula,
                     fold_model_cycles(dataflow, conv, shape.rows, shape.cols)["cycles"],
                     ideal_cycles(conv, shape.rows, shape.cols), seconds, [split_uj(energy) for energy in energies],
                     dram_bytes=energies[0]["dram_bytes"])


def run_chain(build: BenchBuild, dataflow: str, act_int: np.ndarray, layers: list[tuple[np.ndarray, Readout]],
              label: str, names: list[str] | None = None, workdir: Path | None = None,
              dram: DramTiming = DramTiming()) -> list[CoreConvs]:
    """``act_int`` (N, Cin, H, W), the first layer's maps, through ``layers`` ((weights, readout) each) as
    one program per image; per layer a CoreConvs of its levels (N, Cout, H', W'). Its cycles and energy
    are what the core took from the end of the DRAIN before to the end of the layer's own (the last
    layer's: to done, with the HALT); its formula cycles the chain formula's share of them
    (chain_layer_cycles), which they exceed by the cycles its tiles waited for the DMA (dma_stall_cycles,
    the bench's count; ``dram`` times the bench's DRAM); the simulator ran all layers in one process, so
    each layer's sim_seconds is its share of the run's seconds by cycles. Errors as run_convs's, naming
    the image; a layer whose cycles are not its formula's and its stalls, or whose stalls or DRAM bytes
    differ between images (no data changes the core's timing), is an error too."""
    shape = build.parameters.shape
    act_int = np.asarray(act_int, dtype=np.int64)
    program = compile_chain(dataflow, act_int[0], layers, shape, label, names)
    shares = chain_layer_cycles([(dataflow, layer.conv) for layer in program.layers], shape.rows, shape.cols)
    limit = chain_cycle_limit(program, dram)
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        runs, seconds = run_programs(build, program, map_images(act_int, shape, label), Path(scratch), limit,
                                     dram=dram)
    _check_runs(runs, len(act_int), program, label, limit)
    per_image = [run.layer_values() for run in runs]
    levels = [program.levels_outputs(run.levels) for run in runs]  # per image, per layer
    moved = chain_host_words(program)
    total_cycles = sum(run.cycles for run in runs)
    results = []
    for index, (layer, share) in enumerate(zip(program.layers, shares)):
        conv = layer.conv
        outputs = np.stack([image_levels[index] for image_levels in levels])
        cycles = [values[index]["perf_cycles"] for values in per_image]
        stalls = {values[index]["dma_stalls"] for values in per_image}
        energies = [run_energy(values[index], build.parameters, moved[index]) for values in per_image]
        dram_bytes = {energy["dram_bytes"] for energy in energies}
        where = f"{label} {(names or [f'layer {position}' for position in range(len(layers))])[index]}"
        if len(stalls) != 1 or len(dram_bytes) != 1:
            raise SimulationError(f"{where}: the images waited {sorted(stalls)} cycles for the DMA and read "
                                  f"{sorted(dram_bytes)} bytes of DRAM; the same program must take the same")
        (stall,) = stalls
        if any(cycle != share + stall for cycle in cycles):
            raise SimulationError(f"{where}: {cycles} cycles per image, the chain formula's share {share:,} and "
                                  f"{stall:,} cycles waiting for the DMA")
        results.append(CoreConvs(
            outputs, cycles, share, fold_model_cycles(dataflow, conv, shape.rows, shape.cols)["cycles"],
            ideal_cycles(conv, shape.rows, shape.cols), seconds * sum(cycles) / total_cycles,
            [split_uj(energy) for energy in energies], stall, dram_bytes.pop()))
    return results


def chain_cycle_limit(program, dram: DramTiming) -> int:
    """The bench's cycle limit for a chain: the watchdog over its formula and the most it could wait for
    its DMA, every beat of DRAM brought with nothing overlapped and each tile's request paying the
    latency."""
    shape = program.shape
    formula = chain_cycles([(program.dataflow, layer.conv) for layer in program.layers], shape.rows, shape.cols)
    tiles = sum(layer.out_tiles for layer in program.layers)
    per_beat = shape.dram_beat_bits / (dram.bytes_per_cycle * 8)
    return watchdog_cycles(formula + int(tiles * (dram.latency + 4) + len(program.dram_bits) * max(1.0, per_beat)))


def _check_runs(runs: list[CoreRun], images: int, program, label: str, limit: int) -> None:
    """Every image ran to done within the bench's cycle ``limit`` with no status flag raised, or a
    SimulationError naming it."""
    if len(runs) != images:
        raise SimulationError(f"{label}: the bench reported {len(runs)} of {images} images")
    for index, run in enumerate(runs):
        where = f"{label} image {index}"
        if run.timed_out:
            raise SimulationError(describe_stuck(run, program, where, limit))
        raised = [name for name, value in run.flags.items() if value]
        if raised:
            raise SimulationError(f"{where}: the core raised {', '.join(raised)}")
