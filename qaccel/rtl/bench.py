"""cocotb bench that runs one layer's vector set on rtl/core.v.

Python never drives the core cycle by cycle: it writes the instruction, activation and weight
memories (backdoor, through the simulator's access to ``u_*_mem.mem``; or through the core's host
port), pulses ``start``, and awaits ``done`` while a simulator-side clock runs the core. Then it
reads back the psum and output memories and compares every value with the vector files.

The ``run_layer`` test is configured through the environment (set by qaccel.rtl.runner):
QACCEL_MANIFEST_DIR (the vector set), QACCEL_RESULT_JSON (where the result goes), QACCEL_ADDR_BITS
(the ADDR_BITS the core was built with) and QACCEL_LOAD (``backdoor`` or ``host``).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.types import Logic
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, with_timeout

from .check import MemoryImage, compare, describe, split_lanes
from .cycles import analytical_cycles
from .program import LayerProgram, compile_layer

CLOCK_NS = 10
STATUS_SIGNALS = ("done", "busy", "bad_instruction", "fifo_overflow", "perf_array_cycles", "perf_sfp_cycles")
HOST_SELECT = {"instr": 0, "act": 1, "wgt": 2}


class UnknownValueError(AssertionError):
    """A signal read after reset holds X or Z bits."""


def resolved(handle, what: str) -> int:
    """The value of ``handle`` as an unsigned int; X/Z bits fail the test, naming ``what``."""
    value = handle.value
    if not value.is_resolvable:
        raise UnknownValueError(f"{what} holds unknown bits after reset: {value}")
    return int(value) if isinstance(value, Logic) else value.to_unsigned()


@dataclass
class RunStats:
    cycles: int
    array_cycles: int
    sfp_cycles: int
    wall_s: float


def start_clock(dut) -> None:
    # The GPI (C) clock: no Python runs on clock edges while the core works on its own.
    Clock(dut.clk, CLOCK_NS, unit="ns", impl=os.environ.get("QACCEL_CLOCK_IMPL", "gpi")).start()


async def reset(dut) -> None:
    """Synchronous reset; every status output must be known afterwards."""
    dut.rst.value = 1
    dut.start.value = 0
    dut.mode.value = 0
    dut.host_wr_en.value = 0
    dut.host_wr_sel.value = 0
    dut.host_wr_addr.value = 0
    dut.host_wr_data.value = 0
    dut.host_rd_en.value = 0
    dut.host_rd_sel.value = 0
    dut.host_rd_addr.value = 0
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    for name in STATUS_SIGNALS:
        resolved(getattr(dut, name), f"core.{name}")


def memory_images(program: LayerProgram, addr_bits: int) -> dict[str, list[int]]:
    return {"instr": program.encoded_instructions(addr_bits), "act": program.act_words, "wgt": program.weight_words}


def backdoor_load(dut, images: dict[str, list[int | None]]) -> None:
    """Write memory words directly into the RAM arrays; None leaves a word unwritten."""
    for memory, words in images.items():
        array = getattr(dut, f"u_{memory}_mem").mem
        for address, word in enumerate(words):
            if word is not None:
                array[address].value = word


async def host_load(dut, images: dict[str, list[int | None]]) -> None:
    """Write memory words through the core's host port, one per clock."""
    for memory, words in images.items():
        for address, word in enumerate(words):
            if word is None:
                continue
            dut.host_wr_en.value = 1
            dut.host_wr_sel.value = HOST_SELECT[memory]
            dut.host_wr_addr.value = address
            dut.host_wr_data.value = word
            await FallingEdge(dut.clk)
    dut.host_wr_en.value = 0


def backdoor_read(dut, memory: str, words: int, lanes: int, bits: int) -> MemoryImage:
    array = getattr(dut, f"u_{memory}_mem").mem
    values = []
    for address in range(words):
        value = array[address].value
        values.append(value.to_unsigned() if value.is_resolvable else None)
    return split_lanes(values, lanes, bits)


