"""mac_array against numpy, every result at its exact cycle.

The bench schedules folds itself and drives the diagonal skew (row r and column c delayed by r and
c cycles), one cycle at a time. Cycle k is driven after a falling edge and sampled at the next one,
so a word registered on cycle k's rising edge is seen in sample k.

WS: fold f's weights enter as a preload wave (column c gets row 0's weight first, from cycle
preload + c) while fold f-1 streams; fold f's first activation carries the tag. Activation vector
t of fold f enters row r on cycle start + t + r and meets PE (r, c) on start + t + r + c, so
column c emits acts[t] @ weights[:, c] in sample start + t + ROWS - 1 + c.

OS: both operands stream with the skew; the fold's last step carries the tag. PE (0, c) captures
on cycle end + c (end = the last step's cycle at row 0) and column c emits rows 0..ROWS-1 in
samples end + c + ROWS + r, while the next fold already accumulates.

busy: high until the last result has left, i.e. for FLUSH samples from the last west activation
(row ROWS-1, on cycle L): WS COLS (its result leaves column COLS-1 in sample L + COLS - 1), OS
ROWS + COLS (row ROWS-1 of column COLS-1 leaves in sample L + ROWS + COLS - 1). The bench checks
busy on every sample against this and that it falls right after the last result it sees.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import pack, resolved, resolved_lane, start_and_reset, wrap

INPUTS = {"mode_os": 0, "west_act": 0, "west_valid": 0, "west_tag": 0, "north_wgt": 0, "north_valid": 0}
OUTPUTS = ["south_valid", "overflow", "busy"]


@dataclass(frozen=True)
class Shape:
    rows: int
    cols: int
    act_bits: int
    wgt_bits: int
    psum_bits: int
    act_signed: bool

    @classmethod
    def of(cls, dut) -> "Shape":
        rows, cols = len(dut.west_valid), len(dut.north_valid)
        return cls(rows, cols, len(dut.west_act) // rows, len(dut.north_wgt) // cols, len(dut.south_data) // cols,
                   bool(int(dut.ACT_SIGNED.value)))

    @property
    def act_limits(self) -> tuple[int, int]:
        low = -(1 << (self.act_bits - 1)) if self.act_signed else 0
        return low, low + (1 << self.act_bits) - 1

    @property
    def wgt_limits(self) -> tuple[int, int]:
        return -(1 << (self.wgt_bits - 1)), (1 << (self.wgt_bits - 1)) - 1


@dataclass
class Fold:
    acts: np.ndarray     # (T, ROWS): activation vector of slot t
    valid: np.ndarray    # (T,) bool: slot t holds a vector (bubbles are slots without one)
    weights: np.ndarray  # WS (ROWS, COLS): PE (r, c)'s weight; OS (T, COLS): slot t's weight vector
    start: int           # cycle on which slot 0 enters row 0 (OS: and column 0)
    preload: int = 0     # WS: cycle on which row 0's weight enters column 0

    @property
    def steps(self) -> int:
        return len(self.valid)


def operands(rng, limits: tuple[int, int], size) -> np.ndarray:
    """Random integers within ``limits``, a quarter of them at one extreme or the other."""
    low, high = limits
    values = rng.integers(low, high + 1, size=size)
    extremes = rng.random(size) < 0.25
    values[extremes] = rng.choice([low, high], size=int(extremes.sum()))
    return values


def slots(rng, steps: int, tagged: int) -> np.ndarray:
    valid = rng.random(steps) < 0.85
    valid[tagged] = True
    return valid


def ws_folds(rng, shape: Shape, steps_list: list[int]) -> list[Fold]:
    """Folds of the given lengths, each starting ROWS cycles after the previous one at the earliest
    (the preload wave of fold f must fit between the tags of folds f-1 and f); the wave of fold f
    enters at a random cycle of that window, from the very cycle of fold f-1's tag."""
    folds, start, previous_start = [], shape.rows + 2, 0
    for steps in steps_list:
        preload = int(rng.integers(previous_start, start - shape.rows + 1))
        folds.append(Fold(operands(rng, shape.act_limits, (steps, shape.rows)), slots(rng, steps, 0),
                          operands(rng, shape.wgt_limits, (shape.rows, shape.cols)), start, preload))
        previous_start = start
        start += max(steps, shape.rows) + int(rng.choice([0, 0, 0, 1, 3]))
    return folds


