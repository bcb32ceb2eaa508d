"""Unit benches per block, each against a Python/numpy model on random stimulus with the signed
extremes; the arithmetic blocks run on both simulators."""
from __future__ import annotations

import pytest

from rtl_helpers import run_unit


def test_mac_tile(build_root, simulator):
    run_unit(build_root, simulator, "mac_tile", "bench_mac_tile", {"ACT_BITS": 4, "WGT_BITS": 4, "PSUM_BITS": 16})


def test_skew_buffer(build_root, simulator):
    run_unit(build_root, simulator, "skew_buffer", "bench_skew_buffer", {"LANES": 8, "WIDTH": 4})


@pytest.mark.parametrize("rows, cols", [(8, 8), (3, 5)])
def test_mac_array(build_root, simulator, rows, cols):
    if (rows, cols) != (8, 8) and simulator != "icarus":
        pytest.skip("non-square shape checked once, under Icarus")
    run_unit(build_root, simulator, "mac_array", "bench_mac_array",
             {"ROWS": rows, "COLS": cols, "ACT_BITS": 4, "WGT_BITS": 4, "PSUM_BITS": 16})


def test_sync_fifo(build_root, simulator):
    run_unit(build_root, simulator, "sync_fifo", "bench_fifos", {"WIDTH": 16, "DEPTH_BITS": 3},
             testcase="sync_fifo_matches_deque")


def test_ofifo(build_root, simulator):
    run_unit(build_root, simulator, "ofifo", "bench_fifos", {"COLS": 8, "WIDTH": 16, "DEPTH_BITS": 4},
             testcase="ofifo_realigns_skewed_columns")


def test_sfp(build_root, simulator):
    run_unit(build_root, simulator, "sfp", "bench_sfp", {"LANES": 4, "PSUM_BITS": 16, "ADDR_BITS": 6})
