"""sync_fifo and ofifo against a Python deque model, random pushes and pops, overflow included."""
from __future__ import annotations

import random
from collections import deque

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import resolved
from unit_common import lane, pack, start_and_reset


@cocotb.test()
async def sync_fifo_matches_deque(dut):
    """Flags, head and overflow on every cycle. A write while full is accepted when the same cycle
    pops, otherwise dropped, and only a dropped write sets the sticky overflow."""
    await start_and_reset(dut, {"wr_en": 0, "wr_data": 0, "rd_en": 0}, ["empty", "full", "overflow"])
    depth = 1 << int(dut.DEPTH_BITS.value)
    width = len(dut.wr_data)
    rng = random.Random(6)
    model = deque()
    overflow = False
    events = {"accepted while full": 0, "dropped": 0, "pop while empty": 0}
    # Phases: fill with rare pops (drops), then busy traffic around full, then mixed traffic.
    for cycle in range(900):
        push_rate, pop_rate = (0.9, 0.1) if cycle < 150 else (0.95, 0.5) if cycle < 500 else (0.5, 0.5)
        push, pop = rng.random() < push_rate, rng.random() < pop_rate
        value = rng.choice([0, (1 << width) - 1, 1 << (width - 1), rng.getrandbits(width)])
        empty, full = resolved(dut.empty, "empty"), resolved(dut.full, "full")
        assert empty == (len(model) == 0) and full == (len(model) == depth), \
            f"cycle {cycle}: empty {empty} full {full} with {len(model)} entries"
        if not empty:
            assert resolved(dut.rd_data, "rd_data") == model[0], f"cycle {cycle}: head"
        dut.wr_en.value = int(push)
        dut.wr_data.value = value
        dut.rd_en.value = int(pop)
        await FallingEdge(dut.clk)
        popped = pop and bool(model)
        events["pop while empty"] += pop and not model
        if popped:
            model.popleft()
        if push and (not full or popped):
            model.append(value)
            events["accepted while full"] += full
        elif push:
            overflow = True
            events["dropped"] += 1
        assert resolved(dut.overflow, "overflow") == overflow, f"cycle {cycle}: overflow should be {overflow}"
    assert all(events.values()), events


@cocotb.test()
async def ofifo_realigns_skewed_columns(dut):
    cols = len(dut.wr_en)
    width = len(dut.wr_data) // cols
    await start_and_reset(dut, {"wr_en": 0, "wr_data": 0, "rd_en": 0}, ["row_valid", "empty", "overflow"])
    rng = random.Random(7)
    rows = [[rng.getrandbits(width) for _ in range(cols)] for _ in range(20)]
    read = []
    for cycle in range(len(rows) + cols + 4):
        enables, data = 0, [0] * cols
        for column in range(cols):
            index = cycle - column  # column c delivers row t at cycle t + c, as the array does
            if 0 <= index < len(rows):
                enables |= 1 << column
                data[column] = rows[index][column]
        dut.wr_en.value = enables
        dut.wr_data.value = pack(data, width)
        row_valid = resolved(dut.row_valid, "row_valid")
        dut.rd_en.value = row_valid
        if row_valid:
            word = resolved(dut.rd_data, "rd_data")
            read.append([lane(word, column, width) & ((1 << width) - 1) for column in range(cols)])
        await FallingEdge(dut.clk)
    assert read == rows
    assert resolved(dut.empty, "empty") == 1 and resolved(dut.overflow, "overflow") == 0
