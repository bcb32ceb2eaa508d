"""mac_array against numpy: a WS tile (weights loaded through the north edge, activations
streamed with the diagonal skew) and an OS tile (both operands streamed, then drained). The
bench drives the skew itself, one cycle at a time; ROWS/COLS come from the built parameters."""
from __future__ import annotations

import numpy as np

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import resolved
from unit_common import lane, pack, start_and_reset, wrap

ACT_BITS, WGT_BITS, PSUM_BITS = 4, 4, 16
INPUTS = {"mode_os": 0, "weight_clear": 0, "drain_capture": 0, "drain_shift": 0, "west_act": 0, "west_valid": 0,
          "north_weight": 0, "north_valid": 0}


def shape(dut) -> tuple[int, int]:
    return len(dut.west_valid), len(dut.north_valid)


def operands(rng, rows_or_cols: int, steps: int, low: int, high: int) -> np.ndarray:
    values = rng.integers(low, high + 1, size=(rows_or_cols, steps))
    values[0, 0], values[-1, -1] = low, high  # the extremes, always
    return values


def skewed(values: np.ndarray, cycle: int, start: int) -> tuple[int, int]:
    """(valid bits, packed lanes) of lane i at ``cycle`` for vectors injected from ``start``."""
    lanes, steps = values.shape
    valid, data = 0, [0] * lanes
    for index in range(lanes):
        step = cycle - start - index
        if 0 <= step < steps:
            valid |= 1 << index
            data[index] = values[index, step]
    return valid, pack(data, ACT_BITS)


def sample(dut, columns: list[list[int]]) -> None:
    valid = resolved(dut.south_result_valid, "south_result_valid")
    if valid:
        data = resolved(dut.south_data, "south_data")
        for column in range(len(columns)):
            if (valid >> column) & 1:
                columns[column].append(lane(data, column, PSUM_BITS))


@cocotb.test()
async def ws_tile_matches_numpy(dut):
    rows, cols = shape(dut)
    await start_and_reset(dut, INPUTS, ["south_result_valid", "busy"])
    rng = np.random.default_rng(4)
    steps = 40
    weights = operands(rng, cols, rows, -8, 7)  # weights[c, r]
    acts = operands(rng, rows, steps, 0, 15)    # acts[r, t]
    # Load: column c gets rows 0..R-1 in order, skewed by c cycles; weight_clear first.
    dut.weight_clear.value = 1
    await FallingEdge(dut.clk)
    dut.weight_clear.value = 0
    for cycle in range(rows + cols):
        valid, data = skewed(weights, cycle, 0)
        dut.north_valid.value = valid
        dut.north_weight.value = data
        await FallingEdge(dut.clk)
    dut.north_valid.value = 0
    columns = [[] for _ in range(cols)]
    for cycle in range(steps + rows + cols + 2):
        valid, data = skewed(acts, cycle, 0)
        dut.west_valid.value = valid
        dut.west_act.value = data
        await FallingEdge(dut.clk)
        sample(dut, columns)
    expected = weights @ acts  # (C, T)
    for column in range(cols):
        assert columns[column] == [wrap(v, PSUM_BITS) for v in expected[column]], f"column {column} psums differ"
    assert resolved(dut.busy, "busy") == 0


@cocotb.test()
async def os_tile_matches_numpy(dut):
    rows, cols = shape(dut)
    await start_and_reset(dut, INPUTS, ["south_result_valid", "busy"])
    dut.mode_os.value = 1
    rng = np.random.default_rng(5)
    for steps in (9, 72, 300):
        acts = operands(rng, rows, steps, 0, 15)       # pixel lane r, step t
        weights = operands(rng, cols, steps, -8, 7)    # output-channel lane c, step t
        if steps == 300:
            acts[:] = 15
            weights[0, :] = -8                         # column 0 wraps below -32768
        for cycle in range(steps + rows + cols):
            act_valid, act_data = skewed(acts, cycle, 0)
            weight_valid, weight_data = skewed(weights, cycle, 0)
            dut.west_valid.value = act_valid
            dut.west_act.value = act_data
            dut.north_valid.value = weight_valid
            dut.north_weight.value = weight_data
            await FallingEdge(dut.clk)
        assert resolved(dut.busy, "busy") == 0
        columns = [[] for _ in range(cols)]
        dut.drain_capture.value = 1
        await FallingEdge(dut.clk)
        dut.drain_capture.value = 0
        sample(dut, columns)
        dut.drain_shift.value = 1
        for _ in range(rows - 1):
            await FallingEdge(dut.clk)
            sample(dut, columns)
        dut.drain_shift.value = 0
        expected = acts @ weights.T  # (R, C)
        for column in range(cols):
            # A column drains bottom row first.
            want = [wrap(v, PSUM_BITS) for v in expected[::-1, column]]
            assert columns[column] == want, f"T={steps} column {column}: expected {want}, got {columns[column]}"
