"""Unit benches per block, each against a Python/numpy model of the block's header comment on random
stimulus with the extremes. The arithmetic blocks (mac_row, accumulator) run on both simulators;
the others run under Icarus, whose build takes a second where a Verilator build takes tens of
seconds (the whole array runs under Verilator in the core tests)."""
from __future__ import annotations

import pytest

from qaccel.rtl.build import BLOCK_MUTANTS

from rtl_helpers import run_unit, unit_failures

WIDTHS = {"ACT_BITS": 4, "WGT_BITS": 4}


# One PE: a row of one lane. Verilator builds the signed one (sign extension is where simulators'
# arithmetic differs).
@pytest.mark.parametrize("simulator, act_signed", [("icarus", 0), ("icarus", 1), ("verilator", 1)])
def test_mac_row_pe(build_root, simulator, act_signed):
    run_unit(build_root, simulator, "mac_row", "bench_mac_row",
             {"COLS": 1, **WIDTHS, "PSUM_BITS": 12, "ACT_SIGNED": act_signed})


@pytest.mark.parametrize("rows, cols, act_signed", [(8, 8, 0), (3, 5, 1), (5, 3, 0), (2, 2, 1), (16, 16, 0)])
def test_mac_array(build_root, rows, cols, act_signed):
    run_unit(build_root, "icarus", "mac_array", "bench_mac_array",
             {"ROWS": rows, "COLS": cols, **WIDTHS, "PSUM_BITS": 16, "ACT_SIGNED": act_signed})


def test_skew_buffer(build_root):
    run_unit(build_root, "icarus", "skew_buffer", "bench_skew_buffer", {"LANES": 8, "WIDTH": 4})


@pytest.mark.parametrize("cols", [8, 2])
def test_output_deskew(build_root, cols):
    run_unit(build_root, "icarus", "output_deskew", "bench_output_deskew", {"COLS": cols, "WIDTH": 16})


# Verilator builds the 32-bit one: 128-bit words take its wide-word code.
@pytest.mark.parametrize("simulator, psum_bits", [("icarus", 16), ("icarus", 32), ("verilator", 32)])
def test_accumulator(build_root, simulator, psum_bits):
    run_unit(build_root, simulator, "accumulator", "bench_accumulator",
             {"COLS": 4, "PSUM_BITS": psum_bits, "ADDR_BITS": 4})


# ROWS 4: WS folds of height*width < ROWS and longer ones; 16: OS pixel tiles spanning several rows.
@pytest.mark.parametrize("rows", [4, 16])
def test_sequencer(build_root, rows):
    run_unit(build_root, "icarus", "sequencer", "bench_sequencers",
             {"ROWS": rows, "DIM_BITS": 16, "ACT_ADDR_BITS": 10, "WGT_ADDR_BITS": 10},
             testcase="sequencer_reads_match_loop_nest")


@pytest.mark.parametrize("rows", [4, 16])
def test_acc_sequencer(build_root, rows):
    run_unit(build_root, "icarus", "acc_sequencer", "bench_sequencers", {"ROWS": rows, "DIM_BITS": 16,
                                                                         "ACC_ADDR_BITS": 10},
             testcase="acc_sequencer_rows_match_loop_nest")


# 32-bit sums and 16-bit constants (the pipeline's), and a 3-lane unit at 24-bit sums with 30-bit
# constants, a 70-bit bias and 8-bit levels (feature_bits), whose shifter spans 72 bits. Icarus only:
# a Verilator build of this block takes minutes on 2 shared cores; the core's Verilator runs will
# carry it once it sits in the core.
REQUANT_PARAMETERS = [{"COLS": 4, "PSUM_BITS": 32, "MULT_BITS": 16, "OUT_BITS": 4, "TILE_BITS": 3},
                      {"COLS": 3, "PSUM_BITS": 24, "MULT_BITS": 30, "BIAS_BITS": 70, "OUT_BITS": 8, "TILE_BITS": 2}]


@pytest.mark.parametrize("parameters", REQUANT_PARAMETERS, ids=["p32k16", "p24k30b70"])
def test_requant(build_root, parameters):
    run_unit(build_root, "icarus", "requant", "bench_requant", parameters)


# Widths up to 16 with 3 lanes of 4-bit levels; up to 32 (VGG16's widest map) with 8 lanes of 8.
MAXPOOL_PARAMETERS = [{"COLS": 3, "LEVEL_BITS": 4, "DIM_BITS": 6, "BUF_ADDR_BITS": 3},
                      {"COLS": 8, "LEVEL_BITS": 8, "DIM_BITS": 8, "BUF_ADDR_BITS": 4}]


@pytest.mark.parametrize("parameters", MAXPOOL_PARAMETERS, ids=["3x4bit", "8x8bit"])
def test_maxpool(build_root, parameters):
    run_unit(build_root, "icarus", "maxpool", "bench_maxpool", parameters)


BLOCK_BENCHES = {"requant": ("bench_requant", REQUANT_PARAMETERS[0]), "maxpool": ("bench_maxpool", MAXPOOL_PARAMETERS[0])}


@pytest.mark.parametrize("mutant", BLOCK_MUTANTS)
def test_the_block_benches_catch_each_fault_planted_in_their_block(build_root, mutant):
    """Each block mutant fails its block's bench (which passes unmutated, above) on a wrong value,
    not on a build or simulator failure."""
    block = BLOCK_MUTANTS[mutant]
    module, parameters = BLOCK_BENCHES[block]
    failures = unit_failures(build_root, "icarus", block, module, parameters, mutant=mutant)
    assert failures, f"{mutant} passed {module}"
    assert all(": expected " in message for message in failures.values()), failures


# cocotb runs a test filter that matches nothing as zero tests and passes; run_unit must not.
@pytest.mark.parametrize("testcase, message", [
    ("no_such_test", r"no cocotb test of benches/bench_skew_buffer.py is named 'no_such_test' \(tests that ran: none\)"),
    # a filter that matches a test whose name only ends like it runs that test, which is not the one asked for
    ("delayed_by_i_cycles", r"is named 'delayed_by_i_cycles' \(tests that ran: \['lane_i_is_delayed_by_i_cycles'\]\)")])
def test_a_testcase_that_names_no_test_fails(build_root, testcase, message):
    with pytest.raises(AssertionError, match=message):
        run_unit(build_root, "icarus", "skew_buffer", "bench_skew_buffer", {"LANES": 3, "WIDTH": 4}, testcase=testcase)
