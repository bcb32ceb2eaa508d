"""Yosys synthesis of the core (rule hw_synth): counts that follow from the core's parameters, the
NAND2 weights the README states, the bounded wait, and the core key read back."""
import json
import math
import re

import pytest

from qaccel.hw.core import CoreKeyError, core_verilog_parameters, parameters_from_key
from qaccel.hw.parts import DoesNotFit, placeable
from qaccel.hw.synth import YOSYS, generic_script, synthesize
from qaccel.hw.tools import ToolError, run_tool
from qaccel.rtl.build import BenchParameters, network_parameters, rtl_sources
from qaccel.rtl.program import CoreShape

# README, "What the core costs": NAND2 equivalents per generic cell.
README_WEIGHTS = {"$_NOT_": 0.5, "$_BUF_": 1, "$_NAND_": 1, "$_NOR_": 1, "$_AND_": 1.5, "$_OR_": 1.5,
                  "$_ANDNOT_": 1.5, "$_ORNOT_": 1.5, "$_XOR_": 3, "$_XNOR_": 3, "$_MUX_": 3, "$_DFF_P_": 6}
# ECP5 sysMEM block (DP16KD) shapes, words x bits (Lattice's ECP5 family data sheet); 512 x 36 is
# the pseudo dual-port one, the shape of a memory with one write and one read port.
DP16KD_SHAPES = [(16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36)]


def dp16kd_blocks(words, width):
    return min(math.ceil(words / depth) * math.ceil(width / bits) for depth, bits in DP16KD_SHAPES)


# The instruction word's bits the controller reads (rtl/controller.v): the opcode and flags (bits 0-5)
# and ten 24-bit fields from bit 8; Yosys drops the memory's other bits.
INSTRUCTION_BITS_READ = 6 + 10 * 24


