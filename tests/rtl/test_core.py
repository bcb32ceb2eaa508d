"""The whole core on layers, on the no-Python bench (rtl/bench/layer_bench.v): every value it produces
against the vector files, exact cycle counts against the formula of rtl/README.md, a sweep of array
shapes and widths, the bench's event counts (the energy model's inputs) against the loop nests,
planted faults in the vector files, faults planted in the RTL itself (the
mutation check), the watchdog, the status flags and an X leaving the core; and the core through its
own ports (cocotb), a program of several RUNs at non-zero base addresses included, which catches
the controller's planted faults."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from qaccel.export.integerize import integer_conv2d
from qaccel.export.requant import fold_channels, max_pool_levels, requantize
from qaccel.export.serialize import export_layer
from qaccel.export.vectors import ManifestError
from qaccel.model.layers import CONV_LAYERS
from qaccel.rtl.bench_run import SimulationError, describe_stuck, run_programs
from qaccel.rtl.build import BLOCK_MUTANTS, MUTANTS, BenchParameters, address_bits, build_bench
from qaccel.rtl.check import describe
from qaccel.rtl.conv_runs import run_chain, run_convs
from qaccel.rtl.cycles import (DRAIN_OVERHEAD, chain_cycles, chain_layer_cycles, core_cycles, drain_cycles,
                               fold_model_cycles)
from qaccel.rtl import isa
from qaccel.rtl.layer_sim import simulate_layer
from qaccel.rtl.vector_set import read_vector_set
from qaccel.rtl.program import (ConvShape, CoreShape, ProgramError, Readout, chain_words, compile_chain, compile_layer,
                                 with_readout)
from rtl_helpers import flip_bit, random_layer, run_unit

# (rows, cols, act_bits, act_signed, weight_bits, psum_bits): the seed's core, the default one,
# square arrays up to 32x32, non-square ones, and widths from 2 to 8 bits (psums 16 to 32).
SHAPES = {
    "seed_8x8_a4u_w4_p16": (8, 8, 4, False, 4, 16),
    "default_8x8_a8s_w4_p32": (8, 8, 8, True, 4, 32),
    "16x16_a4u_w4_p24": (16, 16, 4, False, 4, 24),
    "32x32_a8s_w8_p32": (32, 32, 8, True, 8, 32),
    "4x12_a2u_w2_p16": (4, 12, 2, False, 2, 16),
    "12x4_a6s_w5_p20": (12, 4, 6, True, 5, 20),
    "2x2_a3s_w3_p16": (2, 2, 3, True, 3, 16),
    "5x3_a8u_w8_p32": (5, 3, 8, False, 8, 32),
}


def core_shape(rows, cols, act_bits, act_signed, weight_bits, psum_bits) -> CoreShape:
    return CoreShape(rows, cols, act_bits, weight_bits, psum_bits, act_signed)


DEFAULT = core_shape(*SHAPES["default_8x8_a8s_w4_p32"])


def layers_for(shape: CoreShape) -> list[tuple[int, int, int, int, bool]]:
    """(in, out channels, height, width, relu): several input- and output-channel tiles, pixel
    tiles with a partial last one, and a layer whose folds are shorter than ROWS cycles. Icarus
    simulates a 32x32 array at a few dozen cycles per second: there, one layer that fills it."""
    if shape.rows * shape.cols > 256:
        return [(shape.rows, shape.cols, 1, 2, True)]
    return [(shape.rows + 3, shape.cols + 2, 3, 5, True), (2 * shape.rows, shape.cols, 2, 2, False)]


def export_random(directory, rng, shape: CoreShape, cin, cout, height, width, relu, layer=None):
    """A random layer at the core's widths, as vector files for both dataflows."""
    act_low, act_high = (-(1 << (shape.act_bits - 1)), (1 << (shape.act_bits - 1)) - 1) if shape.act_signed \
        else (0, (1 << shape.act_bits) - 1)
    weight_limit = 1 << (shape.weight_bits - 1)
    act, weight = random_layer(rng, cin, cout, height, width, act_low, act_high, -weight_limit, weight_limit - 1)
    hardware = {"rows": shape.rows, "cols": shape.cols, "act_bits": shape.act_bits,
                "weight_bits": shape.weight_bits, "psum_bits": shape.psum_bits}
    for dataflow in ("ws", "os"):
        export_layer(directory / dataflow, dataflow, act, weight, relu, hardware, layer=layer,
                     act_signed=shape.act_signed)
    return directory


@pytest.fixture(scope="module")
def icarus_builds(build_root):
    """One Icarus build per core shape (and mutant), made on first use."""
    builds = {}

    def get(shape: CoreShape, convs: list[ConvShape], mutant: str | None = None, **extra):
        parameters = BenchParameters.for_layers(shape, convs)
        if extra:
            parameters = BenchParameters(**{**parameters.__dict__, **extra})
        key = (parameters, mutant)
        if key not in builds:
            builds[key] = build_bench("icarus", parameters, build_root / f"icarus-{parameters.key()}-{mutant}",
                                      mutant=mutant)
        return builds[key]

    return get


