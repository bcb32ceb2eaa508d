"""accumulator against a Python model of its header comment, cycle by cycle.

Rows arrive with random gaps, in bursts to one address (each row takes the previous row's sum:
forwarding), to two alternating addresses and to random ones; some start a sum (first), some are
not written (row_write = 0). The overflow pulse is checked on every cycle: high on exactly the cycle
after a row whose add overflowed in some lane (either sign), and busy while a row's add is pending.
Direct rows are written as they arrive. The host port then reads every word written, with and
without ReLU, one cycle after the request. Widths come from the build.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import lane, pack, resolved, start_and_reset

INPUTS = {"row_valid": 0, "row_data": 0, "row_addr": 0, "row_first": 0, "row_write": 0, "direct": 0,
          "host_rd_en": 0, "host_rd_relu": 0, "host_rd_addr": 0}
OUTPUTS = ["overflow", "busy"]


@dataclass(frozen=True)
class Row:
    addr: int
    lanes: tuple[int, ...]
    first: bool
    write: bool


class AccumulatorModel:
    """The memory as the rows define it, rows applied in arrival order; lanes as signed integers."""

    def __init__(self, bits: int):
        self.bits = bits
        self.mem: dict[int, list[int]] = {}
        self.events: Counter = Counter()

    def wrap(self, value: int) -> int:
        low = -(1 << (self.bits - 1))
        return (value - low) % (1 << self.bits) + low

    def arrive(self, row: Row, direct: bool) -> bool:
        """Apply ``row``; True if its add overflows (the overflow pulse)."""
        if not row.write:
            self.events["not written"] += 1
            return False
        if direct or row.first:
            self.mem[row.addr] = list(row.lanes)
            self.events["direct" if direct else "first"] += 1
            return False
        exact = [stored + value for stored, value in zip(self.mem[row.addr], row.lanes)]
        self.mem[row.addr] = [self.wrap(value) for value in exact]
        positive = any(value >= 1 << (self.bits - 1) for value in exact)
        negative = any(value < -(1 << (self.bits - 1)) for value in exact)
        self.events["add"] += 1
        self.events["overflow, positive"] += positive
        self.events["overflow, negative"] += negative
        return positive or negative


class Bench:
    def __init__(self, dut):
        self.dut = dut
        self.cols = int(dut.COLS.value)
        self.bits = len(dut.row_data) // self.cols
        self.addr_bits = len(dut.row_addr)
        self.model = AccumulatorModel(self.bits)
        self.last_addr = None

    async def row(self, row: Row | None, direct: bool, what: str) -> bool:
        """Drive one cycle (a row or none), then check the overflow pulse and busy; returns the pulse."""
        dut = self.dut
        dut.direct.value = int(direct)
        dut.row_valid.value = int(row is not None)
        if row is not None:
            dut.row_addr.value = row.addr
            dut.row_data.value = pack(row.lanes, self.bits)
            dut.row_first.value = int(row.first)
            dut.row_write.value = int(row.write)
            if row.write and not direct and not row.first and self.last_addr == row.addr:
                self.model.events["back to back"] += 1
            self.last_addr = row.addr if row.write and not direct else None
        else:
            self.last_addr = None
        overflow = row is not None and self.model.arrive(row, direct)
        await FallingEdge(dut.clk)
        assert resolved(dut.overflow, "overflow") == overflow, f"{what}: overflow should be {int(overflow)}"
        pending = row is not None and row.write and not direct
        assert resolved(dut.busy, "busy") == pending, f"{what}: busy should be {int(pending)}"
        return overflow

    async def read_back(self, rng: random.Random, what: str) -> None:
        """Every word written, with and without ReLU, in random order with random gaps."""
        dut = self.dut
        dut.row_valid.value = 0
        await FallingEdge(dut.clk)
        requests = [(addr, relu) for addr in self.model.mem for relu in (False, True)]
        rng.shuffle(requests)
        for addr, relu in requests:
            dut.host_rd_en.value = 1
            dut.host_rd_addr.value = addr
            dut.host_rd_relu.value = int(relu)
            await FallingEdge(dut.clk)
            word = resolved(dut.host_rd_data, "host_rd_data")
            got = [lane(word, index, self.bits) for index in range(self.cols)]
            want = [max(value, 0) if relu else value for value in self.model.mem[addr]]
            assert got == want, f"{what}: word {addr} (ReLU {relu}): expected {want}, got {got}"
            dut.host_rd_en.value = 0
            if rng.random() < 0.3:
                await FallingEdge(dut.clk)


def lane_value(rng: random.Random, bits: int) -> int:
    top = 1 << (bits - 1)
    return rng.choice([-top, top - 1, -1, 0, 1, rng.randrange(-top, top), rng.randrange(-top, top)])


def rows(rng: random.Random, bench: Bench, count: int, direct: bool):
    """Rows in bursts: one address, two alternating addresses, or random ones (a small set, so that
    addresses repeat); None for an idle cycle."""
    produced = 0
    space = 1 << bench.addr_bits
    touched = set()
    while produced < count:
        pattern = rng.choice(["same", "alternate", "random"])
        a, b = rng.randrange(space), rng.randrange(space)
        for index in range(rng.randint(2, 10)):
            if rng.random() < 0.15:
                yield None
                continue
            addr = {"same": a, "alternate": (a, b)[index % 2], "random": rng.randrange(min(space, 6))}[pattern]
            write = rng.random() < 0.85
            # A sum must start before it is added to (the memory is not reset).
            first = addr not in touched or rng.random() < 0.1
            if write:
                touched.add(addr)
            yield Row(addr, tuple(lane_value(rng, bench.bits) for _ in range(bench.cols)), first, write)
            produced += 1


@cocotb.test()
async def rows_add_in_place(dut):
    await start_and_reset(dut, INPUTS, OUTPUTS)
    bench = Bench(dut)
    rng = random.Random(8)
    for index, row in enumerate(rows(rng, bench, 800, direct=False)):
        await bench.row(row, False, f"row {index}")
    await bench.read_back(rng, "after the rows")
    events = bench.model.events
    assert all(events[name] for name in ("first", "add", "back to back", "not written", "overflow, positive",
                                         "overflow, negative")), events


@cocotb.test()
async def direct_rows_are_written_on_arrival(dut):
    await start_and_reset(dut, {**INPUTS, "direct": 1}, OUTPUTS)
    bench = Bench(dut)
    rng = random.Random(9)
    for index, row in enumerate(rows(rng, bench, 300, direct=True)):
        if row is not None:
            row = Row(row.addr, row.lanes, True, row.write)  # every OS row is a whole sum
        await bench.row(row, True, f"direct row {index}")
    await bench.read_back(rng, "after the direct rows")
    assert bench.model.events["direct"] and bench.model.events["not written"], bench.model.events


@cocotb.test()
async def overflow_pulses_on_the_overflowing_add(dut):
    """One lane at a time crosses the top and then the bottom of the range, back to back on one
    address; the other lanes stay just inside."""
    await start_and_reset(dut, INPUTS, OUTPUTS)
    bench = Bench(dut)
    top = 1 << (bench.bits - 1)
    for lane_index in range(bench.cols):
        def only(value: int, others: int = 0) -> tuple[int, ...]:
            return tuple(value if index == lane_index else others for index in range(bench.cols))
        sequence = [Row(3, only(top - 2, -top), True, True),  # the other lanes sit at the minimum
                    Row(3, only(1), False, True),             # top - 1: inside
                    Row(3, only(1), False, True),             # top: overflows upwards, wraps to -top
                    Row(3, only(-1), False, True),            # -top - 1: overflows downwards, wraps to top - 1
                    Row(3, only(-top), False, True)]          # -1: inside
        pulses = [await bench.row(row, False, f"lane {lane_index} step {index}") for index, row in enumerate(sequence)]
        assert pulses == [False, False, True, True, False], f"model: {pulses}"
        await bench.row(None, False, f"lane {lane_index} idle")
