"""A layer as the core runs it: the instruction stream and the memory images.

One RUN instruction covers a whole layer; its descriptor fields describe the loop nest
(rtl/README.md).
Memory layouts (word w of a memory; lanes are fields, lane 0 in the low bits):

  WS  activation  in_tile*T + t          = the padded map of in_tile, position t (T=(H+2)(W+2))
      weight      fold*ROWS + r          = row r's weights across the columns (lane c = out channel);
                                           fold = (in_tile*n_out + out_tile)*9 + kij
  OS  activation  pixel_tile*S + s       = lane p: a_pad[ic, pos(pixel p, kij)], s = ic*9 + kij,
                                           S = Cin*9
      weight      out_tile*S + s         = lane c: W[out_tile*COLS + c, ic, kij]
  both accumulator  out_tile*H*W + o     = lane c: the raw sum of output pixel o, channel
                                           out_tile*COLS + c

The images come from the tiling's operand arrays (``qaccel.export.tiling.operands``: the ``activation``
and ``weight`` of ``WSTiles``/``OSTiles``, which the vector files hold one file per tile;
qaccel.rtl.vector_set reads them back).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from qaccel.export.geometry import KIJ, ceil_div
from qaccel.export.vectors import field_range

from . import isa

if TYPE_CHECKING:  # an annotation only: the builds do not depend on the tiling's arithmetic
    from qaccel.export.tiling import Operands


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
        # checked for overflow (rtl/mac_tile.v): that sum must always fit.
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

    def constant_entries(self, shape: CoreShape) -> list[tuple[int, int]]:
        """(host address, data) per lane of every output-channel tile for the host port's constants
        select: address {tile, lane}, data {S, B_c, M_c} (rtl/core.v). The lanes past the last channel
        take zeros (their levels are dropped, but a level of unknown constants would be X)."""
        padding = -len(self.multiplier) % shape.cols
        constants = [np.concatenate([values, np.zeros(padding, dtype=np.int64)]).tolist()
                     for values in (self.multiplier, self.bias, self.shift)]
        entries = []
        for channel, (m, b, s) in enumerate(zip(*constants)):
            tile, lane = divmod(channel, shape.cols)
            data = ((m & ((1 << shape.mult_bits) - 1)) | (b & ((1 << shape.bias_bits) - 1)) << shape.mult_bits
                    | s << (shape.mult_bits + shape.bias_bits))
            entries.append((tile << shape.lane_bits | lane, data))
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


def compile_ws(tiles: Operands, conv: ConvShape, shape: CoreShape, label: str) -> LayerProgram:
    """The WS program of a layer from its tiling arrays (activation[ict, t, r], weight[ict, oct, k, c, r])."""
    n_ict, n_oct = tiles.weight.shape[:2]
    _check_fits(tiles.activation, shape.act_bits, shape.act_signed, f"{label} activations")
    _check_fits(tiles.weight, shape.weight_bits, True, f"{label} weights")
    act_lanes = tiles.activation.reshape(n_ict * conv.padded, shape.rows)
    # A fold's ROWS words: word r holds row r's weight of every column.
    weight_lanes = tiles.weight.transpose(0, 1, 2, 4, 3).reshape(-1, shape.cols)
    folds = n_ict * n_oct * KIJ
    instructions = [isa.run("ws", width=conv.width, row_pitch=conv.width + 2, tile_pitch=conv.padded, in_tiles=n_ict,
                            out_tiles=n_oct, pixels=conv.pixels, act_base=0, wgt_base=0, acc_base=0),
                    isa.halt()]
    return LayerProgram("ws", conv, shape, instructions, act_lanes, weight_lanes,
                        stream_rows=folds * conv.pixels, folds=folds)


def compile_os(tiles: Operands, conv: ConvShape, shape: CoreShape, label: str) -> LayerProgram:
    """The OS program of a layer from its tiling arrays (activation[pt, ic, k, p], weight[oct, ic, k, c])."""
    n_pt, n_oct = tiles.activation.shape[0], tiles.weight.shape[0]
    _check_fits(tiles.activation, shape.act_bits, shape.act_signed, f"{label} activations")
    _check_fits(tiles.weight, shape.weight_bits, True, f"{label} weights")
    steps = conv.in_channels * KIJ
    act_lanes = tiles.activation.reshape(n_pt * steps, shape.rows)
    weight_lanes = tiles.weight.reshape(n_oct * steps, shape.cols)
    instructions = [isa.run("os", tile_pitch=steps, pixel_tiles=n_pt, out_tiles=n_oct, pixels=conv.pixels,
                            act_base=0, wgt_base=0, acc_base=0),
                    isa.halt()]
    folds = n_pt * n_oct
    return LayerProgram("os", conv, shape, instructions, act_lanes, weight_lanes,
                        stream_rows=folds * shape.rows, folds=folds)


def compile_layer(dataflow: str, tiles: Operands, conv: ConvShape, shape: CoreShape,
                  label: str) -> LayerProgram:
    if dataflow == "ws":
        return compile_ws(tiles, conv, shape, label)
    if dataflow == "os":
        return compile_os(tiles, conv, shape, label)
    raise ProgramError(f"{label}: dataflow {dataflow!r}, expected 'ws' or 'os'")
