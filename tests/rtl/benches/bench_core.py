"""The core through its own ports (cocotb): a layer loaded and read back through the host port,
an illegal opcode, unknown (X) data from an unloaded memory word, and a program of several RUNs
whose layers sit at non-zero base addresses of every memory. The layer comes from QACCEL_LAYER
(json: in/out channels, height, width, dataflow, seed), the program's layers from QACCEL_PROGRAM
(json: a list of such layers); the build's parameters from the core's own parameter values."""
from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

from qaccel.rtl import isa
from qaccel.rtl.bench_run import CONTROLLER_STATES
from qaccel.rtl.cycles import core_cycles, program_cycles, watchdog_cycles
from qaccel.rtl.hexfile import words_to_lanes
from qaccel.export.tiling import tile
from qaccel.rtl.program import ConvShape, CoreShape, LayerProgram, compile_layer, weight_beats
from unit_common import CLOCK_NS, resolved, start_and_reset

SELECT = {"instr": 0, "act": 1, "wgt": 2}
INPUTS = {"start": 0, "host_wr_en": 0, "host_wr_sel": 0, "host_wr_addr": 0, "host_wr_data": 0, "host_rd_en": 0,
          "host_rd_relu": 0, "host_rd_addr": 0}
STATUS = ["done", "busy", "bad_instruction", "fifo_overflow", "acc_overflow", "perf_cycles"]


def core_shape(dut) -> CoreShape:
    return CoreShape(int(dut.ROWS.value), int(dut.COLS.value), int(dut.ACT_BITS.value), int(dut.WGT_BITS.value),
                     int(dut.PSUM_BITS.value), bool(int(dut.ACT_SIGNED.value)))


def layer(dut):
    spec = json.loads(os.environ["QACCEL_LAYER"])
    shape = core_shape(dut)
    conv = ConvShape(spec["in_channels"], spec["out_channels"], spec["height"], spec["width"])
    rng = np.random.default_rng(spec["seed"])
    act = rng.integers(0, 16, (conv.in_channels, conv.height, conv.width))
    weight = rng.integers(-8, 8, (conv.out_channels, conv.in_channels, 3, 3))
    tiles = tile(spec["dataflow"], act, weight, shape.rows, shape.cols, relu=False)
    return compile_layer(spec["dataflow"], act, weight, shape, "bench_core"), tiles.output


def packed(lanes: np.ndarray, bits: int) -> list[int]:
    mask = (1 << bits) - 1
    return [sum((int(v) & mask) << (i * bits) for i, v in enumerate(row)) for row in lanes]


async def host_write(dut, memory: str, words: list[int], base: int = 0) -> None:
    for address, word in enumerate(words, start=base):
        dut.host_wr_en.value = 1
        dut.host_wr_sel.value = SELECT[memory]
        dut.host_wr_addr.value = address
        dut.host_wr_data.value = word
        await FallingEdge(dut.clk)
    dut.host_wr_en.value = 0


