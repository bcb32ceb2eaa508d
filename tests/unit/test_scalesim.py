"""SCALE-Sim 3 (PyPI scalesim): the files qaccel writes for it, its reports read back, and the
per-fold model (qaccel/rtl/cycles.py) against what SCALE-Sim itself reports."""
from pathlib import Path

import pytest

from qaccel.rtl.cycles import fold_model_cycles
from qaccel.rtl.program import ConvShape
from qaccel.scalesim.compare import network_convs
from qaccel.scalesim.environment import DEFAULT_DIRECTORY, python_of
from qaccel.scalesim.inputs import ScaleSimArray, config_text, layout_text, topology_text
from qaccel.scalesim.report import read_layers
from qaccel.scalesim.run import run_scalesim
from support import REPO

TINY_ARRAY = ScaleSimArray(4, 4, "ws", 64, 64, 64)
TINY_CONVS = {0: ConvShape(3, 5, 3, 2), 3: ConvShape(4, 6, 2, 3)}

# SCALE-Sim 3.0.0's reports (NumPy 1.26.4) for TINY_ARRAY and TINY_CONVS: the files
# qaccel/scalesim/runner.py left in REPORT_DIR/qaccel/ after
#   resources/scalesim-venv/bin/python qaccel/scalesim/runner.py scalesim.cfg topology.csv layout.csv REPORT_DIR
# on the three files test_the_config_file and test_the_topology_and_layout_files pin.
TINY_COMPUTE_REPORT = """\
LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,
0, 341, 223, 0, 22.701793721973093, 60.26785714285714, 19.031954887218046,
1, 433, 287, 0, 28.222996515679444, 75.0, 23.68421052631579,
"""
TINY_ACCESS_REPORT = """\
LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, \
SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, \
DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, \
DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,
0, 5.0, 220.0, 324, 1.0, 212.0, 135, 7.0, 220.0, 210, -66.0, -1.0, 60, -66.0, -1.0, 135, 223.0, 275.0, 210,
1, 5.0, 285.0, 432, 1.0, 276.0, 216, 7.0, 285.0, 324, -66.0, -1.0, 80, -66.0, -1.0, 216, 287.0, 367.0, 324,
"""


def test_the_config_file():
    assert config_text(TINY_ARRAY) == """\
[general]
run_name = qaccel

[architecture_presets]
ArrayHeight = 4
ArrayWidth = 4
IfmapSramSzkB = 64
FilterSramSzkB = 64
OfmapSramSzkB = 64
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Dataflow = ws
ReadRequestBuffer = 60
WriteRequestBuffer = 60

[layout]
IfmapCustomLayout = False
FilterCustomLayout = False
IfmapSRAMBankBandwidth = 10
IfmapSRAMBankNum = 10
IfmapSRAMBankPort = 2
FilterSRAMBankBandwidth = 10
FilterSRAMBankNum = 10
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = False

[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False
"""


def test_the_topology_and_layout_files():
    # SCALE-Sim does not pad: the padded input, (H+2) x (W+2), gives the H x W outputs.
    assert topology_text(TINY_CONVS) == (
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
        "conv0, 5, 4, 3, 3, 3, 5, 1,\n"
        "conv3, 4, 5, 3, 3, 4, 6, 1,\n")
    assert layout_text() == "Layer name,\n"


def test_an_array_scalesim_cannot_take_is_refused():
    with pytest.raises(ValueError, match="SCALE-Sim dataflow 'is': qaccel's core has ws and os"):
        ScaleSimArray(4, 4, "is", 64, 64, 64)
    with pytest.raises(ValueError, match="SCALE-Sim ifmap_sram_kb must be a positive integer, got 0"):
        ScaleSimArray(4, 4, "ws", 0, 64, 64)


def write_reports(directory: Path, compute: str, access: str) -> Path:
    directory.mkdir()
    (directory / "COMPUTE_REPORT.csv").write_text(compute)
    (directory / "DETAILED_ACCESS_REPORT.csv").write_text(access)
    return directory


