"""Simulation throughput of the core and its cycles on every VGG16 layer.

    python benchmarks/sim_rate.py                      # the default core (8x8, a8 signed, w4, p32)
    python benchmarks/sim_rate.py --layer 3 --images 1 # which full layer to time, images per run

1. Builds the bench once per simulator (the build every layer and dataflow shares) and runs one
   full VGG16 layer (random integers of its real shape) in both dataflows with Verilator: simulated
   cycles per second of the simulator's CPU time and of wall time (target: 1M per core).
2. Runs a small layer on both simulators in the same process: the Verilator / Icarus ratio.
3. Prints, for all 13 convs and both dataflows, the core's cycles (rtl/README.md's formula, which
   the RTL tests pin to the simulation; the layer timed above is checked against it here too),
   the per-fold model, the ideal (MACs / (R*C)), the utilisation and the memory words each layer
   fills; then the whole network's cycles per image and the projected seconds per image at the
   measured rate.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from qaccel.model.layers import CONV_LAYERS
from qaccel.rtl.build import build_bench, layer_parameters
from qaccel.rtl.conv_runs import run_convs
from qaccel.rtl.cycles import core_cycles, fold_model_cycles, ideal_cycles
from qaccel.rtl.layer_sim import memory_report
from qaccel.rtl.program import ConvShape, CoreShape, compile_layer

TARGET_CYCLES_PER_SECOND = 1_000_000


def conv_of(index: int) -> ConvShape:
    layer = CONV_LAYERS[index]
    return ConvShape(layer.in_channels, layer.out_channels, layer.height, layer.width)


def random_layer(conv: ConvShape, images: int, shape: CoreShape, seed: int = 0):
    rng = np.random.default_rng(seed)
    act = rng.integers(0, 16, (images, conv.in_channels, conv.height, conv.width))
    weight = rng.integers(-7, 8, (conv.out_channels, conv.in_channels, 3, 3))
    return act, weight


def reference(act: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Exact integer conv (float64 holds these sums exactly)."""
    import torch
    import torch.nn.functional as F

    return F.conv2d(torch.from_numpy(act.astype(np.float64)), torch.from_numpy(weight.astype(np.float64)),
                    padding=1).round().to(torch.int64).numpy()


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_layer(build, dataflow: str, conv: ConvShape, images: int, label: str) -> dict:
    act, weight = random_layer(conv, images, build.parameters.shape)
    cpu_before, began = child_cpu_seconds(), time.perf_counter()
    runs = run_convs(build, dataflow, act, weight, label)
    wall, cpu = time.perf_counter() - began, child_cpu_seconds() - cpu_before
    if not np.array_equal(runs.outputs, reference(act, weight)):
        raise SystemExit(f"{label} {dataflow}: the core's sums differ from conv2d")
    if any(cycles != runs.formula_cycles for cycles in runs.cycles):
        raise SystemExit(f"{label} {dataflow}: {runs.cycles} cycles, the formula says {runs.formula_cycles}")
    cycles = sum(runs.cycles)
    return {"cycles": cycles, "sim_s": runs.sim_seconds, "cpu_s": cpu, "wall_s": wall,
            "per_cpu_s": cycles / cpu, "per_sim_s": cycles / runs.sim_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", type=int, default=3, help="the full layer to time (index in model.features)")
    # One run loads the core's memories once (about half a second at the default sizes) however many
    # images it then streams; the network runs a shard's images in one run, so 4 is closer to its rate.
    parser.add_argument("--images", type=int, default=4, help="images per simulator run (default 4)")
    parser.add_argument("--compare-layer", type=int, default=24, help="the layer both simulators run")
    parser.add_argument("--build-root", type=Path, help="where to build (default: a temporary directory)")
    args = parser.parse_args()
    shape = CoreShape(8, 8, 8, 4, 32, act_signed=True)
    parameters = layer_parameters(shape)

    with tempfile.TemporaryDirectory() as scratch:
        root = args.build_root or Path(scratch)
        builds = {}
        for simulator in ("verilator", "icarus"):
            began = time.perf_counter()
            builds[simulator] = build_bench(simulator, parameters, root / f"{simulator}-{parameters.key()}")
            print(f"{simulator} build of {parameters.key()}: {time.perf_counter() - began:.1f} s", flush=True)

        conv = conv_of(args.layer)
        full_layer_rates = {}
        print(f"\nfull layer {args.layer} {conv}, {args.images} image(s), Verilator:")
        for dataflow in ("ws", "os"):
            figures = timed_layer(builds["verilator"], dataflow, conv, args.images, f"layer {args.layer}")
            full_layer_rates[dataflow] = figures["per_cpu_s"]
            print(f"  {dataflow}: {figures['cycles']} cycles in {figures['cpu_s']:.2f} s of simulator CPU "
                  f"({figures['per_cpu_s'] / 1e6:.2f}M cycles/s; target {TARGET_CYCLES_PER_SECOND / 1e6:.0f}M), "
                  f"{figures['sim_s']:.2f} s wall ({figures['per_sim_s'] / 1e6:.2f}M cycles/s), "
                  f"{figures['wall_s']:.2f} s with Python's share", flush=True)

        small = conv_of(args.compare_layer)
        print(f"\nlayer {args.compare_layer} {small} on both simulators (simulator CPU time):")
        rates = {}
        for simulator in ("verilator", "icarus"):
            for dataflow in ("ws", "os"):
                figures = timed_layer(builds[simulator], dataflow, small, 1, f"layer {args.compare_layer}")
                rates[simulator, dataflow] = figures["per_cpu_s"]
                print(f"  {simulator:<9} {dataflow}: {figures['cycles']:>7} cycles, "
                      f"{figures['per_cpu_s'] / 1e3:8.1f}k cycles/s", flush=True)
        for dataflow in ("ws", "os"):
            print(f"  ratio verilator/icarus {dataflow}: x{rates['verilator', dataflow] / rates['icarus', dataflow]:.0f}")

        print(f"\nevery conv of VGG16_quant on the {shape.rows}x{shape.cols} core:")
        print(f"{'layer':>5} {'conv':<22} {'df':<3} {'cycles':>9} {'model':>9} {'ideal':>9} {'core/model':>10} "
              f"{'util':>6} {'act words':>9} {'wgt words':>9} {'acc words':>9} {'acc bits':>9}")
        totals = {"ws": [0, 0, 0.0], "os": [0, 0, 0.0]}
        for index, layer in CONV_LAYERS.items():
            conv = conv_of(index)
            act, weight = random_layer(conv, 1, shape)
            for dataflow in ("ws", "os"):
                program = compile_layer(dataflow, act[0], weight, shape, f"layer {index}")
                cycles = core_cycles(dataflow, conv, shape.rows, shape.cols)
                model = fold_model_cycles(dataflow, conv, shape.rows, shape.cols)["cycles"]
                ideal = ideal_cycles(conv, shape.rows, shape.cols)
                memory = memory_report(program)
                for position, value in enumerate((cycles, model, ideal)):
                    totals[dataflow][position] += value
                print(f"{index:>5} {f'{conv.in_channels}->{conv.out_channels} {conv.height}x{conv.width}':<22} "
                      f"{dataflow:<3} {cycles:>9} {model:>9} {ideal:>9.0f} {cycles / model:>10.3f} "
                      f"{ideal / cycles:>6.3f} {memory['act_words']:>9} {memory['weight_words']:>9} "
                      f"{memory['acc_words']:>9} {memory['acc_bits']:>9}")
        for dataflow, (cycles, model, ideal) in totals.items():
            rate = full_layer_rates[dataflow]
            print(f"network {dataflow}: {cycles} cycles per image (model {model}, ideal {ideal:.0f}, "
                  f"utilisation {ideal / cycles:.3f}); projected {cycles / rate:.1f} s of simulation per image at "
                  f"{rate / 1e6:.2f}M cycles/s")


if __name__ == "__main__":
    main()
