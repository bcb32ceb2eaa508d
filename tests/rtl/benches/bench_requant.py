"""requant against FORMATS.md's "Integer-only inference", in Python integers, cycle by cycle.

Reference: level = clamp((acc * M + B + 2^(S-1)) >> S, 0, 2^level_bits - 1), no rounding term when
S = 0 (level_bits: the clamp's width, OUT_BITS or narrower), Python's >> being the floor the format asks for. Every cycle may write one constant set
(random tile, random lane mask) and carry one word (random tile among those written); a word uses
the constants in memory on its cycle, so a write to its tile on the same cycle is not seen. Each
word must leave exactly LATENCY cycles after it entered, and out_valid is low on every other cycle.

Constant sets are drawn from three kinds, each with a planned accumulator value per lane that
words of that tile use half of the time:
- random: M, B, S over their whole ranges (most results clamp);
- edge: M in {0, +-1, 2^(K-1)-1, -2^(K-1)}, S in {0, 1, 62, 63}, B at its extremes, acc at its;
- aimed: B chosen so that acc*M + B lands on a rounding tie (t + 2^(S-1) a multiple of 2^S) or one
  either side of it, for results just below, at and above both clamp bounds and inside.
The bench counts what it saw (ties, both clamps, S = 0 and 63, ...) and fails if a case is missing.
"""
from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import pack, resolved, resolved_lane, start_and_reset

LATENCY = 6  # rtl/requant.v: in_valid on cycle 0, out_valid on cycle 6
INPUTS = {"const_wr_en": 0, "const_wr_lanes": 0, "const_wr_tile": 0, "const_wr_mult": 0, "const_wr_bias": 0,
          "const_wr_shift": 0, "level_bits": 0, "in_valid": 0, "in_tile": 0, "in_acc": 0}


def requantize(acc: int, mult: int, bias: int, shift: int, out_bits: int) -> tuple[int, int]:
    """(level, unclamped y) of FORMATS.md's formula."""
    rounding = (1 << (shift - 1)) if shift > 0 else 0
    y = (acc * mult + bias + rounding) >> shift
    return min(max(y, 0), (1 << out_bits) - 1), y


@dataclass(frozen=True)
class Constants:
    mult: int
    bias: int
    shift: int
    planned_acc: int  # the accumulator value this set was drawn for


class Widths:
    def __init__(self, dut, level_bits: int | None):
        self.cols = int(dut.COLS.value)
        self.psum = len(dut.in_acc) // self.cols
        self.mult = len(dut.const_wr_mult)
        self.bias = len(dut.const_wr_bias)
        self.lane = len(dut.out_level) // self.cols  # OUT_BITS
        self.out = level_bits or self.lane  # the clamp's width
        self.tiles = 1 << len(dut.in_tile)

    @staticmethod
    def extremes(bits: int) -> tuple[int, int]:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def draw_constants(rng: random.Random, widths: Widths, events: Counter) -> Constants:
    acc_low, acc_high = widths.extremes(widths.psum)
    mult_low, mult_high = widths.extremes(widths.mult)
    bias_low, bias_high = widths.extremes(widths.bias)
    kind = rng.choice(["random", "edge", "aimed", "aimed"])
    if kind == "random":
        return Constants(rng.randint(mult_low, mult_high), rng.randint(bias_low, bias_high), rng.randint(0, 63),
                         rng.randint(acc_low, acc_high))
    if kind == "edge":
        return Constants(rng.choice([0, 1, -1, mult_high, mult_low, rng.randint(mult_low, mult_high)]),
                         rng.choice([0, 1, -1, bias_low, bias_high, rng.randint(bias_low, bias_high)]),
                         rng.choice([0, 1, 62, 63]), rng.choice([acc_low, acc_high, 0, 1, -1]))
    top = (1 << widths.out) - 1
    while True:  # aimed: B puts acc*M + B on (or one off) a rounding tie of the chosen result
        acc = rng.choice([acc_low, acc_high, rng.randint(acc_low, acc_high), rng.randint(-999, 999)])
        mult = rng.choice([rng.randint(mult_low, mult_high), rng.randint(-99, 99)])
        shift = rng.choice([0, 1, 2, rng.randint(0, 63), rng.randint(0, min(63, widths.bias - widths.out - 2))])
        result = rng.choice([-1, 0, 1, top - 1, top, top + 1, rng.randint(0, top), rng.randint(-9999, 9999)])
        off = rng.choice([-1, 0, 0, 1])
        rounding = (1 << (shift - 1)) if shift > 0 else 0
        bias = (result << shift) - rounding + off - acc * mult
        if bias_low <= bias <= bias_high:
            events["aimed constants"] += 1
            return Constants(mult, bias, shift, acc)


