"""Per-layer value ranges of the integer path, and the check that the core's fields hold them.

Run on the integer path (cheap) before any simulation: a layer whose activations or partial sums
do not fit the core's widths is an error naming the layer and the width it needs, never a wrap.

The partial-sum bound is, over every output, the sum of |weight x activation| of its terms: no
order of accumulation (over input channels, kernel offsets or tiles) gets further from zero, and
the order that adds all same-signed terms first reaches it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from qaccel.export.integerize import integer_conv2d

from .paths import PathResult


class WidthError(ValueError):
    """A layer's values do not fit the core's fields."""


@dataclass(frozen=True)
class LayerRange:
    layer: int
    in_channels: int
    out_channels: int
    height: int
    width: int
    act_signed: bool
    act_min: int
    act_max: int
    psum_bound: int  # largest |partial sum| any accumulation order can reach

    @property
    def act_bits(self) -> int:
        """Bits the activations need: two's complement when the layer's inputs are signed."""
        return signed_bits(self.act_min, self.act_max) if self.act_signed else unsigned_bits(self.act_max)

    @property
    def psum_bits(self) -> int:
        return signed_bits(-self.psum_bound, self.psum_bound)

    def as_dict(self) -> dict:
        return {**asdict(self), "act_bits": self.act_bits, "psum_bits": self.psum_bits}

    @classmethod
    def from_dict(cls, values: dict) -> "LayerRange":
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})


def unsigned_bits(high: int) -> int:
    return max(int(high).bit_length(), 1)


def signed_bits(low: int, high: int) -> int:
    """Smallest b with -2^(b-1) <= low and high <= 2^(b-1) - 1."""
    return max(int(high).bit_length(), (-int(low) - 1).bit_length() if low < 0 else 0) + 1


def layer_ranges(path: PathResult) -> list[LayerRange]:
    ranges = []
    for conv in path.convs:
        _, cin, height, width = conv.act_int.shape
        bound = integer_conv2d(conv.act_int.abs(), conv.weight_int.abs())
        ranges.append(LayerRange(layer=conv.layer, in_channels=cin, out_channels=int(conv.weight_int.shape[0]),
                                 height=height, width=width, act_signed=conv.act_signed,
                                 act_min=int(conv.act_int.min()), act_max=int(conv.act_int.max()),
                                 psum_bound=int(bound.max())))
    return ranges


def combine_ranges(shards: list[list[LayerRange]]) -> list[LayerRange]:
    """The ranges over several shards' images (same layers in the same order)."""
    combined = []
    for per_layer in zip(*shards):
        first = per_layer[0]
        combined.append(LayerRange(**{**asdict(first), "act_min": min(r.act_min for r in per_layer),
                                      "act_max": max(r.act_max for r in per_layer),
                                      "psum_bound": max(r.psum_bound for r in per_layer)}))
    return combined


def check_core_widths(ranges: list[LayerRange], psum_bits: int, act_bits: int | None = None,
                      signed_activations: bool = False) -> None:
    """Raise WidthError listing every layer whose values do not fit the core.

    ``psum_bits``: the core's partial-sum / accumulator width (hardware.psum_bits). ``act_bits``: its
    activation lane width (hardware.act_bits), or None where activations are not checked;
    ``signed_activations``: whether the lanes are two's complement (hardware.act_signed; layer 0 needs
    it), in which case an unsigned value needs one bit more than its own width.
    """
    problems = []
    for r in ranges:
        if r.psum_bits > psum_bits:
            problems.append(f"layer {r.layer}: partial sums can reach +-{r.psum_bound}, which needs {r.psum_bits}-bit "
                            f"two's complement; the core has hardware.psum_bits = {psum_bits}")
        if act_bits is None:
            continue
        if r.act_signed and not signed_activations:
            problems.append(f"layer {r.layer}: activations are signed, in [{r.act_min}, {r.act_max}] ({r.act_bits}-bit "
                            f"two's complement); the core's lanes are unsigned (hardware.act_signed: false)")
            continue
        needed = r.act_bits + (1 if signed_activations and not r.act_signed else 0)
        if needed > act_bits:
            lanes = "signed" if signed_activations else "unsigned"
            problems.append(f"layer {r.layer}: activations in [{r.act_min}, {r.act_max}] need {needed}-bit {lanes} "
                            f"lanes; the core has hardware.act_bits = {act_bits}")
    if problems:
        raise WidthError("the core is too narrow for these images:\n  " + "\n  ".join(problems))
