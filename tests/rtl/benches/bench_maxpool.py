"""maxpool against numpy's 2x2 max-pool of random maps, cycle by cycle.

Maps of every even width the row buffer holds (and random even heights) stream in raster order
with random gaps, several maps (output-channel tiles) after one start; each pooled pixel must
leave exactly one cycle after its window's last pixel, in raster order of the pooled map, and
out_valid is low on every other cycle. Bypass passes every pixel one cycle later. Odd or zero
widths and heights, and widths beyond the row buffer, are refused: bad_shape and nothing leaves.
"""
from __future__ import annotations

import random
from collections import deque

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from unit_common import pack, resolved, resolved_lane, start_and_reset

INPUTS = {"start": 0, "pool": 0, "width": 0, "height": 0, "in_valid": 0, "in_pixel": 0}
OUTPUTS = ["out_valid", "bad_shape"]


def numpy_pool(levels: np.ndarray) -> np.ndarray:
    """2x2 stride-2 max-pool of an (H, W, C) map."""
    height, width, channels = levels.shape
    return levels.reshape(height // 2, 2, width // 2, 2, channels).max(axis=(1, 3))


class Bench:
    def __init__(self, dut, rng: random.Random):
        self.dut = dut
        self.rng = rng
        self.cols = int(dut.COLS.value)
        self.bits = len(dut.in_pixel) // self.cols
        self.widest = 2 << int(dut.BUF_ADDR_BITS.value)
        self.expected: deque = deque()  # (cycle due, pixel lanes, what)
        self.cycle = 0

    def random_map(self, height: int, width: int) -> np.ndarray:
        top = (1 << self.bits) - 1
        levels = np.array([[[self.rng.choice([0, top, self.rng.randint(0, top)]) for _ in range(self.cols)]
                            for _ in range(width)] for _ in range(height)])
        return levels

    async def clock(self, valid: bool = False, pixel=None) -> None:
        dut = self.dut
        dut.in_valid.value = int(valid)
        if valid:
            dut.in_pixel.value = pack(pixel, self.bits)
        await FallingEdge(dut.clk)
        dut.start.value = 0
        self.cycle += 1
        due = bool(self.expected) and self.expected[0][0] == self.cycle
        out_valid = resolved(dut.out_valid, "out_valid")
        assert out_valid == due, f"cycle {self.cycle}: out_valid is {out_valid}, expected {int(due)}"
        if due:
            _, want, what = self.expected.popleft()
            got = [resolved_lane(dut.out_pixel, index, self.bits, "out_pixel") for index in range(self.cols)]
            want = [int(value) for value in want]
            assert got == want, f"{what}: expected {want}, got {got}"

    async def start(self, pool: bool, width: int, height: int) -> None:
        dut = self.dut
        dut.start.value = 1
        dut.pool.value = int(pool)
        dut.width.value = width
        dut.height.value = height
        await self.clock()

    async def stream(self, levels: np.ndarray, pool: bool, what: str) -> None:
        """Pixels of one map in raster order with random gaps; the pooled (or, bypassed, the same)
        pixels are expected one cycle after the pixel that completes them."""
        height, width, _ = levels.shape
        pooled = numpy_pool(levels) if pool else None
        for y in range(height):
            for x in range(width):
                while self.rng.random() < 0.3:
                    await self.clock()
                if not pool:
                    self.expected.append((self.cycle + 1, levels[y, x], f"{what}, bypassed pixel ({y}, {x})"))
                elif y % 2 and x % 2:
                    self.expected.append((self.cycle + 1, pooled[y // 2, x // 2],
                                          f"{what}, pooled pixel ({y // 2}, {x // 2})"))
                await self.clock(True, levels[y, x])

    async def drain(self) -> None:
        for _ in range(3):
            await self.clock()
        assert not self.expected, f"{len(self.expected)} pixels never left"


@cocotb.test()
async def pooled_maps_match_numpy(dut):
    await start_and_reset(dut, INPUTS, OUTPUTS)
    bench = Bench(dut, random.Random(21))
    widths = list(range(2, bench.widest + 1, 2))
    for width in widths:
        height = bench.rng.choice([2, 4, 6])
        await bench.start(True, width, height)
        assert resolved(dut.bad_shape, "bad_shape") == 0, f"width {width}, height {height} refused"
        for tile in range(bench.rng.randint(1, 3)):  # output-channel tiles follow each other
            await bench.stream(bench.random_map(height, width), True, f"width {width}, height {height}, tile {tile}")
        await bench.drain()


@cocotb.test()
async def bypass_passes_every_pixel(dut):
    await start_and_reset(dut, INPUTS, OUTPUTS)
    bench = Bench(dut, random.Random(22))
    # Pooling, then bypass (even of a shape pooling refuses), then pooling again.
    await bench.start(True, 4, 2)
    await bench.stream(bench.random_map(2, 4), True, "pooled before")
    await bench.start(False, 3, 3)
    assert resolved(dut.bad_shape, "bad_shape") == 0, "bypass refused an odd shape"
    await bench.stream(bench.random_map(3, 3), False, "bypass 3x3")
    await bench.stream(bench.random_map(2, 6), False, "bypass 2x6")
    await bench.start(True, 6, 4)
    await bench.stream(bench.random_map(4, 6), True, "pooled after")
    await bench.drain()


@cocotb.test()
async def odd_empty_and_too_wide_maps_are_refused(dut):
    """A 2x2 window over an odd width or height would either cover a pixel twice or drop one; a
    width beyond the row buffer would wrap its address. Each is refused until the next start."""
    await start_and_reset(dut, INPUTS, OUTPUTS)
    bench = Bench(dut, random.Random(23))
    widest = bench.widest
    for width, height in [(3, 4), (5, 2), (4, 3), (0, 2), (2, 0), (widest + 2, 2), (widest + 1, 2)]:
        await bench.start(True, width, height)
        assert resolved(dut.bad_shape, "bad_shape") == 1, f"width {width}, height {height} not refused"
        for _ in range(2 * max(width, 2) * 2):  # pixels arrive anyway: none may leave
            await bench.clock(True, [0] * bench.cols)
        assert resolved(dut.bad_shape, "bad_shape") == 1, f"width {width}, height {height}: bad_shape fell"
        await bench.start(True, widest, 2)  # the widest map the buffer holds pools again
        assert resolved(dut.bad_shape, "bad_shape") == 0, f"bad_shape stayed after width {width}, height {height}"
        await bench.stream(bench.random_map(2, widest), True, f"after refusing width {width}, height {height}")
        await bench.drain()