def os_folds(rng, shape: Shape, steps_list: list[int]) -> list[Fold]:
    """Folds of the given lengths back to back: the next starts when this one's stream ends, unless
    its capture (its last step) would come less than ROWS cycles after this one's (a PE's drain
    register must be free again)."""
    folds, start = [], 0
    for steps in steps_list:
        if folds:
            last = folds[-1]
            start = max(last.start + last.steps, last.start + last.steps - 1 + shape.rows - steps + 1)
            start += int(rng.choice([0, 0, 0, 2]))
        folds.append(Fold(operands(rng, shape.act_limits, (steps, shape.rows)), slots(rng, steps, steps - 1),
                          operands(rng, shape.wgt_limits, (steps, shape.cols)), start))
    return folds


class Schedule:
    """Per-cycle values of the west and north edges."""

    def __init__(self, shape: Shape, cycles: int):
        self.shape = shape
        self.act = np.zeros((cycles, shape.rows), dtype=np.int64)
        self.act_valid = np.zeros((cycles, shape.rows), dtype=bool)
        self.tag = np.zeros((cycles, shape.rows), dtype=bool)
        self.wgt = np.zeros((cycles, shape.cols), dtype=np.int64)
        self.wgt_valid = np.zeros((cycles, shape.cols), dtype=bool)

    def put_act(self, cycle: int, row: int, value: int, tag: bool) -> None:
        assert not self.act_valid[cycle, row], f"schedule error: two activations for row {row} on cycle {cycle}"
        self.act[cycle, row], self.act_valid[cycle, row], self.tag[cycle, row] = value, True, tag

    def put_wgt(self, cycle: int, column: int, value: int) -> None:
        assert not self.wgt_valid[cycle, column], f"schedule error: two weights for column {column} on cycle {cycle}"
        self.wgt[cycle, column], self.wgt_valid[cycle, column] = value, True


def schedule(shape: Shape, folds: list[Fold], mode_os: bool, cycles: int) -> Schedule:
    plan = Schedule(shape, cycles)
    tagged = (lambda fold, t: t == fold.steps - 1) if mode_os else (lambda fold, t: t == 0)
    for fold in folds:
        for t in np.flatnonzero(fold.valid):
            for row in range(shape.rows):
                plan.put_act(fold.start + t + row, row, fold.acts[t, row], tagged(fold, t))
            if mode_os:
                for column in range(shape.cols):
                    plan.put_wgt(fold.start + t + column, column, fold.weights[t, column])
        if not mode_os:
            for row in range(shape.rows):  # the preload wave: row 0's weight first
                for column in range(shape.cols):
                    plan.put_wgt(fold.preload + row + column, column, fold.weights[row, column])
    return plan


def expected_outputs(shape: Shape, folds: list[Fold], mode_os: bool) -> dict[tuple[int, int], int]:
    """{(sample, column): result} of every word leaving the south edge."""
    expected = {}
    for fold in folds:
        acts = fold.acts * fold.valid[:, None]
        if mode_os:
            sums = acts.T @ fold.weights  # (ROWS, COLS)
            end = fold.start + fold.steps - 1
            for row in range(shape.rows):
                for column in range(shape.cols):
                    expected[(end + column + shape.rows + row, column)] = wrap(int(sums[row, column]), shape.psum_bits)
        else:
            sums = acts @ fold.weights  # (T, COLS)
            for t in np.flatnonzero(fold.valid):
                for column in range(shape.cols):
                    expected[(fold.start + t + shape.rows - 1 + column, column)] = wrap(int(sums[t, column]),
                                                                                        shape.psum_bits)
    return expected


def first_overflow(shape: Shape, folds: list[Fold]) -> float:
    """OS: the cycle of the first accumulator add whose exact sum leaves the PSUM range (inf: none).
    PE (r, c) adds slot t of a fold on cycle start + t + r + c."""
    low, high = -(1 << (shape.psum_bits - 1)), (1 << (shape.psum_bits - 1)) - 1
    skew = np.add.outer(np.arange(shape.rows), np.arange(shape.cols))
    first = np.inf
    for fold in folds:
        acc = np.zeros((shape.rows, shape.cols), dtype=np.int64)
        for t in np.flatnonzero(fold.valid):
            exact = acc + np.outer(fold.acts[t], fold.weights[t])
            over = (exact < low) | (exact > high)
            if over.any():
                first = min(first, fold.start + t + int(skew[over].min()))
            acc = (exact - low) % (1 << shape.psum_bits) + low
    return first


