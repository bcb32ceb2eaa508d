"""SCALE-Sim's cycles per layer beside the core's (the timing formula that tests/rtl/test_core.py
pins to the RTL), the per-fold model's and the ideal; its traffic as it reports it."""
from __future__ import annotations

from qaccel.model.layers import CONV_LAYERS
from qaccel.rtl.cycles import core_cycles, fold_model_cycles, ideal_cycles
from qaccel.rtl.program import ConvShape

TRAFFIC = ("sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
           "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def network_convs() -> dict[int, ConvShape]:
    """VGG16's 13 convs: model.features index -> shape."""
    return {index: ConvShape(layer.in_channels, layer.out_channels, layer.height, layer.width)
            for index, layer in CONV_LAYERS.items()}


def comparison(convs: dict[int, ConvShape], reported: dict[int, dict], dataflow: str, rows: int,
               cols: int) -> dict:
    """Per layer and in all: SCALE-Sim's report items beside the core, the model and the ideal."""
    layers = []
    for index, conv in sorted(convs.items()):
        report = reported[index]
        layers.append({
            "layer": index, "in_channels": conv.in_channels, "out_channels": conv.out_channels,
            "height": conv.height, "width": conv.width, "macs": conv.macs,
            "scalesim_cycles": report["cycles"],
            "core_cycles": core_cycles(dataflow, conv, rows, cols),
            "fold_model_cycles": fold_model_cycles(dataflow, conv, rows, cols)["cycles"],
            "ideal_cycles": ideal_cycles(conv, rows, cols),
            "scalesim": {key: value for key, value in report.items() if key != "scalesim_layer"},
        })
    totals = {key: sum(layer[key] for layer in layers)
              for key in ("scalesim_cycles", "core_cycles", "fold_model_cycles", "ideal_cycles", "macs")}
    totals.update({key: sum(layer["scalesim"][key] for layer in layers) for key in TRAFFIC})
    return {"layers": layers, "total": totals}
