"""Where the core becomes memory bound: one image of the network on the core at several DRAM
bandwidths, each layer's cycles against its compute-only count (the chain formula) and the ideal.

The core's DMA (rtl/dma.v) brings each output-channel tile's weights and constants from DRAM while
the array computes the tile before; a tile whose block has not arrived when the array is ready for it
waits, and the bench counts those cycles (dma_stall_cycles). A layer whose tiles compute for fewer
cycles than their blocks take to arrive is memory bound at that bandwidth.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

import numpy as np

from qaccel.rtl.bench_run import DramTiming
from qaccel.rtl.build import BenchBuild
from qaccel.rtl.conv_runs import run_chain

from .backends import readout_layers
from .integer_only import IntegerOnlyNetwork, check_requantized

COLUMNS = ("dataflow", "bytes_per_cycle", "layer", "cycles", "compute_cycles", "dma_stall_cycles", "ideal_cycles",
           "dram_bytes")


def sweep(build: BenchBuild, network: IntegerOnlyNetwork, images, image: int, dataflows: list[str],
          bandwidths: list[int], latency: int, log: Callable[[str], None]) -> list[dict]:
    """``images`` (one image, test index ``image``) through the network on ``build`` in each dataflow at
    each bandwidth (bytes per cycle, the DRAM's latency ``latency``): one row per layer, every layer's
    levels checked against the integer-only path."""
    expected = network.run(images)
    order, layers = readout_layers(network.weights, network.constants)
    names = [f"layer {index}" for index in order]
    levels = network.input_levels(images)
    rows = []
    for dataflow in dataflows:
        for bandwidth in bandwidths:
            label = f"network {dataflow} at {bandwidth} bytes per cycle"
            results = run_chain(build, dataflow, levels, layers, label, names, dram=DramTiming(latency, bandwidth))
            for index, result in zip(order, results):
                check_requantized(expected.outputs[index], result.outputs, index, [image], f"the core ({label})")
                rows.append({"dataflow": dataflow, "bytes_per_cycle": bandwidth, "layer": index,
                             "cycles": result.cycles[0], "compute_cycles": result.formula_cycles,
                             "dma_stall_cycles": result.dma_stall_cycles,
                             "ideal_cycles": float(result.ideal_cycles), "dram_bytes": result.dram_bytes})
            total = sum(result.cycles[0] for result in results)
            stalls = sum(result.dma_stall_cycles for result in results)
            log(f"{label}: {total:,} cycles, {stalls:,} of them waiting for the DMA")
    return rows


def write_table(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_table(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return [{key: (value if key == "dataflow" else float(value) if "." in value else int(value))
                 for key, value in row.items()} for row in csv.DictReader(handle, delimiter="\t")]


def totals(rows: list[dict], dataflow: str) -> dict[str, np.ndarray]:
    """Per bandwidth (ascending) of ``dataflow``: the image's cycles, compute-only cycles, stalls, ideal."""
    bandwidths = sorted({row["bytes_per_cycle"] for row in rows if row["dataflow"] == dataflow})
    picked = {key: np.array([sum(row[key] for row in rows
                                 if row["dataflow"] == dataflow and row["bytes_per_cycle"] == bandwidth)
                             for bandwidth in bandwidths], dtype=float)
              for key in ("cycles", "compute_cycles", "dma_stall_cycles", "ideal_cycles", "dram_bytes")}
    return {"bytes_per_cycle": np.array(bandwidths, dtype=float), **picked}
