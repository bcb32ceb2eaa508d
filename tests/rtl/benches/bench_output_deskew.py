"""output_deskew: rows whose column c arrives c cycles after column 0 (as the array delivers them)
leave whole, the cycle after their last column's word; busy while a word is inside; a row whose
lanes disagree is dropped and sets the sticky misaligned flag."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import pack, resolved, resolved_lane, start_and_reset


async def drive(dut, rows: dict[int, list[int | None]], cycles: int) -> list[tuple[int, list[int]]]:
    """Drive row ``t`` of ``rows`` (its words; None: that column's word missing) into column c at
    cycle t + c; return the (cycle, words) of every row that leaves."""
    cols = len(dut.in_valid)
    width = len(dut.in_data) // cols
    left = []
    for cycle in range(cycles):
        valid, data = 0, [0] * cols
        for column in range(cols):
            words = rows.get(cycle - column)
            if words is not None and words[column] is not None:
                valid |= 1 << column
                data[column] = words[column]
        dut.in_valid.value = valid
        dut.in_data.value = pack(data, width)
        if resolved(dut.out_valid, "out_valid"):
            left.append((cycle, [resolved_lane(dut.out_data, column, width, "out_data") for column in range(cols)]))
        inside = any(row in rows for row in range(cycle - cols, cycle))
        assert resolved(dut.busy, "busy") == inside, f"cycle {cycle}: busy should be {int(inside)}"
        await FallingEdge(dut.clk)
    return left


@cocotb.test()
async def rows_leave_whole_the_cycle_after_their_last_word(dut):
    cols = len(dut.in_valid)
    width = len(dut.in_data) // cols
    await start_and_reset(dut, {"in_valid": 0, "in_data": 0}, ["out_valid", "misaligned", "busy"])
    rng = random.Random(7)
    # Bursts of back-to-back rows and gaps, words with the extremes.
    starts = [t for t in range(120) if rng.random() < 0.7]
    rows = {t: [rng.choice([0, (1 << width) - 1, 1 << (width - 1), rng.getrandbits(width)]) for _ in range(cols)]
            for t in starts}
    left = await drive(dut, rows, 120 + 2 * cols)
    assert left == [(t + cols, rows[t]) for t in starts]
    assert resolved(dut.misaligned, "misaligned") == 0 and resolved(dut.busy, "busy") == 0


@cocotb.test()
async def a_row_with_a_missing_word_is_dropped_and_flagged(dut):
    cols = len(dut.in_valid)
    await start_and_reset(dut, {"in_valid": 0, "in_data": 0}, ["out_valid", "misaligned", "busy"])
    rows = {t: [t * cols + column for column in range(cols)] for t in range(6)}
    rows[3][1] = None  # column 1's word of row 3 never comes
    left = await drive(dut, rows, 6 + 2 * cols)
    assert left == [(t + cols, rows[t]) for t in (0, 1, 2, 4, 5)]
    assert resolved(dut.misaligned, "misaligned") == 1
