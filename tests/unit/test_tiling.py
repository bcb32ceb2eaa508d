"""WS and OS tiling against torch conv2d and against FORMATS.md's defining sums, written naively."""
import numpy as np
import pytest
from support import random_layer

from qaccel.export.tile_check import (
    TilingMismatch,
    check_against_conv2d,
    reference_output,
)
from qaccel.export.tiling import tile_os, tile_ws

SHAPES = [  # (Cin, Cout, H, W): one tile, partial tiles, several tiles each way
    (8, 8, 4, 4),
    (3, 8, 6, 5),
    (20, 13, 5, 3),
    (16, 24, 4, 4),
    (64, 8, 2, 2),
    (8, 512, 4, 4),
]



@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("relu", [False, True])
def test_both_dataflows_equal_conv2d(shape, relu):
    act, weight = random_layer(*shape, weight_min=-8)
    expected = reference_output(act, weight, relu)
    for tiles in (tile_ws(act, weight, 8, 8, relu), tile_os(act, weight, 8, 8, relu)):
        np.testing.assert_array_equal(tiles.output, expected)


@pytest.mark.parametrize("rows,cols", [(8, 8), (4, 16), (3, 5)])
def test_other_array_shapes(rows, cols):
    act, weight = random_layer(11, 9, 3, 4, seed=1, weight_min=-8)
    expected = reference_output(act, weight, False)
    np.testing.assert_array_equal(tile_ws(act, weight, rows, cols, False).output, expected)
    np.testing.assert_array_equal(tile_os(act, weight, rows, cols, False).output, expected)


def test_ws_psums_follow_the_formula():
    cin, cout, h, w = 11, 10, 3, 4
    act, weight = random_layer(cin, cout, h, w, seed=2, weight_min=-8)
    tiles = tile_ws(act, weight, 8, 8, False)
    a_pad = np.zeros((cin, h + 2, w + 2), dtype=np.int64)
    a_pad[:, 1:-1, 1:-1] = act
    a_pad = a_pad.reshape(cin, -1)
    for ict in range(2):
        for oct_ in range(2):
            for k in range(9):
                for t in range(a_pad.shape[1]):
                    for c in range(8):
                        oc = oct_ * 8 + c
                        expected = 0
                        for r in range(8):
                            ic = ict * 8 + r
                            if ic < cin and oc < cout:
                                expected += weight[oc, ic, k // 3, k % 3] * a_pad[ic, t]
                        assert tiles.psum[ict, oct_, k, t, c] == expected


def test_os_lanes_follow_the_formula():
    cin, cout, h, w = 3, 10, 3, 5  # 15 pixels: the second pixel tile has one padding lane
    act, weight = random_layer(cin, cout, h, w, seed=3, weight_min=-8)
    tiles = tile_os(act, weight, 8, 8, False)
    assert tiles.pixels.tolist() == [list(range(8)), list(range(8, 15)) + [-1]]
    a_pad = np.zeros((cin, h + 2, w + 2), dtype=np.int64)
    a_pad[:, 1:-1, 1:-1] = act
    for pt in range(2):
        for ic in range(cin):
            for k in range(9):
                for lane in range(8):
                    p = tiles.pixels[pt, lane]
                    expected = 0 if p < 0 else a_pad[ic, p // w + k // 3, p % w + k % 3]
                    assert tiles.activation[pt, ic, k, lane] == expected
    for oct_ in range(2):
        for lane in range(8):
            oc = oct_ * 8 + lane
            expected = weight[oc, :, :, :].reshape(cin, 9) if oc < cout else np.zeros((cin, 9))
            np.testing.assert_array_equal(tiles.weight[oct_, :, :, lane], expected)


def test_check_names_the_first_mismatch():
    act, weight = random_layer(8, 8, 4, 4, weight_min=-8)
    output = tile_ws(act, weight, 8, 8, False).output.copy()
    output[5, 3] += 1
    with pytest.raises(TilingMismatch, match="layer 27 ws: output pixel 5 channel 3"):
        check_against_conv2d(output, act, weight, False, "layer 27 ws")
