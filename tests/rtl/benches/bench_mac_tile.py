"""mac_tile against a Python model: every 4-bit unsigned activation times every 4-bit signed
weight (WS), accumulation with wrap-around and drain (OS)."""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import resolved
from unit_common import signed, start_and_reset, wrap

ACT_BITS, WGT_BITS, PSUM_BITS = 4, 4, 16
INPUTS = {"mode_os": 0, "weight_clear": 0, "drain_capture": 0, "drain_shift": 0, "act_in": 0, "act_valid_in": 0,
          "north_data": 0, "north_weight_valid": 0, "north_result_valid": 0}
OUTPUTS = ["act_out", "act_valid_out", "south_data", "south_weight_valid", "south_result_valid"]
# Partial sums arriving from the north, the extremes included so that the add wraps both ways.
PSUM_EDGES = [0, 1, -1, 32767, -32768, 32767 - 50, -32768 + 50]


def idle(dut) -> None:
    for name, value in INPUTS.items():
        if name != "mode_os":
            getattr(dut, name).value = value


@cocotb.test()
async def ws_every_activation_times_every_weight(dut):
    await start_and_reset(dut, INPUTS, OUTPUTS)
    rng = random.Random(1)
    for weight in range(-8, 8):
        # Clear and load in one cycle; a second weight without a clear must pass south.
        dut.weight_clear.value = 1
        dut.north_weight_valid.value = 1
        dut.north_data.value = weight & 0xF
        await FallingEdge(dut.clk)
        dut.weight_clear.value = 0
        assert resolved(dut.south_weight_valid, "south_weight_valid") == 0, "the first weight must stay"
        other = (weight + 3) % 16
        dut.north_data.value = other
        await FallingEdge(dut.clk)
        assert resolved(dut.south_weight_valid, "south_weight_valid") == 1, "a second weight must pass south"
        assert resolved(dut.south_data, "south_data") == other
        dut.north_weight_valid.value = 0
        for act in range(16):
            psum_in = rng.choice(PSUM_EDGES + [rng.randint(-32768, 32767)])
            dut.act_in.value = act
            dut.act_valid_in.value = 1
            dut.north_data.value = psum_in & 0xFFFF
            await FallingEdge(dut.clk)
            got = signed(dut, "south_data", PSUM_BITS)
            expected = wrap(psum_in + act * weight, PSUM_BITS)
            assert got == expected, f"act {act} x weight {weight} + psum {psum_in}: expected {expected}, got {got}"
            assert resolved(dut.south_result_valid, "south_result_valid") == 1
            assert resolved(dut.act_out, "act_out") == act and resolved(dut.act_valid_out, "act_valid_out") == 1
        idle(dut)
        await FallingEdge(dut.clk)
        assert resolved(dut.south_result_valid, "south_result_valid") == 0


async def drain(dut) -> int:
    dut.drain_capture.value = 1
    await FallingEdge(dut.clk)
    dut.drain_capture.value = 0
    assert resolved(dut.south_result_valid, "south_result_valid") == 1
    return signed(dut, "south_data", PSUM_BITS)


@cocotb.test()
async def os_accumulates_pairs_and_wraps(dut):
    await start_and_reset(dut, INPUTS, OUTPUTS)
    dut.mode_os.value = 1
    rng = random.Random(2)
    cases = [
        [(rng.randint(0, 15), rng.randint(-8, 7), rng.random() < 0.8, rng.random() < 0.8) for _ in range(40)],
        [(15, -8, True, True)] * 300,  # -36000: wraps past -32768
        [(15, 7, True, True)] * 320,   # 33600: wraps past 32767
    ]
    for pairs in cases:
        expected = 0
        for act, weight, act_valid, weight_valid in pairs:
            dut.act_in.value = act
            dut.act_valid_in.value = int(act_valid)
            dut.north_data.value = weight & 0xF
            dut.north_weight_valid.value = int(weight_valid)
            if act_valid and weight_valid:
                expected += act * weight
            await FallingEdge(dut.clk)
            if weight_valid:
                assert resolved(dut.south_weight_valid, "south_weight_valid") == 1
                assert resolved(dut.south_data, "south_data") & 0xF == weight & 0xF, "the weight must pass south"
        idle(dut)
        got = await drain(dut)
        assert got == wrap(expected, PSUM_BITS), f"OS sum {expected}: expected {wrap(expected, PSUM_BITS)}, got {got}"
        assert await drain(dut) == 0, "a drained accumulator must restart from zero"
