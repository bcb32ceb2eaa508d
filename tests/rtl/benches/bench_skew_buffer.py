"""skew_buffer: lane i of the output is lane i of the input i cycles later, with its valid."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import resolved
from unit_common import pack, start_and_reset

LANES, WIDTH = 8, 4


@cocotb.test()
async def lane_i_is_delayed_by_i_cycles(dut):
    await start_and_reset(dut, {"in_valid": 0, "in_data": 0}, ["out_valid", "busy"])
    rng = random.Random(3)
    history = []  # (valid, lanes) driven in each cycle
    for cycle in range(200):
        valid = rng.random() < 0.7 if cycle < 180 else False
        lanes = [rng.randint(0, 15) for _ in range(LANES)]
        dut.in_valid.value = int(valid)
        dut.in_data.value = pack(lanes, WIDTH)
        history.append((valid, lanes))
        await FallingEdge(dut.clk)
        out_valid = resolved(dut.out_valid, "out_valid")
        out_data = resolved(dut.out_data, "out_data")
        # Sampled after the edge that ends cycle `cycle`: lane i shows the input of cycle+1-i
        # (lane 0 is a wire and shows what is driven next, so it is checked by the core benches).
        for index in range(1, LANES):
            source = cycle + 1 - index
            expected_valid, expected_lanes = history[source] if source >= 0 else (False, None)
            assert (out_valid >> index) & 1 == int(expected_valid), f"cycle {cycle} lane {index} valid"
            if expected_valid:
                got = (out_data >> (index * WIDTH)) & 0xF
                assert got == expected_lanes[index], f"cycle {cycle} lane {index}: expected {expected_lanes[index]}, got {got}"
    assert resolved(dut.busy, "busy") == 0
