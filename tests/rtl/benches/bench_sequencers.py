"""sequencer and acc_sequencer against Python models of the loop nests in their header comments.

sequencer: every cycle of a layer (activation step, read enable and address, padding and tag of a
step, weight read enable and address, busy) from the cycle after start until busy falls, for WS
and OS layers of a few shapes: WS folds shorter than ROWS (height*width < ROWS), OS pixel tiles
past the map's last pixel and spanning several rows, maps one pixel high, tiles pitched apart, and
ring layers whose next output-channel tile is granted (tile_limit) a few cycles after the last one
ends, so the sequencer holds in between, and dma layers, whose every tile waits for its weights
(tile_ready, granted a few cycles into the hold), each tile's weights from word 0 of its block, WS
reading nothing ahead across tiles (the next tile preloads its fold 0), OS letting its delayed reads
issue first; tile_read pulses once a tile's last weight read has issued. Layers run back to back, each started on the cycle busy
falls; the descriptor inputs carry noise after start (the sequencer keeps what it was started with).

acc_sequencer: the (address, first, write, tile_done) of every row, rows advancing on random cycles;
ring layers alternate their tiles between the memory's halves.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
from cocotb.triggers import FallingEdge, Timer

from unit_common import resolved, start_and_reset

KERNEL = 3  # 3x3 convolutions: a fold per (ki, kj)


@dataclass(frozen=True)
class Layer:
    """One conv layer as the sequencers see it: the activation map of an input-channel tile is
    height x width words (unpadded), tile_pitch words apart."""
    mode_os: bool
    in_tiles: int
    out_tiles: int
    height: int
    width: int
    act_base: int
    wgt_base: int
    acc_base: int
    pitch_gap: int = 0  # words between one tile's map and the next
    ring: bool = False
    hold: int = 0       # ring: cycles the sequencer waits for each tile after the first; dma: for every tile
    dma: bool = False

    @property
    def pixels(self) -> int:
        return self.height * self.width

    @property
    def tile_pitch(self) -> int:
        return self.pixels + self.pitch_gap

    def pixel_tiles(self, rows: int) -> int:
        return -(-self.pixels // rows)


def ws(in_tiles, out_tiles, height, width, act_base=0, wgt_base=0, acc_base=0, pitch_gap=0, hold=None) -> Layer:
    return Layer(False, in_tiles, out_tiles, height, width, act_base, wgt_base, acc_base, pitch_gap, hold is not None,
                 hold or 0)


def os_(in_tiles, out_tiles, height, width, act_base=0, wgt_base=0, acc_base=0, pitch_gap=0, hold=None) -> Layer:
    return Layer(True, in_tiles, out_tiles, height, width, act_base, wgt_base, acc_base, pitch_gap, hold is not None,
                 hold or 0)


def dma(layer: Layer, hold: int) -> Layer:
    return Layer(**{**layer.__dict__, "dma": True, "hold": hold, "wgt_base": 0})


LAYERS = [ws(1, 1, 2, 2, act_base=7, wgt_base=3), ws(2, 2, 3, 5, act_base=1, wgt_base=40, pitch_gap=4),
          ws(1, 3, 4, 4), ws(2, 1, 1, 3, act_base=100, wgt_base=9), os_(1, 2, 4, 4, act_base=5, wgt_base=11),
          os_(2, 3, 3, 3, act_base=2, wgt_base=1, pitch_gap=3), os_(3, 1, 1, 5, act_base=30, wgt_base=60),
          ws(2, 3, 2, 3, act_base=4, wgt_base=6, hold=3), ws(1, 2, 1, 2, hold=1),
          os_(2, 3, 3, 3, act_base=2, wgt_base=5, hold=2), os_(1, 2, 1, 3, hold=1),
          dma(ws(2, 3, 2, 3, act_base=4), 2), dma(ws(1, 2, 1, 2), 1), dma(os_(2, 3, 3, 3, act_base=2), 3),
          dma(os_(1, 2, 1, 3), 1)]

IDLE = (0, 0, None, None, None, 0, None, 0)


def tap_read(layer: Layer, in_tile: int, pixel: int, ki: int, kj: int) -> tuple:
    """(act_step, act_rd_en, address, pad) of reading ``pixel``'s tap (ki, kj): pixel (y, x) reads
    (y + ki - 1, x + kj - 1), padding outside the map (and for a pixel past the last), not read."""
    y, x = divmod(pixel, layer.width)
    inside = y < layer.height and 0 <= y + ki - 1 < layer.height and 0 <= x + kj - 1 < layer.width
    address = layer.act_base + in_tile * layer.tile_pitch + pixel + (ki - 1) * layer.width + (kj - 1)
    return 1, int(inside), address if inside else None, int(not inside)


def read_stream(layer: Layer, rows: int) -> tuple[list[tuple], list[int]]:
    """Per cycle: (act_step, act_rd_en, act address, pad, tag, wgt_rd_en, wgt address, tile_read), None
    where it does not matter; and the cycles on which the bench grants a tile (the last of its hold
    cycles: ring, every tile after the first; dma, every tile)."""
    taps = [(ki, kj) for ki in range(KERNEL) for kj in range(KERNEL)]
    grants = []

    def hold(cycles: list) -> None:
        cycles += [IDLE] * layer.hold
        grants.append(len(cycles) - 1)

    if layer.mode_os:
        # Blocks (in_tile, tap) of ROWS pixel reads; weight reads follow their steps ROWS cycles later.
        # dma: a tile's reads restart at word 0; its delayed reads issue, then tile_read, then the hold.
        steps = layer.in_tiles * len(taps) * rows
        cycles, weights = [], []
        for out_tile in range(layer.out_tiles):
            if layer.dma:
                if out_tile:
                    cycles += [IDLE] * rows + [(*IDLE[:7], 1)]
                hold(cycles)
            elif out_tile and layer.ring:
                hold(cycles)
            for pixel_tile in range(layer.pixel_tiles(rows)):
                step = 0
                for in_tile in range(layer.in_tiles):
                    for ki, kj in taps:
                        for lane in range(rows):
                            block = 0 if layer.dma else out_tile * steps
                            weights.append((len(cycles) + rows, layer.wgt_base + block + step))
                            cycles.append((*tap_read(layer, in_tile, pixel_tile * rows + lane, ki, kj),
                                           int(step == steps - 1), 0, None, 0))
                            step += 1
        cycles += [IDLE] * rows + ([(*IDLE[:7], 1)] if layer.dma else [])
        for index, address in weights:
            cycles[index] = (*cycles[index][:5], 1, address, cycles[index][7])
        return cycles, grants
    folds = [(out_tile, in_tile, ki, kj) for out_tile in range(layer.out_tiles) for in_tile in range(layer.in_tiles)
             for ki, kj in taps]
    per_tile = layer.in_tiles * len(taps)
    period = max(layer.pixels, rows)

    def word(fold: int, r: int) -> int:
        """Fold ``fold``'s weight word r: dma, from word 0 of its tile's block."""
        return layer.wgt_base + ((fold % per_tile) if layer.dma else fold) * rows + r

    cycles = []
    if layer.dma:
        hold(cycles)
    # Fold 0's weights before fold 0; fold f+1's on the first ROWS cycles of fold f (dma: not across tiles).
    cycles += [(0, 0, None, None, None, 1, word(0, r), 0) for r in range(rows)]
    for fold, (out_tile, in_tile, ki, kj) in enumerate(folds):
        if out_tile and in_tile == ki == kj == 0:
            if layer.dma:
                hold(cycles)
                cycles += [(0, 0, None, None, None, 1, word(fold, r), 0) for r in range(rows)]
            elif layer.ring:
                hold(cycles)
        tile_ends = (fold + 1) % per_tile == 0
        ahead = fold + 1 < len(folds) and not (layer.dma and tile_ends)
        for step in range(period):
            weight = (1, word(fold + 1, step)) if step < rows and ahead else (0, None)
            read = int(layer.dma and tile_ends and step == period - 1)
            if step < layer.pixels:
                cycles.append((*tap_read(layer, in_tile, step, ki, kj), int(step == 0), *weight, read))
            else:
                cycles.append((0, 0, None, None, None, *weight, read))
    return cycles, grants


def row_destinations(layer: Layer, rows: int, half: int) -> list[tuple]:
    """Per row leaving the array: (accumulator address or None if not written, first, write, tile_done);
    ``half`` is the top address bit's value (ring: odd tiles in the memory's upper half)."""
    def tile_base(out_tile: int) -> int:
        return layer.acc_base ^ (half if out_tile % 2 else 0) if layer.ring else layer.acc_base + out_tile * layer.pixels

    destinations = []
    if layer.mode_os:
        pixel_tiles = layer.pixel_tiles(rows)
        for out_tile in range(layer.out_tiles):
            for pixel_tile in range(pixel_tiles):
                for lane in range(rows):
                    pixel = pixel_tile * rows + lane
                    written = pixel < layer.pixels
                    destinations.append((tile_base(out_tile) + pixel if written else None, 1, int(written),
                                         int(pixel_tile == pixel_tiles - 1 and lane == rows - 1)))
        return destinations
    for out_tile in range(layer.out_tiles):
        for in_tile in range(layer.in_tiles):
            for kij in range(KERNEL * KERNEL):
                for pixel in range(layer.pixels):
                    destinations.append((tile_base(out_tile) + pixel, int(in_tile == 0 and kij == 0), 1,
                                         int(in_tile == layer.in_tiles - 1 and kij == 8 and pixel == layer.pixels - 1)))
    return destinations


def drive_descriptor(dut, layer: Layer, rows: int, rng: random.Random | None = None) -> None:
    """The layer's descriptor on the start inputs; with ``rng``, noise instead."""
    values = {"mode_os": int(layer.mode_os), "width_in": layer.width, "height_in": layer.height,
              "tile_pitch_in": layer.tile_pitch, "in_tiles_in": layer.in_tiles, "out_tiles_in": layer.out_tiles,
              "pixel_tiles_in": layer.pixel_tiles(rows), "pixels_in": layer.pixels, "act_base_in": layer.act_base,
              "wgt_base_in": layer.wgt_base, "acc_base_in": layer.acc_base, "ring_in": int(layer.ring),
              "dma_in": int(layer.dma)}
    for name, value in values.items():
        if hasattr(dut, name):
            handle = getattr(dut, name)
            handle.value = rng.getrandbits(len(handle)) if rng else value