class Bench:
    def __init__(self, dut, rng: random.Random, level_bits: int | None = None):
        self.dut = dut
        self.rng = rng
        self.widths = Widths(dut, level_bits)
        dut.level_bits.value = self.widths.out
        self.memory: dict[tuple[int, int], Constants] = {}  # (tile, lane) -> constants
        self.expected: deque = deque()  # (cycle due, tile, accs, constants per lane)
        self.cycle = 0
        self.events: Counter = Counter()

    def written_tiles(self) -> list[int]:
        return sorted({tile for tile, _ in self.memory
                       if all((tile, index) in self.memory for index in range(self.widths.cols))})

    async def step(self, write: tuple[int, int, Constants] | None, word: tuple[int, list[int]] | None) -> None:
        """Drive one cycle: a constant write (tile, lane mask, constants) and/or a word (tile, accs);
        then check the outputs on the next cycle."""
        dut, widths = self.dut, self.widths
        dut.const_wr_en.value = int(write is not None)
        if write is not None:
            tile, mask, constants = write
            dut.const_wr_tile.value = tile
            dut.const_wr_lanes.value = mask
            dut.const_wr_mult.value = constants.mult & ((1 << widths.mult) - 1)
            dut.const_wr_bias.value = constants.bias & ((1 << widths.bias) - 1)
            dut.const_wr_shift.value = constants.shift
        dut.in_valid.value = int(word is not None)
        if word is not None:
            tile, accs = word
            dut.in_tile.value = tile
            dut.in_acc.value = pack(accs, widths.psum)
            # The word sees the memory before this cycle's write.
            used = [self.memory[(tile, index)] for index in range(widths.cols)]
            self.expected.append((self.cycle + LATENCY, tile, accs, used))
            if write is not None and write[0] == tile:
                self.events["write to the word's tile on its cycle"] += 1
        if write is not None:
            tile, mask, constants = write
            for index in range(widths.cols):
                if mask >> index & 1:
                    self.memory[(tile, index)] = constants
        await FallingEdge(dut.clk)
        self.cycle += 1
        self.check_output()

    def check_output(self) -> None:
        dut, widths = self.dut, self.widths
        due = bool(self.expected) and self.expected[0][0] == self.cycle
        valid = resolved(dut.out_valid, "out_valid")
        assert valid == due, f"cycle {self.cycle}: out_valid is {valid}, expected {int(due)}"
        if not due:
            return
        _, tile, accs, used = self.expected.popleft()
        for index in range(widths.cols):
            constants = used[index]
            want, unclamped = requantize(accs[index], constants.mult, constants.bias, constants.shift, widths.out)
            got = resolved_lane(dut.out_level, index, widths.lane, "out_level")
            assert got == want, (f"cycle {self.cycle}, tile {tile}, lane {index}: acc {accs[index]}, M {constants.mult}, "
                                 f"B {constants.bias}, S {constants.shift}: expected level {want}, got {got}")
            self.count(accs[index], constants, unclamped)

    def count(self, acc: int, constants: Constants, unclamped: int) -> None:
        widths, events = self.widths, self.events
        top = (1 << widths.out) - 1
        total = acc * constants.mult + constants.bias
        shift = constants.shift
        events["clamped low"] += unclamped < 0
        events["clamped high"] += unclamped > top
        events["inside"] += 0 <= unclamped <= top
        events["at 0"] += unclamped == 0
        events["at the top"] += unclamped == top
        events["tie"] += shift > 0 and (total + (1 << (shift - 1))) % (1 << shift) == 0 and 0 <= unclamped <= top
        events["one below a tie"] += shift > 0 and (total + (1 << (shift - 1)) + 1) % (1 << shift) == 0
        events["S = 0"] += shift == 0
        events["S = 63"] += shift == 63
        events["M = 0"] += constants.mult == 0
        events["M < 0"] += constants.mult < 0
        events["B < 0"] += constants.bias < 0
        events["M = -2^(K-1)"] += constants.mult == -(1 << (widths.mult - 1))
        events["acc = -2^(P-1)"] += acc == -(1 << (widths.psum - 1))
        events["acc = 2^(P-1)-1"] += acc == (1 << (widths.psum - 1)) - 1

    def draw_word(self) -> tuple[int, list[int]]:
        low, high = Widths.extremes(self.widths.psum)
        tile = self.rng.choice(self.written_tiles())
        accs = [self.memory[(tile, index)].planned_acc if self.rng.random() < 0.5 else self.rng.randint(low, high)
                for index in range(self.widths.cols)]
        return tile, accs