def test_the_reports_are_read_layer_by_layer(tmp_path):
    layers = read_layers(write_reports(tmp_path / "qaccel", TINY_COMPUTE_REPORT, TINY_ACCESS_REPORT), [0, 3])
    assert layers[0] == {"scalesim_layer": 0, "cycles_with_prefetch": 341, "cycles": 223, "stall_cycles": 0,
                         "utilisation_percent": 22.701793721973093, "mapping_efficiency_percent": 60.26785714285714,
                         "compute_utilisation_percent": 19.031954887218046,
                         "sram_ifmap_reads": 324, "sram_filter_reads": 135, "sram_ofmap_writes": 210,
                         "dram_ifmap_reads": 60, "dram_filter_reads": 135, "dram_ofmap_writes": 210}
    assert (layers[3]["cycles"], layers[3]["sram_ifmap_reads"], layers[3]["dram_ofmap_writes"]) == (287, 432, 324)


def test_a_report_scalesim_did_not_write_is_an_error(tmp_path):
    renamed = TINY_COMPUTE_REPORT.replace("Stall Cycles", "Stalls")
    with pytest.raises(ValueError, match=r"COMPUTE_REPORT.csv: columns .*'Stalls'.*expected SCALE-Sim 3.0.0's"):
        read_layers(write_reports(tmp_path / "renamed", renamed, TINY_ACCESS_REPORT), [0, 3])
    fractional = TINY_COMPUTE_REPORT.replace("0, 341, 223,", "0, 341, 223.5,")
    with pytest.raises(ValueError, match=r"COMPUTE_REPORT.csv line 2: cycles is '223.5', not a whole number"):
        read_layers(write_reports(tmp_path / "fractional", fractional, TINY_ACCESS_REPORT), [0, 3])
    with pytest.raises(ValueError, match=r"layer ids \[0, 1\], expected 0..2 for the topology's layers \[0, 3, 7\]"):
        read_layers(write_reports(tmp_path / "short", TINY_COMPUTE_REPORT, TINY_ACCESS_REPORT), [0, 3, 7])


# SCALE-Sim 3.0.0's "Total Cycles" (NumPy 1.26.4) for VGG16's 13 convs at 8x8, 1 MB SRAMs, bandwidth
# CALC: data measured from the tool with `snakemake --cores 1 scalesim_all` (config.yaml's defaults;
# results/scalesim/8x8/{ws,os}.json, scalesim_cycles), 2026-12-06.
SCALESIM_8X8 = {
    "ws": {0: 33471, 3: 602495, 7: 320255, 10: 640511, 14: 396287, 17: 792575, 20: 792575, 24: 10943, 27: 341, 29: 21887, 33: 958463, 36: 958463, 39: 958463},
    "os": {0: 41983, 3: 604159, 7: 302079, 10: 596991, 14: 298495, 17: 593407, 20: 593407, 24: 4635, 27: 171, 29: 11007, 33: 295807, 36: 295807, 39: 295807},
}


def test_the_per_fold_model_is_scalesim_plus_one_cycle_on_vgg16_at_8x8():
    for dataflow, measured in SCALESIM_8X8.items():
        model = {index: fold_model_cycles(dataflow, conv, 8, 8)["cycles"] for index, conv in network_convs().items()}
        assert {index: cycles - 1 for index, cycles in model.items()} == measured, dataflow


ENVIRONMENT = REPO / DEFAULT_DIRECTORY


@pytest.mark.skipif(not python_of(ENVIRONMENT).is_file(),
                    reason=f"SCALE-Sim's environment {ENVIRONMENT} is missing: install.sh creates it "
                           "(python -m qaccel.scalesim.environment), as does snakemake resources/scalesim-venv")
@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_scalesim_reports_the_per_fold_model_less_one_cycle(tmp_path, dataflow):
    """SCALE-Sim itself, on two small layers of a 2x3 array (partial folds in rows and columns)."""
    array = ScaleSimArray(2, 3, dataflow, 64, 64, 64)
    versions, layers = run_scalesim(ENVIRONMENT, tmp_path, array, TINY_CONVS, time_limit_s=120, log=lambda line: None)
    assert versions["scalesim"] == "3.0.0"
    for index, conv in TINY_CONVS.items():
        model = fold_model_cycles(dataflow, conv, 2, 3)
        assert layers[index]["cycles"] == model["cycles"] - 1, index
        assert layers[index]["stall_cycles"] == 0
        if dataflow == "ws":  # each weight read once; each pixel's im2col row once per column fold
            im2col = conv.in_channels * 9
            assert layers[index]["sram_filter_reads"] == im2col * conv.out_channels
            assert layers[index]["sram_ifmap_reads"] == conv.pixels * im2col * -(-conv.out_channels // 3)
