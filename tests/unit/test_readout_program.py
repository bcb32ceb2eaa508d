"""A layer program with a DRAIN (qaccel.rtl.program.with_readout): what it refuses before any
simulation, naming the layer, and the constants it writes through the host port."""
from __future__ import annotations

import numpy as np
import pytest

from qaccel.rtl.program import ConvShape, CoreShape, ProgramError, Readout, compile_layer, with_readout

SHAPE = CoreShape(2, 2, 8, 4, 32, True, mult_bits=24, level_bits=16)


def program_for(conv: ConvShape):
    rng = np.random.default_rng(0)
    act = rng.integers(0, 16, (conv.in_channels, conv.height, conv.width))
    weight = rng.integers(-8, 8, (conv.out_channels, conv.in_channels, 3, 3))
    return compile_layer("ws", act, weight, SHAPE, "layer 7")


def readout(channels: int, level_bits: int = 4, pool: bool = False, bias: int = 0) -> Readout:
    return Readout(np.full(channels, 3), np.full(channels, bias), np.full(channels, 5), level_bits, pool)


@pytest.mark.parametrize("conv, drain, message", [
    (ConvShape(2, 3, 2, 2), readout(3, level_bits=0), r"layer 7: levels of 0 bits: the core's level lanes take 1 to 16"),
    (ConvShape(2, 3, 2, 2), readout(3, level_bits=17), r"layer 7: levels of 17 bits"),
    (ConvShape(2, 3, 3, 2), readout(3, pool=True), r"layer 7: a 2x2 max-pool of a 3 x 2 map"),
    (ConvShape(1, 1, 2, 34), readout(1, pool=True), r"layer 7: a 2x2 max-pool of a 2 x 34 map \(the core pools even "
                                                    r"maps up to 32 wide\)"),
    (ConvShape(2, 3, 2, 2), readout(3, bias=2**55), r"layer 7 requantization biases B_c: value 36028797018963968 at "
                                                    r"\(0,\) does not fit the core's 56-bit signed lanes"),
])
def test_a_drain_the_core_cannot_run_is_refused_naming_the_layer(conv, drain, message):
    with pytest.raises(ProgramError, match=message):
        with_readout(program_for(conv), drain, "layer 7")


def test_each_lane_of_each_tile_gets_its_constants_and_the_padding_lanes_zeros():
    """3 channels on 2 columns: tiles 0 and 1, lane 1 of tile 1 padding. Address {tile, lane} (one lane
    bit), data {S (6 bits), B_c (56), M_c (24)} from bit 0, two's complement."""
    drain = Readout(np.array([5, -1, 7]), np.array([-2, 3, 0]), np.array([9, 0, 63]), 4, False)
    entries = drain.constant_entries(SHAPE)
    def data(m, b, s):
        return (m % 2**24) | (b % 2**56) << 24 | s << 80
    assert entries == [(0b00, data(5, -2, 9)), (0b01, data(-1, 3, 0)), (0b10, data(7, 0, 63)), (0b11, 0)]
