"""A layer as the core runs it: the instruction stream and the memory images.

One RUN instruction covers a whole layer; its descriptor fields describe the loop nest
(rtl/README.md).
Memory layouts (word w of a memory; lanes are fields, lane 0 in the low bits):

  both activation   in_tile*H*W + o      = lane r: channel in_tile*ROWS + r at pixel o = y*W + x,
                                           the map as stored, unpadded (the sequencer pads, and for
                                           OS gathers the im2col, by addressing)
  both weight       out_tile*B + s       = lane c: W[out_tile*COLS + c, in_tile*ROWS + r, kij],
                                           s = (in_tile*9 + kij)*ROWS + r, B = in_tiles*9*ROWS: one
                                           block per output-channel tile (WS: fold (out_tile, in_tile,
                                           kij)'s ROWS words, word r row r's weights across the
                                           columns; OS: one word per step (in_tile, kij, channel r))
  both accumulator  out_tile*H*W + o     = lane c: the raw sum of output pixel o, channel
                                           out_tile*COLS + c (a chain's ring: tile t at o in the
                                           memory's half t % 2)

The images come from the layer's integer map and weights; a DRAIN sends its levels in the
activation layout, so the next layer's map is the previous layer's levels word for word.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from qaccel.export.geometry import KERNEL, KIJ, ceil_div
from qaccel.export.vectors import field_range

from . import isa
from .hexfile import lane_bits


# S_c's width in the requantizer's constants (rtl/requant.v).
CONSTANT_SHIFT_BITS = 6
# The widest map the read-out's max-pool takes: its row buffer's 16 words (rtl/readout.v,
# POOL_BUF_ADDR_BITS) hold 16 pairs.
POOL_MAX_WIDTH = 32


class ProgramError(ValueError):
    """A layer does not fit the core it is meant to run on."""


@dataclass(frozen=True)
class CoreShape:
    """The datapath parameters of rtl/core.v (memory depths are a build's, see qaccel.rtl.build)."""

    rows: int
    cols: int
    act_bits: int
    weight_bits: int
    psum_bits: int
    act_signed: bool = True  # activation lanes are two's complement (unsigned otherwise)
    # The read-out's requantizer (rtl/readout.v): M_c's width (requant.mult_bits) and a level lane's,
    # the widest clamp (the layers' a_bits and requant.feature_bits).
    mult_bits: int = 24
    level_bits: int = 16

    def __post_init__(self):
        # A WS column adds `rows` products before the accumulator sees the sum, and its adds are not
        # checked for overflow (rtl/mac_row.v): that sum must always fit.
        column_bits = self.act_bits + 1 + self.weight_bits + math.ceil(math.log2(self.rows))
        if self.psum_bits < column_bits:
            raise ProgramError(f"{self}: psum_bits must be at least act_bits + 1 + weight_bits + log2(rows) = "
                               f"{column_bits}, the width of a column of the array's products")
        if not 1 <= self.level_bits <= 31:  # a DRAIN's level_bits field is 5 bits
            raise ProgramError(f"{self}: level_bits must be 1 to 31")

    @property
    def bias_bits(self) -> int:
        """B_c's width in the requantizer: psum_bits + mult_bits (rtl/requant.v)."""
        return self.psum_bits + self.mult_bits

    @property
    def constant_bits(self) -> int:
        """One lane's constant set {S_c, B_c, M_c} (rtl/requant.v)."""
        return CONSTANT_SHIFT_BITS + self.bias_bits + self.mult_bits

    @property
    def weight_beat_words(self) -> int:
        """Weight words per beat of the weight memory (and of the DMA): as many as fit 128 bits, at least
        one (rtl/core.v's WEIGHT_WORDS_LOG2)."""
        word = self.cols * self.weight_bits
        return 1 if word >= 128 else 1 << ((128 // word).bit_length() - 1)

    @property
    def dram_beat_bits(self) -> int:
        """A DRAM beat: a weight beat, or one lane's constants if wider (rtl/core.v's DRAM_BEAT_BITS)."""
        return max(self.weight_beat_words * self.cols * self.weight_bits, self.constant_bits)

    @property
    def lane_bits(self) -> int:
        """The lane field of a constant's host address {tile, lane} (rtl/core.v's LANE_BITS)."""
        return max(1, (self.cols - 1).bit_length())


@dataclass(frozen=True)
class ConvShape:
    in_channels: int
    out_channels: int
    height: int
    width: int

    @property
    def pixels(self) -> int:
        return self.height * self.width

    @property
    def padded(self) -> int:
        return (self.height + 2) * (self.width + 2)

    @property
    def macs(self) -> int:
        return self.pixels * self.out_channels * self.in_channels * KIJ


@dataclass
class LayerProgram:
    """Everything the core needs for one layer, and the shape of what it gives back."""

    dataflow: str
    conv: ConvShape
    shape: CoreShape
    instructions: list[isa.Instruction]
    act_lanes: np.ndarray     # (words, rows) activation memory image, one value per lane
    weight_lanes: np.ndarray  # (words, cols)
    stream_rows: int          # rows of partial sums that leave the array, in order
    folds: int
    readout: "Readout | None" = None  # a DRAIN after the RUN (with_readout)

    @property
    def out_tiles(self) -> int:
        return ceil_div(self.conv.out_channels, self.shape.cols)

    @property
    def where(self) -> str:
        return f"{self.dataflow} layer {self.conv}"

    @property
    def act_words(self) -> int:
        return len(self.act_lanes)

    @property
    def wgt_words(self) -> int:
        """The weight memory's words the program fills: its weights, to a whole beat."""
        per_beat = self.shape.weight_beat_words
        return ceil_div(len(self.weight_lanes), per_beat) * per_beat

    @property
    def drains(self) -> bool:
        return self.readout is not None

    @property
    def constant_tiles(self) -> int:
        """Output-channel tiles of requantization constants the program needs in the core."""
        return self.out_tiles if self.drains else 0

    def constant_entries(self) -> list[tuple[int, int]]:
        return self.readout.constant_entries(self.shape) if self.drains else []

    @property
    def acc_words(self) -> int:
        return self.out_tiles * self.conv.pixels

    @property
    def out_size(self) -> tuple[int, int]:
        """The map the read-out sends: the conv's, halved where it pools."""
        pool = 2 if self.readout is not None and self.readout.pool else 1
        return self.conv.height // pool, self.conv.width // pool

    @property
    def level_words(self) -> int:
        """The words of levels the program's DRAINs send, in all."""
        def sent(drain: isa.Instruction) -> int:
            pool = 2 if drain.descriptor["pool"] else 1
            return drain.descriptor["out_tiles"] * (drain.descriptor["height"] // pool) * (drain.descriptor["width"] // pool)
        return sum(sent(instruction) for instruction in self.instructions if instruction.opcode == isa.Opcode.DRAIN)

    def levels_output(self, level_lanes: np.ndarray) -> np.ndarray:
        """(level_words, cols) words the DRAIN sent, tile by tile in raster order -> (Cout, H', W')."""
        height, width = self.out_size
        tiles = level_lanes.reshape(self.out_tiles, height * width, self.shape.cols).transpose(0, 2, 1)
        return tiles.reshape(-1, height, width)[: self.conv.out_channels]

    def raw_output(self, acc_lanes: np.ndarray) -> np.ndarray:
        """(acc_words, cols) accumulator words -> (pixels, out_channels) sums, out.txt's layout."""
        tiles = acc_lanes[: self.acc_words].reshape(self.out_tiles, self.conv.pixels, self.shape.cols)
        return tiles.transpose(1, 0, 2).reshape(self.conv.pixels, -1)[:, : self.conv.out_channels]


@dataclass(frozen=True)
class Readout:
    """A layer's sums sent out through the core's requantizer and max-pool (a DRAIN): the constants
    of its output channels (``qaccel.export.requant.RequantConstants``), whether it pools, the clamp's
    width."""

    multiplier: np.ndarray  # M_c, per output channel
    bias: np.ndarray        # B_c
    shift: np.ndarray       # S_c
    level_bits: int
    pool: bool

    def constant_entries(self, shape: CoreShape, tile_base: int = 0) -> list[tuple[int, int]]:
        """(host address, data) per lane of every output-channel tile for the host port's constants
        select: address {tile_base + tile, lane}, data {S, B_c, M_c} (rtl/core.v). The lanes past the
        last channel take zeros (their levels are dropped, but a level of unknown constants would be X)."""
        padding = -len(self.multiplier) % shape.cols
        constants = [np.concatenate([values, np.zeros(padding, dtype=np.int64)]).tolist()
                     for values in (self.multiplier, self.bias, self.shift)]
        entries = []
        for channel, (m, b, s) in enumerate(zip(*constants)):
            tile, lane = divmod(channel, shape.cols)
            data = ((m & ((1 << shape.mult_bits) - 1)) | (b & ((1 << shape.bias_bits) - 1)) << shape.mult_bits
                    | s << (shape.mult_bits + shape.bias_bits))
            entries.append(((tile_base + tile) << shape.lane_bits | lane, data))
        return entries


def with_readout(program: LayerProgram, readout: Readout, label: str) -> LayerProgram:
    """``program`` with a DRAIN between its RUN and its HALT: the core then sends the layer's levels out
    (``level_words`` words, ``levels_output``). Constants wider than the core's requantizer, or a clamp
    wider than its level lanes, are a ProgramError naming the layer and channel."""
    shape, conv = program.shape, program.conv
    if not 1 <= readout.level_bits <= shape.level_bits:
        raise ProgramError(f"{label}: levels of {readout.level_bits} bits: the core's level lanes take 1 to "
                           f"{shape.level_bits} (built from quant.a_bits and requant.feature_bits)")
    _check_fits(readout.multiplier, shape.mult_bits, True, f"{label} requantization multipliers M_c")
    _check_fits(readout.bias, shape.bias_bits, True, f"{label} requantization biases B_c")
    if readout.pool and (conv.height % 2 or conv.width % 2 or conv.width > POOL_MAX_WIDTH):
        raise ProgramError(f"{label}: a 2x2 max-pool of a {conv.height} x {conv.width} map (the core pools even "
                           f"maps up to {POOL_MAX_WIDTH} wide)")
    run, halt = program.instructions
    drain = isa.drain(width=conv.width, height=conv.height, out_tiles=program.out_tiles,
                      acc_base=run.descriptor["acc_base"], pool=int(readout.pool), level_bits=readout.level_bits)
    return replace(program, instructions=[run, drain, halt], readout=readout)


def _check_fits(values: np.ndarray, bits: int, signed: bool, what: str) -> None:
    low, high = field_range(bits, signed)
    bad = np.argwhere((values < low) | (values > high))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        kind = "signed" if signed else "unsigned"
        raise ProgramError(f"{what}: value {int(values[index])} at {index} does not fit the core's {bits}-bit "
                           f"{kind} lanes [{low}, {high}] ({len(bad)} value(s) out of range)")


def map_lanes(act_int: np.ndarray, rows: int) -> np.ndarray:
    """(Cin, H, W) -> (in_tiles * H * W, rows): the activation memory image both dataflows read, word
    in_tile*H*W + y*W + x = the rows channels of in_tile at pixel (y, x), unpadded (the sequencer pads
    and, for OS, gathers by addressing)."""
    cin, height, width = act_int.shape
    tiles = np.pad(act_int, ((0, -cin % rows), (0, 0), (0, 0))).reshape(-1, rows, height * width)
    return tiles.transpose(0, 2, 1).reshape(-1, rows)


def weight_beats(weight_lanes: np.ndarray, shape: CoreShape) -> np.ndarray:
    """(words, cols) weight words -> (beats, weight_beat_words * cols) lanes: the weight memory's image,
    word w in beat w // weight_beat_words (the last beat's missing words zero)."""
    per_beat = shape.weight_beat_words
    words = np.pad(np.asarray(weight_lanes, dtype=np.int64), ((0, -len(weight_lanes) % per_beat), (0, 0)))
    return words.reshape(-1, per_beat * shape.cols)


def weight_blocks(weight_int: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(Cout, Cin, 3, 3) -> (out_tiles, in_tiles, kij, cols lanes c, rows r): W[out_tile*cols + c,
    in_tile*rows + r, kij], zero past the last channels."""
    cout, cin = weight_int.shape[:2]
    w = np.pad(weight_int.reshape(cout, cin, KIJ).astype(np.int64), ((0, -cout % cols), (0, -cin % rows), (0, 0)))
    return w.reshape(-1, cols, ceil_div(cin, rows), rows, KIJ).transpose(0, 2, 4, 1, 3)


def compile_conv(dataflow: str, conv: ConvShape, weight_int: np.ndarray, shape: CoreShape, label: str,
                 act_base: int = 0, wgt_base: int = 0) -> LayerProgram:
    """A conv of shape ``conv`` by ``weight_int`` (Cout, Cin, 3, 3): its RUN (reading the map at
    ``act_base``, the weights at ``wgt_base``) and HALT, and its weight image; no map (act_lanes empty).
    The weight image is one block per output-channel tile, the same for both dataflows (the module's
    header)."""
    weight_int = np.asarray(weight_int, dtype=np.int64)
    if weight_int.shape != (conv.out_channels, conv.in_channels, KERNEL, KERNEL):
        raise ProgramError(f"{label}: weights of shape {weight_int.shape} for a {conv.in_channels}-channel map "
                           f"(expected (Cout, {conv.in_channels}, {KERNEL}, {KERNEL}))")
    _check_fits(weight_int, shape.weight_bits, True, f"{label} weights")
    blocks = weight_blocks(weight_int, shape.rows, shape.cols)
    n_oct, n_ict = blocks.shape[:2]
    bases = {"act_base": act_base, "wgt_base": wgt_base, "acc_base": 0}
    common = {"width": conv.width, "height": conv.height, "tile_pitch": conv.pixels, "in_tiles": n_ict,
              "out_tiles": n_oct, "pixels": conv.pixels, **bases}
    weight_lanes = blocks.transpose(0, 1, 2, 4, 3).reshape(-1, shape.cols)
    if dataflow == "ws":
        folds = n_ict * n_oct * KIJ
        run, stream_rows = isa.run("ws", **common), folds * conv.pixels
    elif dataflow == "os":
        n_pt = ceil_div(conv.pixels, shape.rows)
        folds = n_pt * n_oct
        run, stream_rows = isa.run("os", pixel_tiles=n_pt, **common), folds * shape.rows
    else:
        raise ProgramError(f"{label}: dataflow {dataflow!r}, expected 'ws' or 'os'")
    return LayerProgram(dataflow, conv, shape, [run, isa.halt()], np.zeros((0, shape.rows), dtype=np.int64),
                        weight_lanes, stream_rows=stream_rows, folds=folds)


def compile_layer(dataflow: str, act_int: np.ndarray, weight_int: np.ndarray, shape: CoreShape,
                  label: str) -> LayerProgram:
    """The program of a conv of the map ``act_int`` (Cin, H, W) by ``weight_int``, with its map."""
    act_int = np.asarray(act_int, dtype=np.int64)
    cin, height, width = act_int.shape
    program = compile_conv(dataflow, ConvShape(cin, len(weight_int), height, width), weight_int, shape, label)
    _check_fits(act_int, shape.act_bits, shape.act_signed, f"{label} activations")
    return replace(program, act_lanes=map_lanes(act_int, shape.rows))


# The DMA's constant slots: tile g's constants go to slot g % CONSTANT_SLOTS, read out while tiles g + 1
# and g + 2 arrive (rtl/dma.v).
CONSTANT_SLOTS = 4


@dataclass
class ChainProgram:
    """Convs one after another in one program, the map passing on chip: each layer's DRAIN stores its
    levels into the other part of the activation memory (ping-pong: even layers read from word 0, odd
    ones from ``odd_base``) and the next layer's RUN reads them there; only the first map comes from
    the host, and every DRAIN also sends its levels out. RUN and DRAIN are ring instructions: a layer's
    output-channel tiles alternate between the accumulator's two halves, each read out while the next
    is computed, so the accumulator holds two tiles, not the layer. The weights and constants live in
    DRAM (``dram_bits``): a LOAD per layer hands its tile blocks to the DMA, which brings them tile by
    tile into the weight memory's two halves and the constant slots, ahead of the dma RUN that reads
    them; the LOAD of layer i + 1 comes right after the RUN of layer i, so its first tiles arrive
    while layer i computes."""

    dataflow: str
    shape: CoreShape
    layers: list[LayerProgram]  # each with its Readout and its RUN's bases
    instructions: list[isa.Instruction]
    act_lanes: np.ndarray     # the first layer's map, at activation word 0
    odd_base: int             # where odd layers read their map (even layers' maps end below it)
    dram_bits: np.ndarray     # (beats, dram_beat_bits) 0/1: every layer's tile blocks
    drains = True             # every layer has its DRAIN
    weight_lanes = np.zeros((0, 1), dtype=np.int64)  # nothing for the host to load: the DMA brings them

    @property
    def where(self) -> str:
        return f"{self.dataflow} program of {len(self.layers)} layers"

    @property
    def memory_words(self) -> dict[str, int]:
        """The words each memory needs for this program (chain_words)."""
        return chain_words([layer.conv for layer in self.layers], [layer.readout.pool for layer in self.layers],
                           self.shape)

    @property
    def act_words(self) -> int:
        return self.memory_words["act"]

    @property
    def acc_words(self) -> int:
        return self.memory_words["acc"]

    @property
    def wgt_words(self) -> int:
        """The weight memory's words: two halves of the largest tile block."""
        return self.memory_words["wgt"]

    @property
    def level_words(self) -> int:
        return sum(layer.level_words for layer in self.layers)

    @property
    def folds(self) -> int:
        return sum(layer.folds for layer in self.layers)

    @property
    def constant_tiles(self) -> int:
        return CONSTANT_SLOTS

    def constant_entries(self) -> list[tuple[int, int]]:
        return []  # the DMA writes them

    def levels_outputs(self, level_lanes: np.ndarray) -> list[np.ndarray]:
        """The words every DRAIN sent, in order -> each layer's (Cout, H', W') levels."""
        outputs, start = [], 0
        for layer in self.layers:
            outputs.append(layer.levels_output(level_lanes[start : start + layer.level_words]))
            start += layer.level_words
        return outputs


def compile_chain(dataflow: str, act_int: np.ndarray, layers: list[tuple[np.ndarray, Readout]], shape: CoreShape,
                  label: str, names: list[str] | None = None) -> ChainProgram:
    """One program for ``layers`` ((weights, readout) each) from the map ``act_int``: layer i reads its
    map at word 0 (even i) or ``odd_base`` (odd i) and its DRAIN stores into the other, except the
    last, which only sends. Needs ROWS = COLS (a word of levels is a word of the next map) and stored
    levels that fit the activation lanes; a ProgramError names the layer (``names``, or its position)
    otherwise."""
    names = names or [f"layer {index}" for index in range(len(layers))]
    if shape.rows != shape.cols:
        raise ProgramError(f"{label}: a {shape.rows}x{shape.cols} core cannot pass maps on chip (a word of COLS "
                           f"levels is a map word of ROWS channels only when ROWS = COLS)")
    act_int = np.asarray(act_int, dtype=np.int64)
    _check_fits(act_int, shape.act_bits, shape.act_signed, f"{label} {names[0]} activations")
    convs = [ConvShape(act_int.shape[0], len(layers[0][0]), *act_int.shape[1:])]
    for (weight_int, _), (_, previous) in zip(layers[1:], layers):
        convs.append(ConvShape(convs[-1].out_channels, len(weight_int), *_pooled(convs[-1], previous)))
    odd_base = map_bases(convs, shape)[0]
    programs, blocks, loads, runs, drains = [], [], [], [], []
    dram_base = tiles_before = 0
    for index, ((weight_int, readout), conv) in enumerate(zip(layers, convs)):
        where, last = f"{label} {names[index]}", index == len(layers) - 1
        if not last and readout.level_bits > shape.act_bits - shape.act_signed:
            raise ProgramError(f"{where}: its {readout.level_bits}-bit levels are the next layer's map, and the "
                               f"core's {shape.act_bits}-bit {'signed' if shape.act_signed else 'unsigned'} "
                               f"activation lanes hold {shape.act_bits - shape.act_signed} bits")
        act_base, store_base = (odd_base, 0) if index % 2 else (0, odd_base)
        program = with_readout(compile_conv(dataflow, conv, weight_int, shape, where, act_base=act_base),
                               readout, where)
        run, drain, _ = program.instructions
        run = isa.run(dataflow, ring=True, dma=True, **run.descriptor)
        drain = isa.drain(ring=True, **{**drain.descriptor, "const_base": tiles_before}, store=int(not last),
                          act_base=store_base)
        programs.append(replace(program, instructions=[run, drain, isa.halt()]))
        block = tile_blocks(program, shape)
        loads.append(isa.load(dram_base=dram_base, tiles=program.out_tiles,
                              weight_beats=len(block[0]) - shape.cols, const_beats=shape.cols))
        runs.append(run)
        drains.append(drain)
        blocks.append(block.reshape(-1, block.shape[-1]))
        dram_base += len(blocks[-1])
        tiles_before += program.out_tiles
    # LOAD 0, RUN 0, then per layer i > 0: LOAD i (its tiles arrive while layer i - 1 computes),
    # DRAIN i - 1, RUN i; the last DRAIN and a HALT.
    instructions = [loads[0], runs[0]]
    for index in range(1, len(layers)):
        instructions += [loads[index], drains[index - 1], runs[index]]
    instructions += [drains[-1], isa.halt()]
    return ChainProgram(dataflow, shape, programs, instructions, map_lanes(act_int, shape.rows), odd_base,
                        np.concatenate(blocks))


def map_bases(convs: list[ConvShape], shape: CoreShape) -> tuple[int, int]:
    """Where odd layers of a chain read their map (above every even layer's map), and the activation
    words in all (the largest odd map above that)."""
    words = [ceil_div(conv.in_channels, shape.rows) * conv.pixels for conv in convs]
    odd_base = max(words[0::2])
    return odd_base, odd_base + max(words[1::2], default=0)


def tile_block_words(conv: ConvShape, shape: CoreShape) -> int:
    """An output-channel tile's weight words: in_tiles*9*ROWS (program's module header)."""
    return ceil_div(conv.in_channels, shape.rows) * KIJ * shape.rows


def tile_blocks(program: LayerProgram, shape: CoreShape) -> np.ndarray:
    """(out_tiles, COLS + weight beats, dram_beat_bits) 0/1: each output-channel tile's DRAM block, its
    COLS lanes' constants ({S, B_c, M_c}, one beat per lane) and then its weight words, WEIGHT_WORDS per
    beat (the last beat's missing words zero)."""
    beat_bits, tiles = shape.dram_beat_bits, program.out_tiles
    constants = np.zeros((tiles * shape.cols, beat_bits), dtype=np.uint8)
    for address, data in program.readout.constant_entries(shape):
        tile, lane = address >> shape.lane_bits, address & ((1 << shape.lane_bits) - 1)
        constants[tile * shape.cols + lane] = _bits(data, beat_bits)
    beats = np.stack([weight_beats(words, shape) for words in program.weight_lanes.reshape(tiles, -1, shape.cols)])
    weight_bits = lane_bits(beats.reshape(-1, beats.shape[-1]), shape.weight_bits).reshape(*beats.shape[:2], -1)
    weights = np.zeros((*weight_bits.shape[:2], beat_bits), dtype=np.uint8)
    weights[..., : weight_bits.shape[-1]] = weight_bits
    return np.concatenate([constants.reshape(tiles, shape.cols, beat_bits), weights], axis=1)


def _bits(value: int, bits: int) -> np.ndarray:
    """A non-negative int as ``bits`` 0/1 values, least significant first."""
    return np.array([(value >> bit) & 1 for bit in range(bits)], dtype=np.uint8)


def chain_words(convs: list[ConvShape], pools: list[bool], shape: CoreShape) -> dict[str, int]:
    """The words each memory needs for a chain of ``convs`` (each pooled after or not): the activation
    memory's two parts (map_bases), the weight memory's two halves of the largest tile block, the
    accumulator's ring (ring_words), the constant slots, the levels every DRAIN sends, the instructions
    (a LOAD, a RUN and a DRAIN per layer, a HALT), and the DRAM's beats (every tile block)."""
    in_tiles = [ceil_div(conv.in_channels, shape.rows) for conv in convs]
    out_tiles = [ceil_div(conv.out_channels, shape.cols) for conv in convs]
    per_beat = shape.weight_beat_words
    return {"act": map_bases(convs, shape)[1],
            "wgt": ring_words(max(tile_block_words(conv, shape) for conv in convs)),
            "acc": ring_words(max(conv.pixels for conv in convs)),
            "const": CONSTANT_SLOTS,
            "levels": sum(tiles * conv.pixels // (4 if pool else 1) for tiles, conv, pool in zip(out_tiles, convs, pools)),
            "instr": 3 * len(convs) + 1,
            "dram": sum(tiles * (shape.cols + ceil_div(i * KIJ * shape.rows, per_beat))
                        for i, tiles in zip(in_tiles, out_tiles))}


def ring_words(pixels: int) -> int:
    """The words of a memory of two halves (the top address bit picks the half: the accumulator's ring,
    rtl/acc_sequencer.v; the weight memory's, rtl/dma.v), each at least ``pixels`` words."""
    return 2 * (1 << max(0, pixels - 1).bit_length())


def map_images(act_int: np.ndarray, shape: CoreShape, label: str) -> list[np.ndarray]:
    """(N, Cin, H, W) maps -> each image's activation memory image (map_lanes); a value that does not fit
    the core's lanes is a ProgramError naming ``label``, the image and where."""
    act_int = np.asarray(act_int, dtype=np.int64)
    for index, image in enumerate(act_int):
        _check_fits(image, shape.act_bits, shape.act_signed, f"{label} image {index} activations")
    return [map_lanes(image, shape.rows) for image in act_int]


def _pooled(conv: ConvShape, readout: Readout) -> tuple[int, int]:
    return (conv.height // 2, conv.width // 2) if readout.pool else (conv.height, conv.width)
