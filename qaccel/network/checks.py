"""The two comparisons of whole-network inference.

- ``check_core_outputs``: a backend's sums against the integer path's, bit for bit. The RTL path must
  equal the integer path everywhere; a difference names the image, layer, tile, pixel and channel.
- ``first_level_difference``: where the float model's quantised levels first differ from the
  integer path's. They may differ only on a rounding boundary (a value half-way between two levels,
  where float error decides); anything else means the integer path does not follow the model.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch


class CoreMismatch(AssertionError):
    """The core's sums differ from the integer path's."""


class LevelMismatch(AssertionError):
    """The float model and the integer path quantise a value differently, away from a rounding boundary."""


def tile_of(dataflow: str, pixel: int, channel: int, rows: int, cols: int) -> str:
    """The tile that computes output ``pixel`` (y * W + x) of output ``channel`` on a rows x cols array."""
    if dataflow == "ws":  # columns hold output channels; every input-channel tile adds into the same sum
        return f"output-channel tile {channel // cols}"
    if dataflow == "os":  # rows hold consecutive output pixels, columns output channels
        return f"pixel tile {pixel // rows}, output-channel tile {channel // cols}"
    raise ValueError(f"dataflow {dataflow!r}: expected 'ws' or 'os'")


def first_difference(expected: np.ndarray, got: np.ndarray, layer: int, images: list[int], source: str,
                     reference: str, axes: str, error: type[Exception]) -> tuple[tuple[int, int, int, int], int] | None:
    """``got`` (N, C, H, W) from ``source`` against ``reference``'s ``expected``: raise ``error`` if it is not
    an integer array of the same shape; else the first differing (n, channel, y, x) and how many values
    differ, or None when all are equal."""
    if not isinstance(got, np.ndarray) or not np.issubdtype(got.dtype, np.integer):
        raise error(f"layer {layer}, images {images}: {source} returned {type(got).__name__} "
                    f"{getattr(got, 'dtype', '')}, not an integer array")
    if got.shape != expected.shape:
        raise error(f"layer {layer}, images {images}: {source} returned shape {got.shape}, {reference} "
                    f"has {expected.shape} ({axes})")
    bad = np.argwhere(got != expected)
    if not bad.size:
        return None
    return tuple(int(i) for i in bad[0]), len(bad)


def check_core_outputs(expected: np.ndarray, got: np.ndarray, layer: int, images: list[int], dataflow: str,
                       rows: int, cols: int) -> None:
    """Raise CoreMismatch naming the first differing value; ``images`` are the batch's test-split indices."""
    difference = first_difference(expected, got, layer, images, "the core", "the integer path", "N, Cout, H, W",
                                  CoreMismatch)
    if difference:
        (n, channel, y, x), count = difference
        pixel = y * expected.shape[3] + x
        raise CoreMismatch(
            f"image {images[n]}, layer {layer}, {dataflow.upper()} {tile_of(dataflow, pixel, channel, rows, cols)}, "
            f"pixel {pixel} (y {y}, x {x}), channel {channel}: core {int(got[n, channel, y, x])}, integer path "
            f"{int(expected[n, channel, y, x])} ({count} of {expected.size} values differ in this layer)"
        )


@dataclass
class LevelDifference:
    """The first layer at which the float model's quantised input differs from the integer path's."""

    layer: int
    channel: int
    y: int
    x: int
    float_level: int
    integer_level: int
    float_before_rounding: float  # what each path's quantizer rounded, in levels
    integer_before_rounding: float
    values_differing: int  # in this layer of this image
    boundary_distance: float  # how far either path's value sits from the boundary between the two levels;
    # the position is the differing value where this is largest

    def describe(self) -> str:
        return (f"layer {self.layer}: {self.values_differing} value(s) differ; the furthest from a rounding boundary, "
                f"channel {self.channel} (y {self.y}, x {self.x}): float level {self.float_level}, integer "
                f"{self.integer_level}, before rounding {self.float_before_rounding:.6f} and "
                f"{self.integer_before_rounding:.6f}, {self.boundary_distance:.1e} from the boundary")

    def as_dict(self) -> dict:
        return asdict(self)


def first_level_difference(float_levels: dict[int, torch.Tensor], float_before: dict[int, torch.Tensor],
                           integer_levels: dict[int, torch.Tensor], integer_before: dict[int, torch.Tensor],
                           image: int, boundary_tolerance: float) -> LevelDifference | None:
    """Compare one image layer by layer (all dicts: layer -> (Cin, H, W)); None when every level agrees.

    Raise LevelMismatch when the first differing layer has a value that sits further than
    ``boundary_tolerance`` (in levels) from the boundary between the two levels.
    """
    for layer in sorted(integer_levels):
        ours, theirs = integer_levels[layer], float_levels[layer]
        differ = ours != theirs
        if not bool(differ.any()):
            continue
        boundary = (ours + theirs).double() / 2  # half-way between the two levels
        distance = torch.maximum((float_before[layer].double() - boundary).abs(),
                                 (integer_before[layer].double() - boundary).abs())
        distance = torch.where(differ, distance, -1.0)
        channel, y, x = (int(i) for i in np.unravel_index(int(distance.argmax()), distance.shape))
        worst = float(distance[channel, y, x])
        difference = LevelDifference(
            layer=layer, channel=channel, y=y, x=x, float_level=int(theirs[channel, y, x]),
            integer_level=int(ours[channel, y, x]), float_before_rounding=float(float_before[layer][channel, y, x]),
            integer_before_rounding=float(integer_before[layer][channel, y, x]),
            values_differing=int(differ.sum()), boundary_distance=worst)
        if worst > boundary_tolerance:
            raise LevelMismatch(f"image {image}: {difference.describe()}, beyond the tolerance {boundary_tolerance:g} "
                                f"(integerize.integer_tolerance): the integer path does not follow the float model")
        return difference
    return None
