"""Simulated cycles per second of the cocotb bench on each simulator, and the core's cycles next
to SCALE-Sim's analytical model, for one layer in both dataflows.

    python benchmarks/sim_rate.py                          # random layer-27 shape and a 32->32 8x8 layer
    python benchmarks/sim_rate.py --vectors results/layer27 # a pipeline's vector sets (ws/ and os/)

The rate is measured while the core runs on its own (start to done): Python only loads the
memories before and reads them back after, outside the timed window.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from qaccel.export import export_layer
from qaccel.rtl.runner import SIMULATORS, simulate_layer

HW = {"rows": 8, "cols": 8, "act_bits": 4, "weight_bits": 4, "psum_bits": 16}
SHAPES = {"layer27_shape": (8, 8, 4, 4), "wide_32x32_8x8": (32, 32, 8, 8)}


def random_vectors(root: Path, name: str, cin: int, cout: int, height: int, width: int) -> Path:
    rng = np.random.default_rng(0)
    act = rng.integers(0, 16, size=(cin, height, width))
    weight = rng.integers(-7, 8, size=(cout, cin, 3, 3))
    for dataflow in ("ws", "os"):
        export_layer(root / name / dataflow, dataflow, act, weight, True, HW)
    return root / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=Path, help="a directory holding ws/ and os/ vector sets")
    parser.add_argument("--simulators", nargs="+", default=list(SIMULATORS), choices=SIMULATORS)
    parser.add_argument("--build-root", type=Path, help="where to build (default: a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        build_root = args.build_root or scratch / "build"
        layers = ({args.vectors.name: args.vectors} if args.vectors else
                  {name: random_vectors(scratch, name, *shape) for name, shape in SHAPES.items()})
        header = (f"{'layer':<16} {'df':<3} {'simulator':<10} {'cycles':>8} {'array':>8} {'sfp':>7} {'model':>8} "
                  f"{'array/model':>11} {'run s':>7} {'cycles/s':>10} {'build s':>8}  check")
        print(header)
        for name, vectors in layers.items():
            for dataflow in ("ws", "os"):
                for simulator in args.simulators:
                    result = simulate_layer(vectors / dataflow, simulator, build_root / name / dataflow / simulator)
                    model = result["model"]["cycles"]
                    print(f"{name:<16} {dataflow:<3} {simulator:<10} {result['cycles']:>8} {result['array_cycles']:>8} "
                          f"{result['sfp_cycles']:>7} {model:>8} {result['array_cycles'] / model:>11.3f} "
                          f"{result['run_wall_s']:>7.3f} {result['cycles_per_second']:>10.0f} "
                          f"{result['build_wall_s']:>8.1f}  {'pass' if result['passed'] else 'FAIL'}", flush=True)


if __name__ == "__main__":
    main()