async def host_read(dut, memory: str, words: int, lanes: int, bits: int) -> MemoryImage:
    """Read words through the host port: the address is registered at a rising edge and its
    data shows after it."""
    values = []
    dut.host_rd_sel.value = int(memory == "out")
    dut.host_rd_en.value = 1
    for address in range(words):
        dut.host_rd_addr.value = address
        await FallingEdge(dut.clk)
        value = dut.host_rd_data.value
        values.append(value.to_unsigned() if value.is_resolvable else None)
    dut.host_rd_en.value = 0
    return split_lanes(values, lanes, bits)


async def run_core(dut, mode_os: bool, max_cycles: int) -> RunStats:
    """Pulse start and wait for done; the core runs from its own memories meanwhile."""
    dut.mode.value = int(mode_os)
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    began = time.perf_counter()
    await with_timeout(RisingEdge(dut.done), max_cycles * CLOCK_NS, "ns")
    wall = time.perf_counter() - began
    await FallingEdge(dut.clk)
    # The core's own counters: every cycle from start to done is either array or SFP work.
    array_cycles = resolved(dut.perf_array_cycles, "core.perf_array_cycles")
    sfp_cycles = resolved(dut.perf_sfp_cycles, "core.perf_sfp_cycles")
    return RunStats(array_cycles + sfp_cycles, array_cycles, sfp_cycles, wall)


def cycle_budget(program: LayerProgram) -> int:
    """Generous bound for the timeout: the model's cycles, per-instruction overheads, SFP reads, x4."""
    model = analytical_cycles(program.manifest)["cycles"]
    return 4 * (model + 16 * len(program.instructions) + program.sfp_reads + 1000)


async def run_program(dut, program: LayerProgram, addr_bits: int, load: str = "backdoor",
                      images: dict | None = None) -> dict:
    """Load, run and check one layer program; returns the result dict (see runner.simulate_layer)."""
    images = images if images is not None else memory_images(program, addr_bits)
    start_clock(dut)
    await reset(dut)
    if load == "host":
        await host_load(dut, images)
    else:
        backdoor_load(dut, images)
    stats = await run_core(dut, program.dataflow == "os", cycle_budget(program))
    flags = {name: resolved(getattr(dut, name), f"core.{name}") for name in ("bad_instruction", "fifo_overflow")}
    lanes, bits = program.shape.cols, program.shape.psum_bits
    read = host_read if load == "host" else None
    memories = {}
    for memory, words in (("psum", program.psum_words), ("out", program.out_words)):
        if read:
            memories[memory] = await read(dut, memory, words, lanes, bits)
        else:
            memories[memory] = backdoor_read(dut, memory, words, lanes, bits)
    mismatch, mismatches, checked = compare(program.expectations, memories)
    return {
        "passed": mismatch is None and not any(flags.values()),
        "cycles": stats.cycles,
        "array_cycles": stats.array_cycles,
        "sfp_cycles": stats.sfp_cycles,
        "run_wall_s": stats.wall_s,
        "cycles_per_second": stats.cycles / stats.wall_s if stats.wall_s > 0 else None,
        "values_checked": checked,
        "mismatches": mismatches,
        "first_mismatch": mismatch,
        **flags,
    }


@cocotb.test()
async def run_layer(dut):
    program = compile_layer(Path(os.environ["QACCEL_MANIFEST_DIR"]))
    result = await run_program(dut, program, int(os.environ["QACCEL_ADDR_BITS"]),
                               os.environ.get("QACCEL_LOAD", "backdoor"))
    Path(os.environ["QACCEL_RESULT_JSON"]).write_text(json.dumps(result, indent=1) + "\n")
    assert not result["bad_instruction"], "the controller stopped on a bad instruction"
    assert not result["fifo_overflow"], "the output FIFO overflowed: results were lost"
    assert result["first_mismatch"] is None, (
        f"{result['mismatches']} of {result['values_checked']} values differ; first: "
        f"{describe(result['first_mismatch'])}")
