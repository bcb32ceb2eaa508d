"""The whole network as one program per image on the core (issue 16, targets 3 to 5): per conv a LOAD
(the DMA brings its weights and constants from DRAM, tile by tile), a RUN and a DRAIN, the map passing
from layer to layer in the two parts of the activation memory, from one `start` to one `done`.

    python benchmarks/network_program.py --directory <built tree> --configfile config.yaml configs/offline.yaml
    python benchmarks/network_program.py --directory <built tree> --configfile ... --images 4 --dataflow os

The tree needs the model and the data (results/train/model.pt, resources/cifar10.npz); the network's
core build (the workflow's, resources/sim_build/verilator-<key>) is made if missing (about two
minutes). Every layer's levels are checked against the library's integer-only path (a
difference names the image, layer, pixel and channel). The bench's DRAM is the configuration's
(hardware.dram_latency, hardware.dram_bytes_per_cycle). Printed, per dataflow: the core's cycles per
image against the chain's formula plus the cycles its tiles waited for the DMA (equal, or the script
fails), the ideal (MACs / (rows x cols)) and their ratio; the bytes read from DRAM per image; each
on-chip memory of the network's core and its size; the words the host moves per image (the first map
in, the last layer's levels out) against the layer-by-layer runs; simulated cycles per second.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from qaccel import data
from qaccel.export.capture import capture_batch
from qaccel.export.requant import RequantWidths
from qaccel.model.checkpoint import load_model
from qaccel.network.backends import readout_layers
from qaccel.network.integer_only import IntegerOnlyNetwork, check_requantized
from qaccel.hw.energy import core_memories
from qaccel.rtl.bench_run import DramTiming
from qaccel.rtl.build import BenchBuild, build_bench, network_parameters
from qaccel.rtl.conv_runs import run_chain
from qaccel.rtl.cycles import chain_cycles, ideal_cycles
from qaccel.rtl.limits import core_shape
from qaccel.rtl.program import compile_chain, map_lanes
from qaccel.workflow.config import load_config_files

REPO = Path(__file__).resolve().parent.parent
DATAFLOWS = ("ws", "os")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--directory", type=Path, required=True, help="a tree with the model and the data")
    parser.add_argument("--configfile", nargs="+", default=[str(REPO / "config.yaml")])
    parser.add_argument("--images", type=int, default=2, help="test images 0 .. N-1 (default 2)")
    parser.add_argument("--dataflow", choices=[*DATAFLOWS, "both"], default="both")
    args = parser.parse_args()
    config = load_config_files(args.configfile)
    shape = core_shape(config)
    directory = args.directory.resolve()
    model = load_model(directory / "results/train/model.pt")
    test = data.load(directory / "resources/cifar10.npz", keys=("test_images", "test_labels"))
    images, indices = capture_batch(test, 0, args.images, config["data"]["mean"], config["data"]["std"])
    network = IntegerOnlyNetwork(model, RequantWidths.from_config(config["requant"]),
                                 config["integerize"]["integer_tolerance"])
    expected = network.run(images)
    levels = network.input_levels(images)
    order, layers = readout_layers(network.weights, network.constants)
    names = [f"layer {index}" for index in order]
    parameters = network_parameters(shape)
    dram = DramTiming(config["hardware"]["dram_latency"], config["hardware"]["dram_bytes_per_cycle"])
    build_dir = directory / "resources/sim_build" / f"verilator-{parameters.key()}"
    if (build_dir / "build.json").is_file():
        build = BenchBuild.load(build_dir)
    else:
        print(f"building the network's core {parameters.key()} (the workflow's build): Verilator, about two "
              f"minutes ...", flush=True)
        build = build_bench("verilator", parameters, build_dir)
    for dataflow in DATAFLOWS if args.dataflow == "both" else (args.dataflow,):
        program = compile_chain(dataflow, levels[0], layers, shape, f"VGG16 {dataflow}", names)
        formula = chain_cycles([(dataflow, layer.conv) for layer in program.layers], shape.rows, shape.cols)
        ideal = sum(ideal_cycles(layer.conv, shape.rows, shape.cols) for layer in program.layers)
        print(f"{dataflow}: {len(indices)} image(s), one program of {len(program.instructions)} instructions "
              f"({len(program.layers)} LOADs, RUNs and DRAINs, a HALT), {formula:,} cycles each by the formula, "
              f"DRAM {dram.latency} cycles to the first beat and {dram.bytes_per_cycle:g} bytes per cycle ...",
              flush=True)
        began = time.perf_counter()
        results = run_chain(build, dataflow, levels, layers, f"VGG16 {dataflow}", names, dram=dram)
        wall = time.perf_counter() - began
        for index, result in zip(order, results):
            check_requantized(expected.outputs[index], result.outputs, index, indices, f"the core's {dataflow} program")
        cycles = [sum(per_image) for per_image in zip(*(result.cycles for result in results))]
        stalls = sum(result.dma_stall_cycles for result in results)
        if cycles != [formula + stalls] * len(indices):
            sys.exit(f"{dataflow}: {cycles} cycles per image, the chain's formula {formula:,} and {stalls:,} "
                     f"cycles waiting for the DMA")
        sim_seconds = sum(result.sim_seconds for result in results)
        measured = formula + stalls
        print(f"  every layer's levels of images {indices[0]}-{indices[-1]} equal the integer-only path's")
        print(f"  cycles per image {measured:,} = formula {formula:,} + {stalls:,} waiting for the DMA; ideal "
              f"{ideal:,.0f}: {measured / ideal:.4f}x")
        print(f"  DRAM per image: {sum(result.dram_bytes for result in results) / 1e6:,.3f} MB (every layer's "
              f"weights and constants)")
        print(f"  simulator: {sim_seconds:.1f} s for {len(indices)} image(s) ({wall:.1f} s in all), "
              f"{measured * len(indices) / sim_seconds / 1e6:.2f}M cycles/s")
        total = 0.0
        for name, memory in core_memories(parameters).items():
            copies = shape.cols if name == "const" else 1  # a constant memory per column
            kilobytes = copies * memory.size_bytes / 1024
            total += kilobytes
            print(f"  {name:<6} {copies:>2} x {memory.words:>7,} words x {memory.width_bits:>3} bits = "
                  f"{kilobytes:>7,.1f} KB")
        print(f"  on chip in all{'':<30}{total:>7,.1f} KB (issue 16's target: at most 256 KB)")
        first_map = len(program.act_lanes) * shape.rows * shape.act_bits
        last = program.layers[-1]
        sent = last.level_words * shape.cols * shape.level_bits
        every_level = program.level_words * shape.cols * shape.level_bits
        maps_in = sum(len(map_lanes(np.zeros((layer.conv.in_channels, 1, 1)), shape.rows)) * layer.conv.pixels
                      for layer in program.layers) * shape.rows * shape.act_bits
        print(f"  host per image: the first map in ({first_map / 8192:,.1f} KB) and the last layer's levels out "
              f"({sent / 8192:,.1f} KB); layer by layer it moved every map in and every layer's levels out "
              f"({maps_in / 8192:,.1f} KB + {every_level / 8192:,.1f} KB) and every layer's weights and constants")


if __name__ == "__main__":
    main()
