"""sfp against numpy: random commands (three nested loop counts and strides, ReLU on or off)
over a psum memory modelled in Python with the one-cycle read latency of sdp_ram; values near
the 16-bit limits so that the accumulation wraps."""
from __future__ import annotations

import random

import numpy as np

import cocotb
from cocotb.triggers import FallingEdge

from qaccel.rtl.bench import resolved
from unit_common import lane, pack, start_and_reset, wrap

INPUTS = {"count0": 1, "count1": 1, "count2": 1, "stride0": 0, "stride1": 0, "stride2": 0, "cmd_valid": 0,
          "cmd_base": 0, "cmd_out_addr": 0, "cmd_relu": 0, "psum_rd_data": 0}


@cocotb.test()
async def random_commands_match_numpy(dut):
    lanes = int(dut.LANES.value)
    bits = int(dut.PSUM_BITS.value)
    addr_bits = int(dut.ADDR_BITS.value)
    depth = 1 << addr_bits
    await start_and_reset(dut, INPUTS, ["cmd_ready", "psum_rd_en", "out_wr_en", "busy"])
    rng = random.Random(8)
    edges = [-(1 << (bits - 1)), (1 << (bits - 1)) - 1, -1, 0, 1]
    memory = np.array([[rng.choice(edges + [rng.randint(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)])
                        for _ in range(lanes)] for _ in range(depth)], dtype=np.int64)
    commands = []
    for _ in range(30):
        counts = [rng.randint(1, 3) for _ in range(3)]
        strides = [rng.randint(0, depth - 1) for _ in range(3)]
        commands.append((counts, strides, rng.randrange(depth), rng.randrange(depth), rng.random() < 0.5))
    expected_writes = []
    for counts, strides, base, out_addr, relu in commands:
        total = np.zeros(lanes, dtype=np.int64)
        for i0 in range(counts[0]):
            for i1 in range(counts[1]):
                for i2 in range(counts[2]):
                    total += memory[(base + i0 * strides[0] + i1 * strides[1] + i2 * strides[2]) % depth]
        values = [wrap(int(v), bits) for v in total]
        expected_writes.append((out_addr, [max(v, 0) if relu else v for v in values]))

    writes, pending_read, queue = [], None, list(commands)
    current = None
    for _ in range(len(commands) * 40):
        # The RAM: data for the address requested in the previous cycle.
        dut.psum_rd_data.value = pack(memory[pending_read], bits) if pending_read is not None else 0
        pending_read = resolved(dut.psum_rd_addr, "psum_rd_addr") if resolved(dut.psum_rd_en, "psum_rd_en") else None
        if resolved(dut.out_wr_en, "out_wr_en"):
            word = resolved(dut.out_wr_data, "out_wr_data")
            writes.append((resolved(dut.out_wr_addr, "out_wr_addr"), [lane(word, i, bits) for i in range(lanes)]))
        # Counts and strides are the controller's registers: change them only between commands.
        if current is None and queue and resolved(dut.cmd_ready, "cmd_ready") and not resolved(dut.busy, "busy"):
            current = queue.pop(0)
            counts, strides, base, out_addr, relu = current
            for index in range(3):
                getattr(dut, f"count{index}").value = counts[index]
                getattr(dut, f"stride{index}").value = strides[index]
            dut.cmd_base.value, dut.cmd_out_addr.value, dut.cmd_relu.value = base, out_addr, int(relu)
            dut.cmd_valid.value = 1
        else:
            dut.cmd_valid.value = 0
            if current is not None and not resolved(dut.cmd_ready, "cmd_ready"):
                current = None
        await FallingEdge(dut.clk)
        if not queue and current is None and len(writes) == len(commands):
            break
    assert writes == expected_writes