@cocotb.test()
async def sequencer_reads_match_loop_nest(dut):
    rows = int(dut.ROWS.value)
    act_mask, wgt_mask = (1 << len(dut.act_rd_addr)) - 1, (1 << len(dut.wgt_rd_addr)) - 1
    await start_and_reset(dut, {"start": 0, **{name: 0 for name in ("mode_os", "width_in", "height_in",
                                                                   "tile_pitch_in", "in_tiles_in", "out_tiles_in",
                                                                   "pixel_tiles_in", "pixels_in", "act_base_in",
                                                                   "wgt_base_in", "ring_in", "tile_limit", "dma_in",
                                                                   "tile_ready")}},
                          ["busy", "act_step", "act_rd_en", "wgt_rd_en"])
    rng = random.Random(10)
    for layer in LAYERS:
        assert resolved(dut.busy, "busy") == 0
        expected, grants = read_stream(layer, rows)
        what = f"{'OS' if layer.mode_os else 'WS'} layer {layer}"
        dut.start.value = 1
        drive_descriptor(dut, layer, rows)
        for cycle, want in enumerate(expected + [IDLE]):
            await FallingEdge(dut.clk)
            dut.start.value = 0
            drive_descriptor(dut, layer, rows, rng)
            # Ring: tile t may start once t < tile_limit; the bench grants each tile on its hold's last cycle.
            dut.tile_limit.value = 1 + sum(grant <= cycle for grant in grants) if layer.ring \
                else rng.getrandbits(len(dut.tile_limit))
            # dma: a tile's weights are ready on its grant cycle only (noise outside a hold).
            dut.tile_ready.value = int(cycle in grants) if layer.dma else rng.getrandbits(1)
            step, read, act_addr, pad, tag, wgt_en, wgt_addr, tile_read = want
            got_step = resolved(dut.act_step, "act_step")
            got_read = resolved(dut.act_rd_en, "act_rd_en")
            got_wgt_en = resolved(dut.wgt_rd_en, "wgt_rd_en")
            got = (got_step, got_read, resolved(dut.act_rd_addr, "act_rd_addr") if got_read else None,
                   resolved(dut.act_pad, "act_pad") if got_step else None,
                   resolved(dut.act_tag, "act_tag") if got_step else None,
                   got_wgt_en, resolved(dut.wgt_rd_addr, "wgt_rd_addr") if got_wgt_en else None,
                   resolved(dut.tile_read, "tile_read"))
            want = (step, read, act_addr & act_mask if read else None, pad, tag, wgt_en,
                    wgt_addr & wgt_mask if wgt_en else None, tile_read)
            assert got == want, f"{what}, cycle {cycle} of {len(expected)}: expected {want}, got {got}"
            busy = resolved(dut.busy, "busy")
            assert busy == (cycle < len(expected)), f"{what}, cycle {cycle} of {len(expected)}: busy {busy}"


