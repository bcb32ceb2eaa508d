"""The three files SCALE-Sim 3 reads: its config, the topology CSV and the layout CSV.

SCALE-Sim's convolutions have no padding, so a 3x3 same-padded layer of H x W pixels is described
by its padded input, (H+2) x (W+2): SCALE-Sim then computes the H x W outputs the core does.
"""
from __future__ import annotations

from dataclasses import dataclass

from qaccel.export.tiling import KERNEL
from qaccel.rtl.program import ConvShape

# SCALE-Sim's own defaults (scale_config's constructor) for the knobs qaccel does not vary: the
# operands' base addresses and the request buffers. The bandwidth mode CALC sizes the DRAM
# interface so that the array never stalls.
OFFSETS = {"IfmapOffset": 0, "FilterOffset": 10000000, "OfmapOffset": 20000000}
REQUEST_BUFFERS = {"ReadRequestBuffer": 60, "WriteRequestBuffer": 60}
RUN_NAME = "qaccel"

TOPOLOGY_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
# Read only when a custom layout is on (it is off); SCALE-Sim opens the file all the same.
LAYOUT_HEADER = "Layer name,"


@dataclass(frozen=True)
class ScaleSimArray:
    rows: int
    cols: int
    dataflow: str
    ifmap_sram_kb: int
    filter_sram_kb: int
    ofmap_sram_kb: int

    def __post_init__(self):
        if self.dataflow not in ("ws", "os"):
            raise ValueError(f"SCALE-Sim dataflow {self.dataflow!r}: qaccel's core has ws and os")
        for name in ("rows", "cols", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise ValueError(f"SCALE-Sim {name} must be a positive integer, got {getattr(self, name)!r}")


def config_text(array: ScaleSimArray) -> str:
    """The .cfg file: the keys SCALE-Sim 3.0.0 reads (it requires the layout and sparsity sections
    even with both switched off; the bank keys are read, and unused, without a custom layout)."""
    sections = {
        "general": {"run_name": RUN_NAME},
        "architecture_presets": {
            "ArrayHeight": array.rows, "ArrayWidth": array.cols,
            "IfmapSramSzkB": array.ifmap_sram_kb, "FilterSramSzkB": array.filter_sram_kb,
            "OfmapSramSzkB": array.ofmap_sram_kb, **OFFSETS, "Dataflow": array.dataflow, **REQUEST_BUFFERS},
        "layout": {"IfmapCustomLayout": False, "FilterCustomLayout": False,
                   "IfmapSRAMBankBandwidth": 10, "IfmapSRAMBankNum": 10, "IfmapSRAMBankPort": 2,
                   "FilterSRAMBankBandwidth": 10, "FilterSRAMBankNum": 10, "FilterSRAMBankPort": 2},
        "sparsity": {"SparsitySupport": False},
        "run_presets": {"InterfaceBandwidth": "CALC", "UseRamulatorTrace": False},
    }
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in keys.items()]
        lines.append("")
    return "\n".join(lines)


def layer_name(layer: int) -> str:
    return f"conv{layer}"


def topology_text(convs: dict[int, ConvShape]) -> str:
    """One row per conv (model.features index -> shape), in index order, stride 1."""
    rows = [TOPOLOGY_HEADER]
    for layer, conv in sorted(convs.items()):
        rows.append(f"{layer_name(layer)}, {conv.height + 2}, {conv.width + 2}, {KERNEL}, {KERNEL}, "
                    f"{conv.in_channels}, {conv.out_channels}, 1,")
    return "\n".join(rows) + "\n"


def layout_text() -> str:
    return LAYOUT_HEADER + "\n"