@cocotb.test()
async def levels_match_the_integer_only_formula(dut):
    await random_words(dut, seed=16, level_bits=None)


@cocotb.test()
async def a_narrower_clamp_takes_level_bits(dut):
    """The same with the clamp at 3 bits (below OUT_BITS): the last conv clamps to feature_bits, the
    others to a_bits, on one unit."""
    await random_words(dut, seed=18, level_bits=3)


async def random_words(dut, seed: int, level_bits: int | None) -> None:
    await start_and_reset(dut, INPUTS, ["out_valid"])
    rng = random.Random(seed)
    bench = Bench(dut, rng, level_bits)
    widths = bench.widths
    every_lane = (1 << widths.cols) - 1
    tiles = min(widths.tiles, 6)
    # Every lane of tile 0 first, one lane per write as a DMA would; then random masks and tiles.
    for index in range(widths.cols):
        await bench.step((0, 1 << index, draw_constants(rng, widths, bench.events)), None)
    for cycle in range(4000):
        write = None
        if rng.random() < 0.5:
            mask = rng.choice([1 << rng.randrange(widths.cols), every_lane, rng.randint(1, every_lane)])
            write = (rng.randrange(tiles), mask, draw_constants(rng, widths, bench.events))
        burst = (cycle // 50) % 3  # stretches of no gap, some gaps and sparse words
        word = bench.draw_word() if rng.random() < (1.0, 0.6, 0.2)[burst] else None
        await bench.step(write, word)
    for _ in range(LATENCY + 2):
        await bench.step(None, None)
    assert not bench.expected, f"{len(bench.expected)} words never left"
    missing = [name for name in ("clamped low", "clamped high", "inside", "at 0", "at the top", "tie", "one below a tie",
                                 "S = 0", "S = 63", "M = 0", "M < 0", "B < 0", "M = -2^(K-1)", "acc = -2^(P-1)",
                                 "acc = 2^(P-1)-1", "write to the word's tile on its cycle", "aimed constants")
               if not bench.events[name]]
    assert not missing, f"cases never reached: {missing}; seen: {dict(bench.events)}"


@cocotb.test()
async def lanes_keep_their_own_constants(dut):
    """Lane c of tile t takes M = 2^c, S = c, B = (c + t + 1) * 2^c: level acc + c + t + 1 (no
    rounding: the sum is a multiple of 2^S), a different level in every lane and tile."""
    await start_and_reset(dut, INPUTS, ["out_valid"])
    bench = Bench(dut, random.Random(17))
    widths = bench.widths
    tiles = min(widths.tiles, 4)
    for tile in range(tiles):
        for index in range(widths.cols):
            constants = Constants(1 << index, (index + tile + 1) << index, index, 0)
            await bench.step((tile, 1 << index, constants), None)
    for tile in range(tiles):
        for acc in (0, 1, 3):
            await bench.step(None, (tile, [acc] * widths.cols))
    for _ in range(LATENCY + 1):
        await bench.step(None, None)
    assert not bench.expected, f"{len(bench.expected)} words never left"
