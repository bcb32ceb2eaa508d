"""Core-level checks beyond a passing layer: the host port, an illegal instruction, and unknown
(X) data from an unloaded memory word being caught by the result check. The layer comes from
QACCEL_MANIFEST_DIR, the core's ADDR_BITS from QACCEL_ADDR_BITS."""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
from cocotb.triggers import FallingEdge

from qaccel.rtl import isa
from qaccel.rtl.bench import backdoor_load, memory_images, reset, resolved, run_core, run_program, start_clock
from qaccel.rtl.program import compile_layer


def layer():
    return compile_layer(Path(os.environ["QACCEL_MANIFEST_DIR"])), int(os.environ["QACCEL_ADDR_BITS"])


@cocotb.test()
async def host_port_round_trip(dut):
    program, addr_bits = layer()
    result = await run_program(dut, program, addr_bits, load="host")
    assert result["first_mismatch"] is None and result["passed"], result["first_mismatch"]
    assert result["values_checked"] > 0


@cocotb.test()
async def unloaded_activation_word_is_caught_as_x(dut):
    """Four-state simulators only: activation word 0 left unwritten reads as X, and the X flows
    into the psums it feeds, which the check must report as unknown, not as a number."""
    program, addr_bits = layer()
    images = memory_images(program, addr_bits)
    images["act"] = [None] + images["act"][1:]
    result = await run_program(dut, program, addr_bits, images=images)
    mismatch = result["first_mismatch"]
    assert mismatch is not None and mismatch["got"] == "x", f"expected an X to be reported, got {mismatch}"
    assert mismatch["address"] == 0 and mismatch["line"] == 4, mismatch


@cocotb.test()
async def illegal_opcode_stops_with_flag(dut):
    _, addr_bits = layer()
    start_clock(dut)
    await reset(dut)
    illegal = 7  # opcodes 6 and 7 are unassigned
    backdoor_load(dut, {"instr": [isa.sfp_counts(1, 1, 1).encode(addr_bits), illegal]})
    await run_core(dut, mode_os=False, max_cycles=100)
    await FallingEdge(dut.clk)
    assert resolved(dut.bad_instruction, "bad_instruction") == 1
    assert resolved(dut.done, "done") == 1
