"""Unit benches per block, each against a Python/numpy model of the block's header comment on random
stimulus with the extremes. The arithmetic blocks (mac_tile, accumulator) run on both simulators;
the others run under Icarus, whose build takes a second where a Verilator build takes tens of
seconds (the whole array runs under Verilator in the core tests)."""
from __future__ import annotations

import pytest

from rtl_helpers import run_unit

WIDTHS = {"ACT_BITS": 4, "WGT_BITS": 4}


# Verilator builds one tile, the signed one (sign extension is where simulators' arithmetic differs).
@pytest.mark.parametrize("simulator, act_signed", [("icarus", 0), ("icarus", 1), ("verilator", 1)])
def test_mac_tile(build_root, simulator, act_signed):
    run_unit(build_root, simulator, "mac_tile", "bench_mac_tile", {**WIDTHS, "PSUM_BITS": 12, "ACT_SIGNED": act_signed})


@pytest.mark.parametrize("rows, cols, act_signed", [(8, 8, 0), (3, 5, 1), (5, 3, 0), (2, 2, 1), (16, 16, 0)])
def test_mac_array(build_root, rows, cols, act_signed):
    run_unit(build_root, "icarus", "mac_array", "bench_mac_array",
             {"ROWS": rows, "COLS": cols, **WIDTHS, "PSUM_BITS": 16, "ACT_SIGNED": act_signed})


def test_skew_buffer(build_root):
    run_unit(build_root, "icarus", "skew_buffer", "bench_skew_buffer", {"LANES": 8, "WIDTH": 4})


def test_sync_fifo(build_root):
    run_unit(build_root, "icarus", "sync_fifo", "bench_fifos", {"WIDTH": 16, "DEPTH_BITS": 3},
             testcase="sync_fifo_matches_deque")


def test_ofifo(build_root):
    run_unit(build_root, "icarus", "ofifo", "bench_fifos", {"COLS": 8, "WIDTH": 16, "DEPTH_BITS": 4},
             testcase="ofifo_realigns_skewed_columns")


# Verilator builds the 32-bit one: 128-bit words take its wide-word code.
@pytest.mark.parametrize("simulator, psum_bits", [("icarus", 16), ("icarus", 32), ("verilator", 32)])
def test_accumulator(build_root, simulator, psum_bits):
    run_unit(build_root, simulator, "accumulator", "bench_accumulator",
             {"COLS": 4, "PSUM_BITS": psum_bits, "ADDR_BITS": 4})


# ROWS 4: WS folds of height*width < ROWS and longer ones; 16: OS folds of tile_pitch = 9 < ROWS too.
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


# cocotb runs a test filter that matches nothing as zero tests and passes; run_unit must not.
@pytest.mark.parametrize("testcase, message", [
    ("no_such_test", r"no cocotb test of benches/bench_skew_buffer.py is named 'no_such_test' \(tests that ran: none\)"),
    # a filter that matches a test whose name only ends like it runs that test, which is not the one asked for
    ("delayed_by_i_cycles", r"is named 'delayed_by_i_cycles' \(tests that ran: \['lane_i_is_delayed_by_i_cycles'\]\)")])
def test_a_testcase_that_names_no_test_fails(build_root, testcase, message):
    with pytest.raises(AssertionError, match=message):
        run_unit(build_root, "icarus", "skew_buffer", "bench_skew_buffer", {"LANES": 3, "WIDTH": 4}, testcase=testcase)