def core_blocks(p: BenchParameters, instruction_bits: int = INSTRUCTION_BITS_READ) -> int:
    """DP16KD for every sdp_ram of the core (rtl/sdp_ram.v, marked block RAM): activations, weight beats,
    the accumulator's two banks, instructions, each lane's constants; and the max-pool's row buffer."""
    per_beat = p.shape.weight_beat_words
    return (dp16kd_blocks(2**p.act_addr_bits, p.rows * p.act_bits)
            + dp16kd_blocks(2**p.wgt_addr_bits // per_beat, per_beat * p.cols * p.weight_bits)
            + 2 * dp16kd_blocks(2 ** (p.acc_addr_bits - 1), p.cols * p.psum_bits)
            + dp16kd_blocks(2**p.instr_addr_bits, instruction_bits)
            + p.cols * dp16kd_blocks(2**p.const_addr_bits, p.shape.constant_bits) + 1)


def test_a_core_key_reads_back_into_its_parameters():
    for parameters in (network_parameters(CoreShape(8, 8, 8, 4, 32, True)),
                       BenchParameters(2, 4, 5, 4, 16, False, 6, 7, 8, 9, instr_addr_bits=5, dram_addr_bits=3)):
        assert parameters_from_key(parameters.key()) == parameters
    assert core_verilog_parameters(parameters_from_key("r8c8a8sw4p32k24l16-17.19.13.20.6")) == {
        "ROWS": 8, "COLS": 8, "ACT_BITS": 8, "ACT_SIGNED": 1, "WGT_BITS": 4, "PSUM_BITS": 32, "INSTR_ADDR_BITS": 4,
        "ACT_ADDR_BITS": 17, "WGT_ADDR_BITS": 19, "ACC_ADDR_BITS": 13, "MULT_BITS": 24, "LEVEL_BITS": 16,
        "CONST_ADDR_BITS": 6}
    for bad in ("r2c2", "r02c2a8sw4p32k24l16-6.6.6.4.4", "r2c2a8xw4p32-6.6.6.4"):
        with pytest.raises(CoreKeyError, match=f"core key '{bad}'"):
            parameters_from_key(bad)


def test_the_generic_mapping_keeps_every_memory_as_one_memory_of_the_cores_sizes(small_core_run):
    p = parameters_from_key(small_core_run.key)
    expected = [
        # Two banks, each one synchronous read port, shared by the accumulating read and the read-out.
        *[{"name": f"u_accumulator.g_bank[{bank}].u_mem.mem", "words": 2 ** (p.acc_addr_bits - 1),
           "width": p.cols * p.psum_bits, "read_ports": 1, "write_ports": 1} for bank in range(2)],
        {"name": "u_act_mem.mem", "words": 2**p.act_addr_bits, "width": p.rows * p.act_bits,
         "read_ports": 1, "write_ports": 1},
        {"name": "u_instr_mem.mem", "words": 16, "width": 256, "read_ports": 1, "write_ports": 1},
        # The read-out: the max-pool's row buffer (16 pairs of levels), a constant memory per lane
        # ({S, B, M}: 6 + (psum + mult) + mult bits per output-channel tile).
        {"name": "u_readout.u_maxpool.row_buffer", "words": 16, "width": p.cols * p.level_bits,
         "read_ports": 1, "write_ports": 1},
        *[{"name": f"u_readout.u_requant.g_lane[{lane}].constant_memory.mem", "words": 2**p.const_addr_bits,
           "width": 6 + p.psum_bits + 2 * p.mult_bits, "read_ports": 1, "write_ports": 1} for lane in range(p.cols)],
        # Beats of 16 8-bit weight words: the DMA writes a beat per cycle.
        {"name": "u_wgt_mem.mem", "words": 2**p.wgt_addr_bits // 16, "width": 16 * p.cols * p.weight_bits,
         "read_ports": 1, "write_ports": 1},
    ]
    for memory in expected:
        memory["bits"] = memory["words"] * memory["width"]
    generic = small_core_run.synth["generic"]
    assert generic["memories"] == expected
    assert generic["memory_bits"] == sum(memory["bits"] for memory in expected) == 57344 + 512 + 2 * 1376


def test_the_generic_mapping_is_gates_of_the_fixed_set_weighted_as_the_readme_states(small_core_run):
    generic = small_core_run.synth["generic"]
    assert set(generic["cells"]) <= set(README_WEIGHTS) and "$_DFF_P_" in generic["cells"]
    assert generic["nand2_weights"] == README_WEIGHTS
    assert generic["nand2_equivalents"] == sum(README_WEIGHTS[cell] * count for cell, count in generic["cells"].items())


def test_ecp5_multipliers_and_block_rams_follow_from_the_core(small_core_run):
    p = parameters_from_key(small_core_run.key)
    ecp5 = small_core_run.synth["ecp5"]
    assert ecp5["fits"] is True and "refused" not in ecp5
    # One multiplier per PE serves both dataflows (rtl/mac_row.v); each requantizer lane's 32 x 24-bit
    # product takes four (each operand split at 18 bits).
    assert ecp5["resources"]["MULT18X18D"] == p.rows * p.cols + 4 * p.cols
    # Every memory becomes block RAM (the wide ones as PDPW16KD: a DP16KD in its 36-bit-wide pseudo
    # dual-port mode): 1 activation, 4 weight, 2 x 2 accumulator, 7 instruction (246 bits read), 2 x 3
    # constant blocks and the row buffer's one; nothing is distributed RAM (the output de-skew is
    # registers).
    assert ecp5["resources"]["DP16KD"] == core_blocks(p) == 23
    assert {name: primitive for name, primitive in ecp5["memory_mapping"].items()} == {
        "u_act_mem.mem": "DP16KD", "u_wgt_mem.mem": "PDPW16KD", "u_instr_mem.mem": "PDPW16KD",
        **{f"u_accumulator.g_bank[{bank}].u_mem.mem": "PDPW16KD" for bank in range(2)},
        "u_readout.u_maxpool.row_buffer": "PDPW16KD",
        **{f"u_readout.u_requant.g_lane[{lane}].constant_memory.mem": "PDPW16KD" for lane in range(p.cols)}}
    assert ecp5["resources"]["TRELLIS_DPR16X4"] == 0 and ecp5["resources"]["LUT4"] > 0
    assert all(ecp5["cells"].get(cell, 0) == count for cell, count in ecp5["resources"].items())


def test_synthesis_reports_progress_and_cpu_time(small_core_run):
    log = small_core_run.log("synth")
    assert "expect about" in log and "Executing ABC pass" in log
    assert "MEMORY_LIBMAP pass" in small_core_run.output  # progress reaches Snakemake's output too
    assert small_core_run.synth["generic"]["cpu_seconds"] > 0 and small_core_run.synth["ecp5"]["cpu_seconds"] > 0


def test_a_tool_past_its_time_limit_is_stopped_and_named(tmp_path):
    sources = rtl_sources()
    script = generic_script(parameters_from_key("r2c2a8sw4p32k24l16-6.6.6.4.4"), sources, tmp_path)
    with open(tmp_path / "tool.log", "w") as log, pytest.raises(ToolError, match="Yosys generic synthesis was "
                                                                    "still running after 2 s and was stopped"):
        run_tool([YOSYS, "-p", "; ".join(script)], tmp_path, 2, log, "Yosys generic synthesis")
    assert "Executing" in (tmp_path / "tool.log").read_text()  # its output streamed in before it stopped


def test_memories_too_large_for_the_part_stop_synthesis_before_the_logic_naming_them(tmp_path):
    """Synthesis reports such a core (the generic mapping and why the ECP5 one stopped) and place and
    route refuses it, naming the resource and the counts."""
    key = "r2c2a8sw4p32k24l16-17.18.6.4.4"  # 2 Mbit of activations and 2 Mbit of weights
    p = parameters_from_key(key)
    # Synthesis stops after mapping the memories, before the unread instruction bits are dropped.
    blocks = core_blocks(p, instruction_bits=256)
    with open(tmp_path / "synth.log", "w") as log:
        report = synthesize(p, rtl_sources(), tmp_path / "netlist.json", "LFE5U-85F", 600, log, lambda line: None)
    ecp5 = report["ecp5"]
    assert ecp5["fits"] is False and ecp5["resources"]["DP16KD"] == blocks
    assert ecp5["refused"].startswith(f"core {key} does not fit LFE5U-85F: DP16KD {blocks} > 208 DP16KD "
                                      f"(memories: u_accumulator.g_bank[*].u_mem.mem 2 x 32 x 64 bits -> PDPW16KD, "
                                      f"u_act_mem.mem 131072 x 16 bits -> DP16KD, ")
    generic_bits = {memory["name"]: memory["bits"] for memory in report["generic"]["memories"]}
    assert (generic_bits["u_act_mem.mem"], generic_bits["u_wgt_mem.mem"]) == (
        2**p.act_addr_bits * p.rows * p.act_bits, 2**p.wgt_addr_bits * p.cols * p.weight_bits)
    assert blocks > 208
    assert json.loads((tmp_path / "netlist.json").read_text()) == {"not_mapped": ecp5["refused"]}
    assert "synth_ecp5 (logic)" not in (tmp_path / "synth.log").read_text()
    with pytest.raises(DoesNotFit, match=re.escape(ecp5["refused"])):
        placeable(report)
    placeable({"ecp5": {**ecp5, "fits": True}})