async def host_read(dut, words: int, relu: bool, base: int = 0) -> list[str]:
    """Accumulator words through the host port, as hex text (x for unknown bits): the address is
    registered at a rising edge and its word shows after it."""
    values = []
    digits = -(-len(dut.host_rd_data) // 4)
    dut.host_rd_relu.value = int(relu)
    dut.host_rd_en.value = 1
    for address in range(base, base + words):
        dut.host_rd_addr.value = address
        await FallingEdge(dut.clk)
        value = dut.host_rd_data.value
        values.append(f"{value.to_unsigned():0{digits}x}" if value.is_resolvable else "x" * digits)
    dut.host_rd_en.value = 0
    return values


async def run(dut, max_cycles: int) -> None:
    """Pulse start and wait for done, at most ``max_cycles`` (then fail naming where the controller
    stood)."""
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    try:
        await with_timeout(RisingEdge(dut.done), max_cycles * CLOCK_NS, "ns")
    except SimTimeoutError:
        state = resolved(dut.dbg_state, "dbg_state")
        raise AssertionError(f"no done after {max_cycles} cycles: the controller stood in "
                             f"{CONTROLLER_STATES.get(state, state)} at instruction "
                             f"{resolved(dut.dbg_pc, 'dbg_pc')}, fold {resolved(dut.dbg_fold, 'dbg_fold')}") from None
    await FallingEdge(dut.clk)


async def load(dut, program, act_words: list[int | None]) -> None:
    shape = program.shape
    await host_write(dut, "instr", [instruction.encode() for instruction in program.instructions])
    await host_write(dut, "wgt", packed(weight_beats(program.weight_lanes, shape), shape.weight_bits))
    for address, word in enumerate(act_words):
        if word is not None:
            dut.host_wr_en.value = 1
            dut.host_wr_sel.value = SELECT["act"]
            dut.host_wr_addr.value = address
            dut.host_wr_data.value = word
            await FallingEdge(dut.clk)
    dut.host_wr_en.value = 0


@cocotb.test()
async def host_port_round_trip(dut):
    """Memories written and results read through the host port; raw and ReLU'd read-outs."""
    await start_and_reset(dut, INPUTS, STATUS)
    program, expected = layer(dut)
    shape = program.shape
    await load(dut, program, packed(program.act_lanes, shape.act_bits))
    formula = core_cycles(program.dataflow, program.conv, shape.rows, shape.cols)
    await run(dut, watchdog_cycles(formula))
    assert resolved(dut.perf_cycles, "perf_cycles") == formula
    for name in ("bad_instruction", "fifo_overflow", "acc_overflow"):
        assert resolved(getattr(dut, name), name) == 0, name
    raw = program.raw_output(words_to_lanes(await host_read(dut, program.acc_words, False), shape.cols,
                                            shape.psum_bits, "raw read-out"))
    np.testing.assert_array_equal(raw, expected)
    relu = program.raw_output(words_to_lanes(await host_read(dut, program.acc_words, True), shape.cols,
                                             shape.psum_bits, "ReLU read-out"))
    np.testing.assert_array_equal(relu, np.maximum(expected, 0))
    assert (expected < 0).any() and (expected > 0).any(), "the layer must exercise both signs"


@cocotb.test()
async def unloaded_activation_word_is_caught_as_x(dut):
    """Four-state simulators only: activation word 0 left unwritten reads as X, and the X flows into
    the sums it feeds, which the read-out must show as unknown, not as a number."""
    await start_and_reset(dut, INPUTS, STATUS)
    program, _ = layer(dut)
    words = packed(program.act_lanes, program.shape.act_bits)
    await load(dut, program, [None] + words[1:])
    await run(dut, watchdog_cycles(core_cycles(program.dataflow, program.conv, program.shape.rows,
                                               program.shape.cols)))
    values = await host_read(dut, program.acc_words, False)
    assert any("x" in value for value in values), "an X from an unloaded word must reach the accumulator"
    try:
        words_to_lanes(values, program.shape.cols, program.shape.psum_bits, "read-out")
    except ValueError as error:
        assert "unknown bits" in str(error)
    else:
        raise AssertionError("unknown bits must not read back as a number")


@cocotb.test()
async def illegal_opcode_stops_with_flag(dut):
    await start_and_reset(dut, INPUTS, STATUS)
    illegal = 7  # opcodes 3..15 are unassigned
    await host_write(dut, "instr", [illegal, isa.halt().encode()])
    await run(dut, 100)
    assert resolved(dut.bad_instruction, "bad_instruction") == 1
    assert resolved(dut.done, "done") == 1


def reference_conv(act: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(pixels, out_channels) raw sums of a 3x3, stride-1, zero-padded convolution, written
    directly (not through the tiling the programs are compiled from)."""
    cin, height, width = act.shape
    padded = np.pad(act, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((weight.shape[0], height, width), dtype=np.int64)
    for ki in range(3):
        for kj in range(3):
            out += np.einsum("oc,chw->ohw", weight[:, :, ki, kj], padded[:, ki:ki + height, kj:kj + width])
    return out.reshape(weight.shape[0], -1).T


def placed_program(dut) -> tuple[list[tuple[LayerProgram, dict[str, int], np.ndarray]], list[isa.Instruction]]:
    """The layers of QACCEL_PROGRAM one after the other in every memory, each region a few words
    past the last, so that no base is zero and a layer's activation, weight and accumulator bases
    all differ: (program, bases, reference) per layer, and the instructions (one RUN each, HALT)."""
    shape = core_shape(dut)
    spec = json.loads(os.environ["QACCEL_PROGRAM"])
    rng = np.random.default_rng(spec["seed"])
    act_low, act_high = ((-(1 << (shape.act_bits - 1)), (1 << (shape.act_bits - 1)) - 1) if shape.act_signed
                         else (0, (1 << shape.act_bits) - 1))
    weight_limit = 1 << (shape.weight_bits - 1)
    # distinct gaps per memory: a base read from the wrong field points elsewhere
    # The weight memory takes whole beats: a layer's weights start at a beat (word base a multiple of
    # weight_beat_words).
    per_beat = shape.weight_beat_words
    next_free = {"act_base": 3, "wgt_base": 3 * per_beat, "acc_base": 5}
    layers, instructions = [], []
    for index, layer_spec in enumerate(spec["layers"]):
        conv = ConvShape(layer_spec["in_channels"], layer_spec["out_channels"], layer_spec["height"],
                         layer_spec["width"])
        act = rng.integers(act_low, act_high + 1, (conv.in_channels, conv.height, conv.width))
        weight = rng.integers(-weight_limit, weight_limit, (conv.out_channels, conv.in_channels, 3, 3))
        program = compile_layer(layer_spec["dataflow"], act, weight, shape, f"layer {index}")
        bases = dict(next_free)
        sizes = {"act_base": len(program.act_lanes), "wgt_base": len(program.weight_lanes),
                 "acc_base": program.acc_words}
        for name, memory in (("act_base", "ACT_ADDR_BITS"), ("wgt_base", "WGT_ADDR_BITS"),
                             ("acc_base", "ACC_ADDR_BITS")):
            end = bases[name] + sizes[name]
            assert end <= 1 << int(getattr(dut, memory).value), f"layer {index}: {name} region ends at {end}"
            next_free[name] = end + 2 if name != "wgt_base" else -(-(end + 2) // per_beat) * per_beat
        (run_instruction,) = [instruction for instruction in program.instructions if instruction.opcode != isa.Opcode.HALT]
        instructions.append(isa.run(layer_spec["dataflow"], **{**run_instruction.descriptor, **bases}))
        layers.append((program, bases, reference_conv(act, weight)))
    return layers, instructions + [isa.halt()]


@cocotb.test()
async def program_of_several_runs_at_base_addresses(dut):
    """One program, several RUNs back to back (each decoded while the layer before still drains),
    every layer at its own non-zero base in every memory: each layer's raw sums against a direct
    numpy convolution, and the program's cycles against the formula."""
    await start_and_reset(dut, INPUTS, STATUS)
    layers, instructions = placed_program(dut)
    shape = core_shape(dut)
    await host_write(dut, "instr", [instruction.encode() for instruction in instructions])
    for program, bases, _ in layers:
        await host_write(dut, "act", packed(program.act_lanes, shape.act_bits), bases["act_base"])
        await host_write(dut, "wgt", packed(weight_beats(program.weight_lanes, shape), shape.weight_bits),
                         bases["wgt_base"] // shape.weight_beat_words)
    formula = program_cycles([(program.dataflow, program.conv) for program, _, _ in layers], shape.rows, shape.cols)
    await run(dut, watchdog_cycles(formula))
    for index, (program, bases, expected) in enumerate(layers):
        words = await host_read(dut, program.acc_words, False, bases["acc_base"])
        what = f"layer {index} ({program.dataflow}, accumulator words {bases['acc_base']}..)"
        got = program.raw_output(words_to_lanes(words, shape.cols, shape.psum_bits, what))
        mismatched = np.argwhere(got != expected)
        assert not mismatched.size, (f"{what}: {len(mismatched)} of {got.size} sums differ, first at (pixel, channel) "
                                     f"{tuple(int(i) for i in mismatched[0])}: expected "
                                     f"{expected[tuple(mismatched[0])]}, got {got[tuple(mismatched[0])]}")
    for name in ("bad_instruction", "fifo_overflow", "acc_overflow"):
        assert resolved(getattr(dut, name), name) == 0, name
    cycles = resolved(dut.perf_cycles, "perf_cycles")
    assert cycles == formula, f"the program took {cycles} cycles, the formula says {formula}"