async def run(dut, shape: Shape, folds: list[Fold], mode_os: bool, what: str) -> None:
    flush = shape.rows + shape.cols if mode_os else shape.cols
    expected = expected_outputs(shape, folds, mode_os)
    last_output = max(cycle for cycle, _ in expected)
    cycles = last_output + 4
    plan = schedule(shape, folds, mode_os, cycles)
    overflow_from = first_overflow(shape, folds) if mode_os else np.inf
    entered = plan.act_valid.any(axis=1)
    got, busy_trace = {}, []
    for cycle in range(cycles):
        dut.west_act.value = pack(plan.act[cycle], shape.act_bits)
        dut.west_valid.value = pack(plan.act_valid[cycle], 1)
        dut.west_tag.value = pack(plan.tag[cycle], 1)
        dut.north_wgt.value = pack(plan.wgt[cycle], shape.wgt_bits)
        dut.north_valid.value = pack(plan.wgt_valid[cycle], 1)
        await FallingEdge(dut.clk)
        valid = resolved(dut.south_valid, "south_valid")
        for column in range(shape.cols):
            if (valid >> column) & 1:
                got[(cycle, column)] = wrap(resolved_lane(dut.south_data, column, shape.psum_bits, "south_data"),
                                            shape.psum_bits)
        busy = resolved(dut.busy, "busy")
        busy_trace.append(busy)
        want_busy = int(entered[max(0, cycle - flush + 1):cycle + 1].any())
        assert busy == want_busy, f"{what} sample {cycle}: busy {busy}, expected {want_busy} (flush {flush})"
        overflow = resolved(dut.overflow, "overflow")
        assert overflow == int(cycle >= overflow_from), \
            f"{what} sample {cycle}: overflow {overflow}, first overflowing add on cycle {overflow_from}"
    missing = {key: value for key, value in expected.items() if got.get(key) != value}
    extra = sorted(set(got) - set(expected))
    assert not missing and not extra, (
        f"{what}: {len(missing)} results differ or missing (sample, column): expected/got "
        f"{[(key, value, got.get(key)) for key, value in sorted(missing.items())[:8]]}; unexpected {extra[:8]}")
    # busy falls on the sample right after the last result left the array.
    assert busy_trace[last_output] == 1 and busy_trace[last_output + 1] == 0, f"{what}: busy around the last result"


@cocotb.test()
async def ws_folds_match_numpy(dut):
    shape = Shape.of(dut)
    await start_and_reset(dut, INPUTS, OUTPUTS)
    rng = np.random.default_rng(4)
    rows = shape.rows
    # Shorter than ROWS, exactly ROWS, longer; then a burst of short folds ROWS cycles apart.
    lengths = [1, rows - 1 or 1, rows, rows + 5, 2 * rows + 3] + [max(1, rows // 2)] * 4 + [rows + 1]
    await run(dut, shape, ws_folds(rng, shape, lengths), False, "WS")


@cocotb.test()
async def os_folds_match_numpy(dut):
    """Folds back to back (the next accumulates while this one drains), short and long ones, then
    a fold of extreme operands long enough to overflow the accumulators (the overflow flag rises on
    the first overflowing add and stays)."""
    shape = Shape.of(dut)
    await start_and_reset(dut, {**INPUTS, "mode_os": 1}, OUTPUTS)
    rng = np.random.default_rng(5)
    rows = shape.rows
    biggest = max(shape.act_limits, key=abs) * shape.wgt_limits[0]  # the largest product in magnitude
    overflow_steps = (1 << (shape.psum_bits - 1)) // abs(biggest) + 2
    folds = os_folds(rng, shape, [9, 1, rows - 1 or 1, rows, rows + 5, 2 * rows + 3, 9, 9, 9, overflow_steps])
    overflowing = folds[-1]
    overflowing.acts[:] = max(shape.act_limits, key=abs)
    overflowing.weights[:] = shape.wgt_limits[0]
    overflowing.valid[:] = True
    assert overflowing.start <= first_overflow(shape, folds) < np.inf, "the last fold, and only it, overflows"
    await run(dut, shape, folds, True, "OS")
