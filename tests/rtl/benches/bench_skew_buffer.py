"""skew_buffer: lane i of the output is lane i of the input i cycles later, with its valid; busy
while a valid word is still inside. Data registers shift every cycle and are not reset, so a lane's
data is checked (and must be known) only where its valid bit is set."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly

from unit_common import pack, resolved, resolved_lane, start_and_reset


@cocotb.test()
async def lane_i_is_delayed_by_i_cycles(dut):
    lanes = len(dut.out_valid)
    width = len(dut.in_data) // lanes
    await start_and_reset(dut, {"in_valid": 0, "in_data": 0}, ["out_valid", "busy"])
    rng = random.Random(3)
    history = []  # (valid, lane words) driven on each cycle
    for cycle in range(300):
        valid = rng.random() < 0.6 if cycle < 280 else False
        words = [rng.choice([0, (1 << width) - 1, rng.getrandbits(width)]) for _ in range(lanes)]
        dut.in_valid.value = int(valid)
        dut.in_data.value = pack(words, width)
        history.append((valid, words))
        # What the next rising edge sees (lane 0 is a wire): lane i carries the input of cycle - i.
        await ReadOnly()
        out_valid = resolved(dut.out_valid, "out_valid")
        for index in range(lanes):
            source = cycle - index
            expected_valid, expected_words = history[source] if source >= 0 else (False, None)
            assert (out_valid >> index) & 1 == expected_valid, f"cycle {cycle} lane {index}: valid"
            if expected_valid:
                got = resolved_lane(dut.out_data, index, width, "out_data")
                assert got == expected_words[index], \
                    f"cycle {cycle} lane {index}: expected {expected_words[index]}, got {got}"
        inside = any(valid for valid, _ in history[max(0, cycle - lanes + 1):cycle])
        assert resolved(dut.busy, "busy") == inside, f"cycle {cycle}: busy should be {int(inside)}"
        await FallingEdge(dut.clk)