def assert_exact(result: dict) -> None:
    assert result["passed"], result["error"] + (f"; first: {describe(result['first_mismatch'])}"
                                                if result["first_mismatch"] else "")
    assert result["values_checked"] > 0 and result["mismatches"] == 0
    assert result["cycles"] == result["cycles_formula"], (result["cycles"], result["cycles_formula"])


def expected_events(result: dict, shape: CoreShape, cin: int, cout: int, height: int, width: int) -> dict:
    """The energy model's events for one layer (``result``: its sim.json), from the dataflows' loop nests
    (rtl/README.md): WS streams every output pixel through each fold (input tile x output tile x kernel
    tap) after ROWS weight words, and adds each row of sums into the accumulator, reading the word for
    every row but a sum's first; OS streams in_tiles x 9 x ROWS steps and weight words per pixel tile and
    output tile, and writes each output pixel's row once without reading. Every step passes all
    ROWS x COLS PEs. Both read each (pixel, tap) of the map that lies inside it once per input and
    output tile, (3H - 2)(3W - 2) per tile pair: the padding is not read. To these the host's accesses:
    the RUN and HALT, the memory images it writes (the weights a beat of weight_beat_words at a time)
    and the accumulator words it reads (sim.json's memory). No DRAIN: nothing is requantized."""
    out_tiles, in_tiles = -(-cout // shape.cols), -(-cin // shape.rows)
    pixels = height * width
    act_reads = in_tiles * out_tiles * (3 * height - 2) * (3 * width - 2)
    if result["dataflow"] == "ws":
        folds = in_tiles * out_tiles * 9
        steps, weight, rows = folds * pixels, folds * shape.rows, folds * pixels
        acc_reads, adds = rows - out_tiles * pixels, rows
    else:
        steps = weight = -(-pixels // shape.rows) * out_tiles * in_tiles * 9 * shape.rows
        rows, acc_reads, adds = out_tiles * pixels, 0, 0  # a partial pixel tile's padding rows are not written
    memory = result["memory"]
    return {"macs": steps * shape.rows * shape.cols, "accumulator_adds": adds * shape.cols, "instr_accesses": 2 + 2,
            "act_accesses": act_reads + memory["act_words"],
            "wgt_accesses": weight + -(-memory["weight_words"] // shape.weight_beat_words),
            "acc_accesses": acc_reads + rows + memory["acc_words"], "requantizations": 0, "const_accesses": 0}


def assert_events(result: dict, shape: CoreShape, spec) -> None:
    assert result["energy"]["events"] == expected_events(result, shape, *spec[:4])


@pytest.mark.parametrize("name", list(SHAPES))
def test_layers_are_bit_exact_with_exact_cycles(icarus_builds, tmp_path, name):
    shape = core_shape(*SHAPES[name])
    rng = np.random.default_rng(len(name))
    specs = layers_for(shape)
    build = icarus_builds(shape, [ConvShape(*spec[:4]) for spec in specs])
    for index, spec in enumerate(specs):
        directory = export_random(tmp_path / f"layer{index}", rng, shape, *spec)
        for dataflow in ("ws", "os"):
            result = simulate_layer(directory / dataflow, build, tmp_path / f"run{index}{dataflow}")
            assert_exact(result)
            assert_events(result, shape, spec)


def test_the_default_core_under_verilator(verilator_default, tmp_path):
    rng = np.random.default_rng(8)
    directory = export_random(tmp_path / "layer", rng, DEFAULT, 11, 19, 4, 3, True, layer=27)
    for dataflow in ("ws", "os"):
        result = simulate_layer(directory / dataflow, verilator_default, tmp_path / dataflow)
        assert_exact(result)
        assert_events(result, DEFAULT, (11, 19, 4, 3))
        assert result["simulator"] == "verilator" and result["layer"] == 27


def test_the_core_beats_the_per_fold_model_on_every_vgg16_layer_but_layer_0_and_two_fold_os_layers():
    """The formula, which the tests above pin to the RTL, against the per-fold model (SCALE-Sim's
    folds, which tests/unit/test_scalesim.py pins to SCALE-Sim): the core overlaps its folds, but
    tiles input channels by R per kernel tap, so layer 0's 3 input channels fill 3 of 8 rows in each
    of 72 WS folds and 3 of 8 steps of each OS block, where SCALE-Sim's im2col packs the 27 (channel,
    tap) pairs densely. OS layers of two folds (24 and 27: 16 pixels, 8 output channels) lose the
    transpose's R cycles, which longer layers hide."""
    slower = {}
    for index, layer in CONV_LAYERS.items():
        conv = ConvShape(layer.in_channels, layer.out_channels, layer.height, layer.width)
        for dataflow in ("ws", "os"):
            core = core_cycles(dataflow, conv, DEFAULT.rows, DEFAULT.cols)
            model = fold_model_cycles(dataflow, conv, DEFAULT.rows, DEFAULT.cols)["cycles"]
            if core > model:
                slower[(index, dataflow)] = (core, model)
    assert slower == {(0, "ws"): (73757, 33472), (0, "os"): (73764, 41984), (24, "os"): (4644, 4636),
                      (27, "os"): (180, 172)}


# psum_kij4_ict1_oct0.txt line 21 is padded position 17 = (2, 3): output pixel (1, 2) reads it at
# kij 4, so the core produces it; out_os lines are pixel lanes, out.txt lines output pixels. An
# out_os value is expected twice: as a row leaving the array and as the accumulator's raw sum
# (out.txt, the read-out, is checked on its own).
@pytest.mark.parametrize("dataflow, file, line, field, mismatches", [("ws", "psum_kij4_ict1_oct0.txt", 21, 3, 1),
                                                                     ("os", "out_os_pxt1_oct0.txt", 5, 2, 2),
                                                                     ("os", "out.txt", 7, 9, 1)])
def test_a_planted_fault_in_the_vectors_is_named(icarus_builds, tmp_path, dataflow, file, line, field, mismatches):
    rng = np.random.default_rng(27)
    directory = export_random(tmp_path / "layer", rng, DEFAULT, 12, 10, 3, 5, False)
    build = icarus_builds(DEFAULT, [ConvShape(12, 10, 3, 5)])
    vectors = directory / dataflow
    flip_bit(vectors / file, line, field, 32)
    result = simulate_layer(vectors, build, tmp_path / "run")
    mismatch = result["first_mismatch"]
    assert not result["passed"] and result["mismatches"] == mismatches
    assert (mismatch["file"], mismatch["line"], mismatch["field"]) == (str(vectors / file), line, field)
    assert abs(mismatch["expected"] - mismatch["got"]) == 1


@pytest.mark.parametrize("dataflow, file, line, field, message", [
    # padded position 0 of input tile 0's map: a corner
    ("ws", "activation_ict0.txt", 4, 0, r"activation_ict0\.txt: line 4 field 0 is zero padding of the map and "
                                        r"holds 1, not 0"),
    # pixel lane 6 = (1, 1) of pixel tile 0 at tap (0, 0) reads pixel (0, 0): the centre tap of lane 0
    ("os", "activation_os_ic0_pxt0.txt", 4, 6, r"activation_os_ic0_pxt0\.txt: line 4 field 6 holds -?\d+, but the "
                                               r"map's im2col \(its centre taps, line 8\) gives -?\d+")])
def test_activation_files_that_are_not_their_map_are_named(tmp_path, dataflow, file, line, field, message):
    """The core reads the map and pads and gathers it by addressing: an activation file whose padding
    or im2col disagrees with its map cannot be run as it is, and the reader names the file, line and field."""
    directory = export_random(tmp_path / "layer", np.random.default_rng(27), DEFAULT, 12, 10, 3, 5, False)
    vectors = directory / dataflow
    read_vector_set(vectors, DEFAULT)  # as exported: consistent
    flip_bit(vectors / file, line, field, json.loads((vectors / "manifest.json").read_text())["fields"]["activation"]["bits"])
    with pytest.raises(ManifestError, match=message):
        read_vector_set(vectors, DEFAULT)


# Faults in the controller that a one-layer program (one RUN at base addresses 0) cannot show:
# the program of several RUNs at non-zero bases catches them (test_the_program_catches_...).
PROGRAM_MUTANTS = ("MUTANT_RUN_IGNORES_BUSY", "MUTANT_ACT_BASE_FIELD")
# A fault in storing levels as the next map, which only a chain shows (test_the_chain_catches_...).
CHAIN_MUTANTS = ("MUTANT_STORE_OFFSET", "MUTANT_RING_EARLY_READ", "MUTANT_DMA_DROP_BEAT", "MUTANT_DMA_EARLY_SWAP")
# Faults in the read-out, which only a DRAIN shows (test_the_readout_catches_each_fault_...).
LAYER_MUTANTS = [mutant for mutant in MUTANTS
                 if mutant not in PROGRAM_MUTANTS and mutant not in BLOCK_MUTANTS and mutant not in CHAIN_MUTANTS]


@pytest.mark.parametrize("mutant", LAYER_MUTANTS)
def test_the_suite_catches_each_fault_planted_in_the_rtl(icarus_builds, tmp_path, mutant):
    """The mutation check: a deliberate RTL fault (rtl/README.md) fails this layer in at least one
    dataflow, while the unmutated core passes the same vectors."""
    rng = np.random.default_rng(3)
    directory = export_random(tmp_path / "layer", rng, DEFAULT, 12, 10, 3, 5, True)
    convs = [ConvShape(12, 10, 3, 5)]
    sound, mutated = icarus_builds(DEFAULT, convs), icarus_builds(DEFAULT, convs, mutant)
    failures = []
    for dataflow in ("ws", "os"):
        assert_exact(simulate_layer(directory / dataflow, sound, tmp_path / f"sound-{dataflow}"))
        try:
            result = simulate_layer(directory / dataflow, mutated, tmp_path / f"mutant-{dataflow}")
        except SimulationError as error:  # an X left the core: named, and caught
            failures.append(str(error))
            continue
        if not result["passed"]:
            failures.append(result["error"])
    assert failures, f"{mutant} passed both dataflows"


def test_a_stuck_core_is_stopped_by_the_watchdog_naming_where_it_stood(icarus_builds, tmp_path):
    conv = ConvShape(8, 8, 4, 4)
    build = icarus_builds(DEFAULT, [conv])
    rng = np.random.default_rng(1)
    act, weight = random_layer(rng, 8, 8, 4, 4)
    program = compile_layer("ws", act, weight, DEFAULT, "layer 27 ws")
    # A descriptor with zero output-channel tiles never reaches its last fold.
    program.instructions[0] = isa.run("ws", **{**program.instructions[0].descriptor, "out_tiles": 0})
    (run,), _ = run_programs(build, program, [program.act_lanes], tmp_path, max_cycles=500)
    assert run.timed_out
    message = describe_stuck(run, program, "layer 27 ws", 500)
    assert message.startswith("layer 27 ws: no done after 500 cycles")
    assert "RUN (issuing folds) at instruction 0" in message
    assert f"fold {run.values['fold']} of {program.folds}" in message and run.values["fold"] > program.folds


def test_an_accumulator_overflow_is_reported(icarus_builds, tmp_path):
    """Sums past 16 bits on a 16-bit core raise acc_overflow: the accumulator memory's adds (WS)
    and the PEs' accumulators (OS)."""
    shape = core_shape(*SHAPES["seed_8x8_a4u_w4_p16"])
    conv = ConvShape(64, 8, 3, 3)
    build = icarus_builds(shape, [conv])
    act = np.full((64, 3, 3), 15)
    weight = np.full((8, 64, 3, 3), 7)  # the centre pixel: 64 * 9 * 105 = 60480 > 32767
    for dataflow in ("ws", "os"):
        program = compile_layer(dataflow, act, weight, shape, "big sums")
        (run,), _ = run_programs(build, program, [program.act_lanes], tmp_path / dataflow, max_cycles=10**5)
        assert run.flags["acc_overflow"], dataflow
        assert not run.flags["fifo_overflow"]


@pytest.mark.parametrize("dataflow, message", [
    # no monitor: the accumulator read-out is the first place the X shows
    ("ws", r"run 0: the accumulator memory \(raw read-out\) in \S+/acc_0\.hex: word 0 \(line 2\) is 'x+', not a "
           r"number \(unknown bits; 12 of 12 words hold some\)"),
    # an X summed in a PE makes its overflow flag unknown: the result line says so
    ("os", r"\S+/result\.txt line 1: acc_overflow is 'x', unknown bits \(x/z\): an X left the core")])
def test_an_x_leaving_the_core_is_named(icarus_builds, tmp_path, dataflow, message):
    """Activation words left unloaded ($readmemh of a short file leaves them X) make X sums: input
    tile 1's map unloaded, whose centre every output pixel reads in both dataflows."""
    shape = core_shape(*SHAPES["2x2_a3s_w3_p16"])
    conv = ConvShape(3, 3, 2, 3)
    build = icarus_builds(shape, [conv])
    act, weight = random_layer(np.random.default_rng(4), 3, 3, 2, 3, -4, 3, -4, 3)
    program = compile_layer(dataflow, act, weight, shape, "unloaded")
    loaded = program.act_lanes[:conv.pixels]
    stream = [np.zeros((program.stream_rows, shape.cols), dtype=np.int64)] if dataflow == "os" else None
    with pytest.raises(SimulationError, match=message):
        run_programs(build, program, [loaded], tmp_path, max_cycles=10**4, expected_stream=stream)


def test_a_word_lost_on_the_way_out_is_reported(icarus_builds, tmp_path):
    """MUTANT_DESKEW_DROP: column 1 loses a word in the output de-skew; its row cannot leave whole, and
    the core says so (fifo_overflow)."""
    conv = ConvShape(8, 8, 4, 4)
    build = icarus_builds(DEFAULT, [conv], "MUTANT_DESKEW_DROP")
    rng = np.random.default_rng(2)
    directory = export_random(tmp_path / "layer", rng, DEFAULT, 8, 8, 4, 4, False)
    result = simulate_layer(directory / "ws", build, tmp_path / "run")
    assert not result["passed"] and result["fifo_overflow"]
    assert "the core raised fifo_overflow" in result["error"]


# Under Icarus only: Verilator runs the core through the layer bench above, and a cocotb build of
# the core with Verilator's VPI takes minutes; Verilator is two-state, so it cannot show an X anyway.
@pytest.mark.parametrize("testcase, dataflow", [("host_port_round_trip", "ws"), ("host_port_round_trip", "os"),
                                                ("unloaded_activation_word_is_caught_as_x", "ws"),
                                                ("unloaded_activation_word_is_caught_as_x", "os"),
                                                ("illegal_opcode_stops_with_flag", "ws")])
def test_core_through_its_ports(build_root, testcase, dataflow):
    parameters = BenchParameters.for_layers(DEFAULT, [ConvShape(12, 10, 3, 5)]).verilog()
    core_parameters = {name: value for name, value in parameters.items() if name != "EXPECT_ADDR_BITS"}
    layer = {"in_channels": 12, "out_channels": 10, "height": 3, "width": 5, "dataflow": dataflow, "seed": 5}
    run_unit(build_root, "icarus", "core", "bench_core", core_parameters, testcase=testcase,
             extra_env={"QACCEL_LAYER": json.dumps(layer)})


# A small core and three small layers, WS, OS, WS: several input- and output-channel tiles, a
# partial pixel tile. Every layer has its own non-zero base in each memory (bench_core.py).
PROGRAM_CORE = {"ROWS": 2, "COLS": 2, "ACT_BITS": 4, "ACT_SIGNED": 1, "WGT_BITS": 4, "PSUM_BITS": 16,
                "INSTR_ADDR_BITS": 4, "ACT_ADDR_BITS": 8, "WGT_ADDR_BITS": 8, "ACC_ADDR_BITS": 6}
PROGRAM = {"seed": 11, "layers": [
    {"dataflow": "ws", "in_channels": 3, "out_channels": 3, "height": 2, "width": 3},
    {"dataflow": "os", "in_channels": 2, "out_channels": 3, "height": 3, "width": 3},
    {"dataflow": "ws", "in_channels": 2, "out_channels": 2, "height": 2, "width": 2}]}


def run_program(build_root, mutant=None):
    run_unit(build_root, "icarus", "core", "bench_core", PROGRAM_CORE,
             testcase="program_of_several_runs_at_base_addresses",
             extra_env={"QACCEL_PROGRAM": json.dumps(PROGRAM)}, mutant=mutant)


def test_a_program_of_several_runs_at_base_addresses(build_root):
    run_program(build_root)


@pytest.mark.parametrize("mutant", PROGRAM_MUTANTS)
def test_the_program_catches_each_controller_fault(build_root, mutant):
    """The mutation check for the controller faults (the unmutated core passes the same program,
    the test above)."""
    with pytest.raises(AssertionError, match="program_of_several_runs_at_base_addresses: "):
        run_program(build_root, mutant)


# The read-out (DRAIN): two images per layer; a pooled layer of two output-channel tiles (lanes past
# its 10 channels padded) and an odd-sized one without pool; 4-bit levels (a_bits) and 16-bit ones
# (feature_bits, the last conv's).
READOUT_LAYERS = [(ConvShape(12, 10, 4, 6), True, 4), (ConvShape(5, 7, 3, 5), False, 16)]


def readout_case(rng, conv: ConvShape, pool: bool, level_bits: int):
    """Random levels and weights, constants that spread each channel's sums over the levels (some
    multipliers negative), and channel 0 at M = 1, S = 1, B = 0 on the sums of a single centre weight
    of 1, its input channel 0's levels (every odd one a rounding tie); the library's levels of them
    (qaccel.export.requant), pooled where asked."""
    act, weight = random_layer(rng, conv.in_channels, conv.out_channels, conv.height, conv.width, 0, 15, -8, 7)
    act = np.stack([act, rng.integers(0, 16, act.shape)])
    weight[0] = 0
    weight[0, 0, 1, 1] = 1
    acc = integer_conv2d(torch.from_numpy(act), torch.from_numpy(weight)).numpy()
    constants = spread_constants(rng, acc, level_bits)
    constants.multiplier[0], constants.shift[0], constants.bias[0] = 1, 1, 0
    levels = requantize(acc, constants)
    return act, weight, constants, max_pool_levels(levels) if pool else levels


def spread_constants(rng, acc: np.ndarray, level_bits: int):
    """Constants that spread each channel's sums ``acc`` (N, C, H, W) over the levels, some multipliers
    negative (qaccel.export.requant.fold_channels)."""
    channels = acc.shape[1]
    spread = np.maximum(acc.max(axis=(0, 2, 3)) - acc.min(axis=(0, 2, 3)), 1)
    m = (2**level_bits - 1) / spread * rng.choice([-1.0, 1.0], channels) * rng.uniform(0.7, 1.3, channels)
    b = np.where(m > 0, -m * acc.min(axis=(0, 2, 3)), -m * acc.max(axis=(0, 2, 3)))
    return fold_channels(0, m, b, DEFAULT.mult_bits, level_bits)


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_the_readout_requantizes_and_pools_exactly_as_the_library(icarus_builds, tmp_path, dataflow):
    """A RUN, a DRAIN and a HALT: the levels the core sends equal qaccel.export.requant's on every
    pixel and channel, in exactly the formula's cycles (the RUN's and drain_cycles)."""
    build = icarus_builds(DEFAULT, [conv for conv, _, _ in READOUT_LAYERS])
    rng = np.random.default_rng(21)
    for conv, pool, level_bits in READOUT_LAYERS:
        act, weight, constants, expected = readout_case(rng, conv, pool, level_bits)
        assert len(np.unique(expected)) > min(expected.size // 4, 2**level_bits // 2)  # levels spread out
        readout = Readout(constants.multiplier, constants.bias, constants.shift, level_bits, pool)
        runs = run_convs(build, dataflow, act, weight, f"readout {conv}", tmp_path, readout)
        assert np.array_equal(runs.outputs, expected), (conv, np.argwhere(runs.outputs != expected)[:5])
        formula = core_cycles(dataflow, conv, 8, 8) + drain_cycles(conv, 8)
        assert runs.cycles == [formula, formula], (runs.cycles, formula)
        # What the host moves for each image, priced as DRAM (1.3 nJ per 64 bits): the RUN, DRAIN and
        # HALT (256 bits each), the map (64-bit words), the weights (32-bit), each lane's constants
        # (6 + 56 + 24 bits) and the levels sent (8 lanes of 16 bits), not the accumulator's sums.
        in_tiles, out_tiles = -(-conv.in_channels // 8), -(-conv.out_channels // 8)
        sent = out_tiles * conv.pixels // (4 if pool else 1)
        bits = (3 * 256 + in_tiles * conv.pixels * 64 + in_tiles * out_tiles * 9 * 8 * 32 + out_tiles * 8 * 86
                + sent * 8 * 16)
        assert [energy["dram"] for energy in runs.energy_uj] == pytest.approx([bits / 64 * 1.3e-3] * 2)


@pytest.mark.parametrize("mutant", BLOCK_MUTANTS)
def test_the_readout_catches_each_fault_planted_in_it(icarus_builds, tmp_path, mutant):
    """The read-out's mutants (the requantizer's rounding and lanes, the pool's window) change the
    levels the core sends on the pooled layer above (the unmutated core passes: the test above)."""
    conv, pool, level_bits = READOUT_LAYERS[0]
    build = icarus_builds(DEFAULT, [conv for conv, _, _ in READOUT_LAYERS], mutant)
    act, weight, constants, expected = readout_case(np.random.default_rng(21), conv, pool, level_bits)
    readout = Readout(constants.multiplier, constants.bias, constants.shift, level_bits, pool)
    runs = run_convs(build, "ws", act, weight, "readout", tmp_path, readout)
    assert not np.array_equal(runs.outputs, expected), f"{mutant} sent the library's levels"


def test_a_drain_at_a_non_zero_accumulator_base_counts_its_events(icarus_builds, tmp_path):
    """The RUN and its DRAIN at accumulator base 37 (the rest of that memory holds the bench's fill
    pattern, so a DRAIN reading from elsewhere sends wrong levels): the library's levels; the bench's
    counts of the read-out's events: one requantized word per accumulator word (tiles x H x W), each
    reading every lane's constants, and the pooled words sent."""
    conv, pool, level_bits = READOUT_LAYERS[0]
    build = icarus_builds(DEFAULT, [conv for conv, _, _ in READOUT_LAYERS], acc_addr_bits=7)
    act, weight, constants, expected = readout_case(np.random.default_rng(22), conv, pool, level_bits)
    program = compile_layer("ws", act[0], weight, DEFAULT, "based")
    run, halt = program.instructions
    program.instructions = [isa.run("ws", **{**run.descriptor, "acc_base": 37}), halt]
    readout = Readout(constants.multiplier, constants.bias, constants.shift, level_bits, pool)
    program = with_readout(program, readout, "based")
    assert program.instructions[1].descriptor["acc_base"] == 37
    (result,), _ = run_programs(build, program, [program.act_lanes], tmp_path, max_cycles=10**5)
    assert np.array_equal(program.levels_output(result.levels), expected[0])
    words = 2 * conv.pixels  # 10 channels: two tiles of 8 lanes
    assert (result.values["requant_words"], result.values["const_reads"], result.values["levels"]) == (
        words, 8 * words, 2 * conv.pixels // 4)


def test_a_second_drain_of_the_same_sums_takes_its_own_pool_and_clamp(icarus_builds, tmp_path):
    """RUN, DRAIN (pooled, 4-bit levels), DRAIN (not pooled, 16-bit), HALT: each DRAIN keeps its own
    fields (nothing left over from the one before), and the sums are read out twice unchanged."""
    conv, pool, level_bits = READOUT_LAYERS[0]
    build = icarus_builds(DEFAULT, [conv for conv, _, _ in READOUT_LAYERS])
    act, weight, constants, pooled = readout_case(np.random.default_rng(23), conv, True, 4)
    acc = integer_conv2d(torch.from_numpy(act[:1]), torch.from_numpy(weight)).numpy()
    wide = requantize(acc, replace(constants, out_bits=16))[0]
    program = compile_layer("ws", act[0], weight, DEFAULT, "twice")
    program = with_readout(program, Readout(constants.multiplier, constants.bias, constants.shift, 4, True), "twice")
    run, first, halt = program.instructions
    program.instructions = [run, first, isa.drain(**{**first.descriptor, "pool": 0, "level_bits": 16}), halt]
    (result,), _ = run_programs(build, program, [program.act_lanes], tmp_path, max_cycles=10**5)
    pooled_words = 2 * conv.pixels // 4
    assert len(result.levels) == pooled_words + 2 * conv.pixels
    got_pooled = result.levels[:pooled_words].reshape(2, -1, 8).transpose(0, 2, 1).reshape(16, 2, 3)[:10]
    got_wide = result.levels[pooled_words:].reshape(2, -1, 8).transpose(0, 2, 1).reshape(16, 4, 6)[:10]
    assert np.array_equal(got_pooled, pooled[0]) and np.array_equal(got_wide, wide)
    assert wide.max() > 15  # the second clamp is the wider one


# A chain of three convs in one program: 12 -> 10 channels on 4x6, pooled to 2x3 (two output tiles,
# the next layer's two input tiles); 10 -> 9 on 2x3; 9 -> 5 on 2x3 with 16-bit levels (the last).
CHAIN_LAYERS = [(10, True, 4), (9, False, 4), (5, False, 16)]


def chain_case(rng):
    """The first map, each layer's (weights, readout), and the library's levels of each layer, every
    layer computed from the library's levels of the one before."""
    act = rng.integers(0, 16, (12, 4, 6))
    levels, layers, expected = act[None], [], []
    for out_channels, pool, level_bits in CHAIN_LAYERS:
        weight = rng.integers(-8, 8, (out_channels, levels.shape[1], 3, 3))
        acc = integer_conv2d(torch.from_numpy(levels), torch.from_numpy(weight)).numpy()
        constants = spread_constants(rng, acc, level_bits)
        levels = requantize(acc, constants)
        levels = max_pool_levels(levels) if pool else levels
        layers.append((weight, Readout(constants.multiplier, constants.bias, constants.shift, level_bits, pool)))
        expected.append(levels[0])
    return act, layers, expected


def chain_build(icarus_builds, program, mutant=None):
    """Memories for the chain alone (chain_words): the activation memory's two parts, two halves of the
    weights' largest tile block, the accumulator's ring, the constant slots, the DRAM's tile blocks."""
    convs = [layer.conv for layer in program.layers]
    words = chain_words(convs, [layer.readout.pool for layer in program.layers], DEFAULT)
    return icarus_builds(DEFAULT, convs, mutant, **{f"{memory}_addr_bits": address_bits(words[memory])
                                                    for memory in ("act", "wgt", "acc", "const", "dram")},
                         instr_addr_bits=address_bits(words["instr"]))


@pytest.mark.parametrize("dataflow", ["ws", "os"])
def test_a_chain_of_convs_passes_its_maps_on_chip(icarus_builds, tmp_path, dataflow):
    """One program of three convs from one start to one done (run_chain): each DRAIN but the last stores
    its levels into the other part of the activation memory, where the next RUN reads them as its map;
    the host writes only the first map, the DMA brings every tile's constants and weights from the
    bench's DRAM. Every layer's levels the core sends equal the library's integer-only path. Each
    layer, from the end of the DRAIN before it to the end of its own, takes exactly its RUN's cycles,
    the tile switches of a dma RUN, its ring DRAIN's (the last tile's words and 11), less the HALT's 3
    (the last layer to done, with its HALT; the first with the first LOAD's fetch and decode), and the
    cycles it waited for the DMA: only layer 0's first tile waits (its request's 2 cycles, the DRAM's
    100 and its 44 beats), the later layers' first tiles arrive while the layer before computes. DRAM:
    the host's instructions, first map and last levels, and every tile block the DMA reads."""
    act, layers, expected = chain_case(np.random.default_rng(31))
    program = compile_chain(dataflow, act, layers, DEFAULT, "chain")
    run_op = "RUN_" + dataflow.upper()
    assert [str(instruction).split()[0] for instruction in program.instructions] == [
        "LOAD", run_op, "LOAD", "DRAIN", run_op, "LOAD", "DRAIN", run_op, "DRAIN", "HALT"]
    drains = [instruction for instruction in program.instructions if instruction.opcode == isa.Opcode.DRAIN]
    assert [drain.descriptor["store"] for drain in drains] == [1, 1, 0]
    results = run_chain(chain_build(icarus_builds, program), dataflow, act[None], layers, "chain", workdir=tmp_path)
    for index, (result, want) in enumerate(zip(results, expected)):
        assert np.array_equal(result.outputs[0], want), (index, np.argwhere(result.outputs[0] != want)[:5])
    assert len(np.unique(expected[1])) > 8  # the stored levels carry information into layer 2
    convs = [layer.conv for layer in program.layers]
    # A tile block: 8 lanes' constants, then in_tiles*9*8 weight words, 4 to a 128-bit beat.
    in_tiles, out_tiles = [-(-conv.in_channels // 8) for conv in convs], [-(-conv.out_channels // 8) for conv in convs]
    block_beats = [8 + tiles * 9 * 8 // 4 for tiles in in_tiles]
    assert block_beats == [44, 44, 44] and len(program.dram_bits) == sum(t * b for t, b in zip(out_tiles, block_beats))
    switch = 8 + (1 if dataflow == "ws" else 2)
    shares = [core_cycles(dataflow, conv, 8, 8) + conv.pixels + DRAIN_OVERHEAD - 1 + 1 + (tiles - 1) * switch
              + 2 * (index == 0) - 3 * (index < 2) for index, (conv, tiles) in enumerate(zip(convs, out_tiles))]
    assert shares == chain_layer_cycles([(dataflow, conv) for conv in convs], 8, 8)
    assert [result.dma_stall_cycles for result in results] == [2 + 100 + 44, 0, 0]
    assert [result.cycles[0] for result in results] == [share + result.dma_stall_cycles
                                                         for share, result in zip(shares, results)]
    # DRAM, 1.3 nJ per 64 bits: instructions 256 bits (LOAD, RUN, DRAIN; the HALT), the map 64-bit words,
    # levels 8 lanes of 16 bits, and the DMA's 128-bit beats: layer 0 reads its two tiles and layer 1's
    # first, layer 1 its second and layer 2's.
    bits = [3 * 256 + 2 * 24 * 64 + 3 * 44 * 128, 3 * 256 + 2 * 44 * 128, 4 * 256 + 1 * 6 * 8 * 16]
    assert [result.energy_uj[0]["dram"] for result in results] == pytest.approx([b / 64 * 1.3e-3 for b in bits])
    assert [result.dram_bytes for result in results] == [b / 8 for b in bits]


def test_the_chain_catches_a_store_at_the_wrong_address(icarus_builds, tmp_path):
    """MUTANT_STORE_OFFSET: layer 1 reads a map shifted by a word, whose word 0 no one wrote (X under
    Icarus): its levels, from word 12 on (layer 0 sent 12), are unknown, and the run says so."""
    act, layers, _ = chain_case(np.random.default_rng(31))
    program = compile_chain("ws", act, layers, DEFAULT, "chain")
    with pytest.raises(SimulationError, match=r"the levels the core sent in \S+/levels_0\.hex: word 12 \(line 14\) "
                                              r"is 'x+', not a number"):
        run_programs(chain_build(icarus_builds, program, "MUTANT_STORE_OFFSET"), program, [program.act_lanes],
                     tmp_path, max_cycles=10**5)


@pytest.mark.parametrize("dataflow", ["ws", "os"])
@pytest.mark.parametrize("mutant", CHAIN_MUTANTS[1:])
def test_the_chain_catches_each_fault_in_its_ring_and_its_dma(icarus_builds, tmp_path, mutant, dataflow):
    """MUTANT_RING_EARLY_READ: the ring DRAIN reads each tile one tile early, tile 0 while the array
    still adds into it (WS: the bank's read port is the add's; OS: words not yet written).
    MUTANT_DMA_DROP_BEAT: a weight beat of every tile never reaches the weight memory.
    MUTANT_DMA_EARLY_SWAP: the DMA writes the next tile but one into the half the array still reads.
    The levels the core sends are not the library's, or are unknown, and the run says so."""
    act, layers, expected = chain_case(np.random.default_rng(31))
    program = compile_chain(dataflow, act, layers, DEFAULT, "chain")
    try:
        results = run_chain(chain_build(icarus_builds, program, mutant), dataflow, act[None], layers, "chain",
                            workdir=tmp_path)
    except SimulationError as error:  # an unknown value left the core, named
        assert "not a number" in str(error) or "unknown bits (x/z): an X left the core" in str(error)
    else:
        assert any(not np.array_equal(result.outputs[0], want) for result, want in zip(results, expected))


def test_a_chain_needs_a_square_array_and_levels_that_fit_the_map():
    act, layers, _ = chain_case(np.random.default_rng(31))
    with pytest.raises(ProgramError, match=r"chain: a 8x4 core cannot pass maps on chip"):
        compile_chain("ws", act, layers, replace(DEFAULT, cols=4), "chain")
    weight, readout = layers[0]
    with pytest.raises(ProgramError, match=r"chain layer 0: its 8-bit levels are the next layer's map, and the "
                                           r"core's 8-bit signed activation lanes hold 7 bits"):
        compile_chain("ws", act, [(weight, replace(readout, level_bits=8)), *layers[1:]], DEFAULT, "chain")


def test_the_core_refuses_a_store_of_levels_wider_than_its_activation_lanes(icarus_builds, tmp_path):
    """Layer 0 of the chain alone, its DRAIN storing 8-bit levels into 8-bit signed lanes (7 bits): the
    core raises bad_instruction (and stores nothing) where the program compiler would have refused it
    (the test above); the levels still leave, clamped at 8 bits."""
    act, layers, _ = chain_case(np.random.default_rng(31))
    program = compile_chain("ws", act, layers, DEFAULT, "chain")
    build = chain_build(icarus_builds, program)
    load, run, _, drain = program.instructions[:4]
    program.layers = program.layers[:1]
    program.instructions = [load, run, isa.drain(ring=True, **{**drain.descriptor, "level_bits": 8}), isa.halt()]
    (result,), _ = run_programs(build, program, [program.act_lanes], tmp_path, max_cycles=10**5)
    assert result.flags == {"bad_instruction": True, "fifo_overflow": False, "acc_overflow": False}
    assert result.values["done"] == 1