@cocotb.test()
async def acc_sequencer_rows_match_loop_nest(dut):
    rows = int(dut.ROWS.value)
    mask = (1 << len(dut.addr)) - 1
    await start_and_reset(dut, {"start": 0, "advance": 0, "mode_os": 0, "ring_in": 0, "in_tiles_in": 0,
                                "out_tiles_in": 0, "pixels_in": 0, "acc_base_in": 0},
                          ["addr", "first", "write", "tile_done"])
    half = 1 << (len(dut.addr) - 1)
    rng = random.Random(11)
    for layer in LAYERS:
        layer = Layer(**{**layer.__dict__, "acc_base": rng.randrange(64)})
        what = f"{'OS' if layer.mode_os else 'WS'} layer {layer}"
        dut.start.value = 1
        drive_descriptor(dut, layer, rows)
        await FallingEdge(dut.clk)
        dut.start.value = 0
        for index, (addr, first, write, tile_done) in enumerate(row_destinations(layer, rows, half)):
            while True:
                drive_descriptor(dut, layer, rows, rng)
                advance = rng.random() < 0.7
                dut.advance.value = int(advance)
                await Timer(1, "ns")
                got_write = resolved(dut.write, "write")
                got = (resolved(dut.addr, "addr") if got_write else None, resolved(dut.first, "first"), got_write,
                       resolved(dut.tile_done, "tile_done"))
                want = (addr & mask if write else None, first, write, tile_done if advance else 0)
                assert got == want, f"{what}, row {index}: expected {want}, got {got}"
                await FallingEdge(dut.clk)
                if advance:
                    break
        dut.advance.value = 0
