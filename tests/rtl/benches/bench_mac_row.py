"""One PE (mac_row with COLS = 1) against a Python model of its header comment, cycle by cycle: every
output of every cycle is compared (data words only where their valid bit is set). Rows of several
lanes run in the array's bench (bench_mac_array.py).

WS: the preload wave (the first weight stays while the shadow is empty, later ones pass south),
the swap on a tagged activation (which multiplies with the shadow weight and keeps a weight that
arrives on the same cycle), north_psum + act * weight on every valid activation, every activation
times every weight. OS: accumulation, capture on the tagged step, the drain bus (north traffic
first, its own value on a free cycle), sticky overflow on exactly the overflowing add, wrap-around.
Widths and ACT_SIGNED come from the build.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
from cocotb.triggers import FallingEdge

from unit_common import reset, resolved, start_and_reset, wrap

INPUTS = {"mode_os": 0, "west_act": 0, "west_valid": 0, "west_tag": 0, "north_wgt": 0, "north_wgt_valid": 0,
          "north_psum": 0, "north_psum_valid": 0}
OUTPUTS = ["east_valid", "south_wgt_valid", "south_psum_valid", "overflow"]


@dataclass(frozen=True)
class Widths:
    act: int
    wgt: int
    psum: int
    act_signed: bool

    @classmethod
    def of(cls, dut) -> "Widths":
        return cls(len(dut.west_act), len(dut.north_wgt), len(dut.north_psum), bool(int(dut.ACT_SIGNED.value)))

    def act_range(self) -> range:
        if self.act_signed:
            return range(-(1 << (self.act - 1)), 1 << (self.act - 1))
        return range(0, 1 << self.act)

    def wgt_range(self) -> range:
        return range(-(1 << (self.wgt - 1)), 1 << (self.wgt - 1))

    def psum_range(self) -> range:
        return range(-(1 << (self.psum - 1)), 1 << (self.psum - 1))


@dataclass(frozen=True)
class Cycle:
    """The inputs of one cycle (operands as integers: activations signed or not per ACT_SIGNED)."""
    act: int = 0
    act_valid: int = 0
    tag: int = 0
    wgt: int = 0
    wgt_valid: int = 0
    psum: int = 0
    psum_valid: int = 0


class PeModel:
    """The PE as its header comment describes it. ``step`` takes one cycle's inputs and returns the
    outputs expected after that cycle's rising edge (None where the word is not qualified)."""

    def __init__(self, widths: Widths):
        self.widths = widths
        # WS
        self.active = None
        self.shadow = None
        self.shadow_full = False
        # OS
        self.acc = 0
        self.drain = None
        self.drain_full = False
        self.overflow = False
        # Events seen, so that a random test can show it reached each case.
        self.events: dict[str, int] = {}

    def count(self, event: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1

    def passthrough(self, cycle: Cycle) -> dict:
        return {"east_valid": cycle.act_valid,
                "east_act": cycle.act if cycle.act_valid else None,
                "east_tag": cycle.tag if cycle.act_valid else None}

    def ws(self, cycle: Cycle) -> dict:
        swap = bool(cycle.act_valid and cycle.tag)
        keep = bool(cycle.wgt_valid and (not self.shadow_full or swap))
        out = self.passthrough(cycle)
        out.update(south_wgt_valid=int(cycle.wgt_valid and not keep), south_wgt=cycle.wgt if cycle.wgt_valid and not keep
                   else None, south_psum_valid=cycle.act_valid, overflow=0)
        if cycle.act_valid:
            weight = self.shadow if swap else self.active
            assert weight is not None, "stimulus error: an activation before any weight was swapped in"
            out["south_psum"] = wrap(cycle.psum + cycle.act * weight, self.widths.psum)
        else:
            out["south_psum"] = None
        if swap:
            self.active = self.shadow
            self.shadow_full = False
            self.count("swap")
        if keep:
            self.shadow = cycle.wgt
            self.shadow_full = True
            self.count("keep on swap" if swap else "keep")
        elif cycle.wgt_valid:
            self.count("pass south")
        return out

    def os(self, cycle: Cycle) -> dict:
        capture = bool(cycle.act_valid and cycle.tag)
        out = self.passthrough(cycle)
        out.update(south_wgt_valid=cycle.wgt_valid, south_wgt=cycle.wgt if cycle.wgt_valid else None)
        if cycle.psum_valid:
            out.update(south_psum_valid=1, south_psum=wrap(cycle.psum, self.widths.psum))
            self.count("forward" + (" while full" if self.drain_full else ""))
        elif self.drain_full:
            out.update(south_psum_valid=1, south_psum=self.drain)
            self.drain_full = False
            self.count("emit own")
        else:
            out.update(south_psum_valid=0, south_psum=None)
        if cycle.act_valid:
            exact = self.acc + cycle.act * cycle.wgt
            if exact not in self.widths.psum_range():
                self.overflow = True
                self.count("overflow")
            if capture:
                assert not self.drain_full, "stimulus error: a capture while the drain register still waits"
                self.drain = wrap(exact, self.widths.psum)
                self.drain_full = True
                self.acc = 0
                self.count("capture")
            else:
                self.acc = wrap(exact, self.widths.psum)
        out["overflow"] = int(self.overflow)
        return out


def drive(dut, widths: Widths, cycle: Cycle) -> None:
    dut.west_act.value = cycle.act & ((1 << widths.act) - 1)
    dut.west_valid.value = cycle.act_valid
    dut.west_tag.value = cycle.tag
    dut.north_wgt.value = cycle.wgt & ((1 << widths.wgt) - 1)
    dut.north_wgt_valid.value = cycle.wgt_valid
    dut.north_psum.value = cycle.psum & ((1 << widths.psum) - 1)
    dut.north_psum_valid.value = cycle.psum_valid


async def step(dut, model: PeModel, cycle: Cycle, what: str) -> None:
    """Drive one cycle, then compare every qualified output with the model."""
    drive(dut, model.widths, cycle)
    expected = model.os(cycle) if int(dut.mode_os.value) else model.ws(cycle)
    await FallingEdge(dut.clk)
    for name, want in expected.items():
        if want is None:
            continue
        handle = getattr(dut, name)
        got = wrap(resolved(handle, name), len(handle)) if want < 0 else resolved(handle, name)
        assert got == want, f"{what}: {name} expected {want}, got {got} (inputs {cycle})"


def pick(rng: random.Random, values: range) -> int:
    """A random value, the extremes one time in four."""
    return rng.choice([values[0], values[-1]]) if rng.random() < 0.25 else rng.choice(values)


async def start(dut, mode_os: int) -> tuple[Widths, PeModel]:
    await start_and_reset(dut, {**INPUTS, "mode_os": mode_os}, OUTPUTS)
    widths = Widths.of(dut)
    return widths, PeModel(widths)


@cocotb.test()
async def ws_every_activation_times_every_weight(dut):
    """One fold per weight, streaming every activation value; each fold's tag cycle also brings
    the next weight (kept on the swap cycle), and a second weight before the first fold passes south."""
    widths, model = await start(dut, 0)
    rng = random.Random(1)
    weights = list(widths.wgt_range())
    await step(dut, model, Cycle(wgt=weights[0], wgt_valid=1), "preload")
    await step(dut, model, Cycle(wgt=weights[-1], wgt_valid=1), "a second weight passes south")
    for index, weight in enumerate(weights):
        following = weights[(index + 1) % len(weights)]
        for position, act in enumerate(widths.act_range()):
            tagged = position == 0
            await step(dut, model, Cycle(act=act, act_valid=1, tag=int(tagged), wgt=following, wgt_valid=int(tagged),
                                         psum=pick(rng, widths.psum_range()), psum_valid=rng.randint(0, 1)),
                       f"weight {weight} act {act}")
    assert model.events == {"keep": 1, "pass south": 1, "swap": len(weights), "keep on swap": len(weights)}


@cocotb.test()
async def ws_random_folds(dut):
    """Random preload waves, folds of random lengths with bubbles, weights arriving at random."""
    widths, model = await start(dut, 0)
    rng = random.Random(2)
    for index in range(1500):
        act_valid = rng.random() < 0.7
        # Legal use: a tag only swaps in a loaded shadow, and the first activation is tagged.
        may_swap = model.shadow_full
        tag = may_swap and (rng.random() < 0.15 or model.active is None)
        act_valid = act_valid and (model.active is not None or tag)
        stray_tag = not act_valid and rng.random() < 0.2  # a tag without a valid activation does nothing
        await step(dut, model, Cycle(act=pick(rng, widths.act_range()), act_valid=int(act_valid),
                                     tag=int(tag or stray_tag), wgt=pick(rng, widths.wgt_range()),
                                     wgt_valid=int(rng.random() < 0.4), psum=pick(rng, widths.psum_range()),
                                     psum_valid=rng.randint(0, 1)), f"cycle {index}")
    assert {"keep", "keep on swap", "pass south", "swap"} <= set(model.events), model.events


@cocotb.test()
async def os_random_folds(dut):
    """Random steps (bubbles, extremes), captures whenever the drain register is free, north traffic
    on the drain bus at random."""
    widths, model = await start(dut, 1)
    rng = random.Random(3)
    for index in range(2000):
        psum_valid = rng.random() < 0.35
        # Legal use: a capture never overwrites a result still waiting for a free bus cycle.
        may_capture = not (model.drain_full and psum_valid)
        await step(dut, model, Cycle(act=pick(rng, widths.act_range()), act_valid=int(rng.random() < 0.8),
                                     tag=int(may_capture and rng.random() < 0.1), wgt=pick(rng, widths.wgt_range()),
                                     wgt_valid=rng.randint(0, 1), psum=pick(rng, widths.psum_range()),
                                     psum_valid=int(psum_valid)), f"cycle {index}")
    assert {"capture", "emit own", "forward", "forward while full"} <= set(model.events), model.events


@cocotb.test()
async def os_overflow_is_sticky_and_sums_wrap(dut):
    """The largest positive, then the largest negative product, repeated until the accumulator
    wraps, the fold's last step either the overflowing add itself or three steps later (a reset
    before each): overflow rises on the overflowing add and stays; the captured sum wraps."""
    widths, _ = await start(dut, 1)
    acts, wgts = widths.act_range(), widths.wgt_range()
    pairs = [(a, w) for a in (acts[0], acts[-1]) for w in (wgts[0], wgts[-1])]
    for act, wgt in (max(pairs, key=lambda pair: pair[0] * pair[1]), min(pairs, key=lambda pair: pair[0] * pair[1])):
        product = act * wgt
        limit = (1 << (widths.psum - 1)) - (product > 0)  # the largest magnitude on the product's side
        overflowing_step = limit // abs(product)  # the first step whose exact sum is out of range
        for steps in (overflowing_step + 1, overflowing_step + 4):
            await reset(dut, {**INPUTS, "mode_os": 1}, OUTPUTS)
            model = PeModel(widths)
            for index in range(steps):
                await step(dut, model, Cycle(act=act, act_valid=1, tag=int(index == steps - 1), wgt=wgt),
                           f"product {product} step {index} of {steps}")
            for index in range(3):  # drain (the captured, wrapped sum), then idle: overflow stays
                await step(dut, model, Cycle(), f"product {product} after capture {index}")
            assert model.events["emit own"] == 1 and model.events["overflow"] == 1, model.events
