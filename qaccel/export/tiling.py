"""Weight-stationary and output-stationary tiling of a 3x3, stride-1, padding-1 integer conv.

Everything here is integer numpy (int64) and vectorised over pixels, channels and kij; the only
Python loops run over a handful of kernel offsets. Notation follows FORMATS.md: ``a_pad[r, t]`` is
input channel r at padded position t (row-major over (H+2) x (W+2)), ``kij = ki*3 + kj``.
Partial tiles (fewer channels or pixels than the array has rows/columns) are zero-padded lanes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .geometry import KERNEL, KIJ, PADDING, ceil_div


def pad_activation(act_int: np.ndarray) -> np.ndarray:
    """(Cin, H, W) -> a_pad of shape (Cin, (H+2)*(W+2))."""
    cin, height, width = act_int.shape
    padded = np.zeros((cin, height + 2 * PADDING, width + 2 * PADDING), dtype=np.int64)
    padded[:, PADDING : PADDING + height, PADDING : PADDING + width] = act_int
    return padded.reshape(cin, -1)


def output_positions(height: int, width: int) -> np.ndarray:
    """pos[o, kij]: padded position read by output pixel o = y*W + x at kernel offset kij."""
    y, x = np.divmod(np.arange(height * width), width)
    ki, kj = np.divmod(np.arange(KIJ), KERNEL)
    return (y[:, None] + ki[None, :]) * (width + 2 * PADDING) + x[:, None] + kj[None, :]


def split_channels(values: np.ndarray, axis: int, lanes: int) -> np.ndarray:
    """Zero-pad ``axis`` up to a multiple of ``lanes`` and split it into (tiles, lanes)."""
    count = values.shape[axis]
    tiles = ceil_div(count, lanes)
    pad = [(0, 0)] * values.ndim
    pad[axis] = (0, tiles * lanes - count)
    padded = np.pad(values, pad)
    shape = padded.shape[:axis] + (tiles, lanes) + padded.shape[axis + 1 :]
    return padded.reshape(shape)


@dataclass(frozen=True)
class WSTiles:
    """Weight-stationary vectors of one layer.

    activation[ict, t, r]      a_pad of input-channel tile ict, array row r, time step t
    weight[ict, oct, k, c, r]  weight of array column c (output channel), row r (input channel)
    psum[ict, oct, k, t, c]    sum over the rows of one tile at kernel offset k, time step t
    output[o, oc]              the whole layer's output, ReLU applied if asked
    """

    activation: np.ndarray
    weight: np.ndarray
    psum: np.ndarray
    output: np.ndarray


@dataclass(frozen=True)
class Operands:
    """What a layer's array runs on, without the results: the WS or OS ``activation`` and ``weight``
    arrays of WSTiles / OSTiles (the core's memory images; qaccel.rtl.program)."""

    activation: np.ndarray
    weight: np.ndarray


def ws_operands(act_int: np.ndarray, weight_int: np.ndarray, rows: int, cols: int) -> Operands:
    cout, cin = weight_int.shape[:2]
    a_pad = pad_activation(act_int)  # (Cin, T)
    activation = split_channels(a_pad, 0, rows).transpose(0, 2, 1)  # (ict, T, r)
    w = weight_int.reshape(cout, cin, KIJ).astype(np.int64)
    w = split_channels(split_channels(w, 1, rows), 0, cols)  # (oct, c, ict, r, k)
    return Operands(activation=activation, weight=w.transpose(2, 0, 4, 1, 3))  # weight (ict, oct, k, c, r)


def tile_ws(act_int: np.ndarray, weight_int: np.ndarray, rows: int, cols: int, relu: bool) -> WSTiles:
    cout, (height, width) = weight_int.shape[0], act_int.shape[1:]
    ops = ws_operands(act_int, weight_int, rows, cols)
    activation, weight = ops.activation, ops.weight
    psum = np.einsum("iokcr,itr->ioktc", weight, activation)
    positions = output_positions(height, width)  # (O, k)
    # out[o, oct, c] = sum_ict sum_k psum[ict, oct, k, pos[o, k], c]
    gathered = psum[:, :, np.arange(KIJ)[None, :], positions, :]  # (ict, oct, O, k, c)
    output = gathered.sum(axis=(0, 3)).transpose(1, 0, 2).reshape(height * width, -1)[:, :cout]
    if relu:
        output = np.maximum(output, 0)
    return WSTiles(activation=activation, weight=weight, psum=psum, output=output)


@dataclass(frozen=True)
class OSTiles:
    """Output-stationary vectors of one layer.

    pixels[pt, lane]            output pixel index o = y*W + x of each lane, -1 for padding lanes
    activation[pt, ic, k, lane] a_pad[ic, pos(pixel, k)] for the tile's pixel lanes
    weight[oct, ic, k, lane]    weight of output channel lane at input channel ic, offset k
    tile_output[pt, oct, p, c]  accumulated output of pixel lane p, output-channel lane c, before
                                ReLU (what the array drains; the seed's out_os.txt has no ReLU)
    output[o, oc]               the whole layer's output, ReLU applied if asked
    """

    pixels: np.ndarray
    activation: np.ndarray
    weight: np.ndarray
    tile_output: np.ndarray
    output: np.ndarray


def os_pixels(height: int, width: int, rows: int) -> np.ndarray:
    """pixels[pt, lane]: the output pixel of each lane of each pixel tile, -1 for padding lanes."""
    pixel_count = height * width
    pixels = np.full(ceil_div(pixel_count, rows) * rows, -1, dtype=np.int64)
    pixels[:pixel_count] = np.arange(pixel_count)
    return pixels.reshape(-1, rows)


def os_operands(act_int: np.ndarray, weight_int: np.ndarray, rows: int, cols: int) -> Operands:
    """Pixels map to the ``rows`` lanes of a tile and output channels to the ``cols`` lanes."""
    cout, (cin, height, width) = weight_int.shape[0], act_int.shape
    a_pad = pad_activation(act_int)
    pixels = os_pixels(height, width, rows)
    positions = output_positions(height, width)  # (O, k)
    lane_positions = positions[np.maximum(pixels, 0)]  # (pt, p, k)
    activation = a_pad[:, lane_positions].transpose(1, 0, 3, 2)  # (pt, ic, k, p)
    activation = np.where(pixels[:, None, None, :] >= 0, activation, 0)
    w = weight_int.reshape(cout, cin, KIJ).astype(np.int64)
    return Operands(activation=activation, weight=split_channels(w, 0, cols).transpose(0, 2, 3, 1))  # (oct, ic, k, c)


def tile_os(act_int: np.ndarray, weight_int: np.ndarray, rows: int, cols: int, relu: bool) -> OSTiles:
    cout, (height, width) = weight_int.shape[0], act_int.shape[1:]
    pixels = os_pixels(height, width, rows)
    ops = os_operands(act_int, weight_int, rows, cols)
    activation, weight = ops.activation, ops.weight
    tile_output = np.einsum("aikp,bikc->abpc", activation, weight)
    valid = pixels.reshape(-1) >= 0
    output = tile_output.transpose(0, 2, 1, 3).reshape(pixels.size, -1)[valid][:, :cout]
    if relu:
        output = np.maximum(output, 0)
    return OSTiles(pixels=pixels, activation=activation, weight=weight, tile_output=tile_output, output=output)


def operands(dataflow: str, act_int: np.ndarray, weight_int: np.ndarray, rows: int, cols: int) -> Operands:
    if dataflow == "ws":
        return ws_operands(act_int, weight_int, rows, cols)
    if dataflow == "os":
        return os_operands(act_int, weight_int, rows, cols)
    raise ValueError(f"dataflow {dataflow!r}: expected 'ws' or 'os'")


def tile(dataflow: str, act_int: np.ndarray, weight_int: np.ndarray, rows: int, cols: int,
         relu: bool) -> WSTiles | OSTiles:
    if dataflow == "ws":
        return tile_ws(act_int, weight_int, rows, cols, relu)
    if dataflow == "os":
        return tile_os(act_int, weight_int, rows, cols, relu)
    raise ValueError(f"dataflow {dataflow!r}: expected 'ws' or 'os'")


def save_tiles(path: Path, tiles: WSTiles | OSTiles) -> None:
    """tiles.npz: the dataclass's arrays under their field names."""
    np.savez(path, **asdict(tiles))


def load_tiles(path: Path, dataflow: str) -> WSTiles | OSTiles:
    with np.load(path) as stored:
        return (WSTiles if dataflow == "ws" else OSTiles)(**{key: stored[key] for key in stored.files})
