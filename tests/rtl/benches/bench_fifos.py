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
    await start_and_reset(dut, {"wr_en": 0, "wr_data": 0, "rd_en": 0}, ["empty", "full", "overflow"])
    depth = 1 << int(dut.DEPTH_BITS.value)
    width = len(dut.wr_data)
    rng = random.Random(6)
    model = deque()
    for cycle in range(600):
        # Phases: fill past full (overflow must go sticky only then), then mixed traffic.
        push = rng.random() < (0.9 if cycle < 100 else 0.5)
        pop = rng.random() < (0.1 if cycle < 100 else 0.5)
        value = rng.choice([0, (1 << width) - 1, 1 << (width - 1), rng.getrandbits(width)])
        empty = resolved(dut.empty, "empty")
        full = resolved(dut.full, "full")
        assert empty == (len(model) == 0) and full == (len(model) == depth), f"cycle {cycle}: flags"
        if not empty:
            assert resolved(dut.rd_data, "rd_data") == model[0], f"cycle {cycle}: head"
        overflowed = push and full
        dut.wr_en.value = int(push)
        dut.wr_data.value = value
        dut.rd_en.value = int(pop)
        await FallingEdge(dut.clk)
        if pop and model:
            model.popleft()
        if push and not full:
            model.append(value)
        if overflowed:
            assert resolved(dut.overflow, "overflow") == 1, f"cycle {cycle}: write while full must flag overflow"
    assert resolved(dut.overflow, "overflow") == 1


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
