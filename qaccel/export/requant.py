"""Integer-only requantization (FORMATS.md, "Integer-only inference"): per conv and output channel c,
the reals ``m_c``, ``b_c`` folded from the two scales, BatchNorm's running statistics and the next
layer's alpha (or ``2^F`` after the last conv), their fixed point ``M_c``, ``B_c``, ``S_c``, and

    level = clamp((acc * M_c + B_c + 2^(S_c - 1)) >> S_c, 0, 2^out_bits - 1)

in exact integer arithmetic (no rounding term where ``S_c = 0``).

Widths: ``M_c`` is a ``requant.mult_bits``-bit two's complement value by construction; ``B_c`` and
the sum ``acc * M_c + B_c + 2^(S_c - 1)`` are 64-bit two's complement (``BIAS_BITS``), ``S_c`` is
6 bits unsigned (0..63). A channel whose constant or sum does not fit is a RequantWidthError that
names the layer and the channel; nothing is wrapped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from qaccel.model.layers import CONV_LAYERS, following_kinds
from qaccel.model.quant import act_levels, weight_levels

BIAS_BITS = 64  # B_c and the requantizer's sum
SHIFT_BITS = 6  # S_c in 0..63
MAX_SHIFT = 2**SHIFT_BITS - 1
INT64_MAX = 2**63 - 1


class RequantWidthError(ValueError):
    """A constant or a requantizer sum does not fit its stated width; the message names layer and channel."""


@dataclass(frozen=True)
class RequantWidths:
    """The ``requant`` config keys."""

    mult_bits: int  # K: M_c is K-bit two's complement
    feature_bits: int  # the last conv's pooled output, unsigned
    feature_frac_bits: int  # F: the last conv's output counts units of 2^-F

    @classmethod
    def from_config(cls, requant: dict) -> "RequantWidths":
        return cls(mult_bits=int(requant["mult_bits"]), feature_bits=int(requant["feature_bits"]),
                   feature_frac_bits=int(requant["feature_frac_bits"]))


@dataclass(frozen=True)
class RequantConstants:
    """One conv's fixed-point constants, one entry per output channel (int64)."""

    layer: int
    multiplier: np.ndarray  # M_c
    bias: np.ndarray  # B_c
    shift: np.ndarray  # S_c
    out_bits: int  # the clamp's width: the next layer's a_bits, or requant.feature_bits after the last conv
    mult_bits: int  # K, the width M_c was fitted to


@dataclass(frozen=True)
class BatchNormStatistics:
    """BatchNorm2d in eval mode: ``gamma * (x - mean) / sqrt(var + eps) + beta`` (float64)."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float

    @classmethod
    def of(cls, module: torch.nn.BatchNorm2d) -> "BatchNormStatistics":
        def values(tensor):
            return tensor.detach().cpu().double().numpy()
        return cls(gamma=values(module.weight), beta=values(module.bias), mean=values(module.running_mean),
                   var=values(module.running_var), eps=float(module.eps))


def channel_reals(act_alpha: float, wgt_alpha: float, a_bits: int, w_bits: int, channels: int,
                  batchnorm: BatchNormStatistics | None, next_alpha: float | None,
                  feature_frac_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``m_c`` and ``b_c`` in float64; ``next_alpha`` None means the last conv (output in units of 2^-F)."""
    scale = (np.float64(act_alpha) / act_levels(a_bits)) * (np.float64(wgt_alpha) / weight_levels(w_bits))
    if batchnorm is None:
        g, h = np.ones(channels), np.zeros(channels)
    else:
        g = batchnorm.gamma / np.sqrt(batchnorm.var + batchnorm.eps)
        h = batchnorm.beta - batchnorm.mean * g
    # FORMATS.md's expressions evaluated left to right, as written there: float64 rounding follows the order.
    if next_alpha is None:
        return scale * g * np.float64(2.0) ** feature_frac_bits, h * np.float64(2.0) ** feature_frac_bits
    return scale * g * act_levels(a_bits) / np.float64(next_alpha), h * act_levels(a_bits) / np.float64(next_alpha)


def fold_channels(layer: int, m: np.ndarray, b: np.ndarray, mult_bits: int, out_bits: int) -> RequantConstants:
    """``M_c = round(m_c * 2^S_c)`` with the largest ``S_c`` in 0..63 that keeps ``|M_c| <= 2^(K-1) - 1``
    (``m_c = 0``: ``S_c = 63``, ``M_c = 0``), ``B_c = round(b_c * 2^S_c)``; rounds half to even, float64."""
    m, b = np.asarray(m, dtype=np.float64), np.asarray(b, dtype=np.float64)
    for name, values in (("m", m), ("b", b)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise RequantWidthError(f"layer {layer} channel {int(bad[0])}: {name}_c is {float(values[bad[0]])}, not a finite real")
    limit = 2 ** (mult_bits - 1) - 1
    powers = np.float64(2.0) ** np.arange(MAX_SHIFT + 1)  # scaling by a power of two is exact in float64
    fits = np.abs(np.round(m[:, None] * powers)) <= limit  # (C, 64); true up to S_max, as |round(m 2^S)| grows with S
    too_large = np.flatnonzero(~fits[:, 0])
    if too_large.size:
        c = int(too_large[0])
        raise RequantWidthError(f"layer {layer} channel {c}: m_c = {float(m[c])!r} rounds to {np.round(m[c]):.0f} even with "
                                f"shift 0, beyond {mult_bits}-bit M_c (|M_c| <= {limit}; requant.mult_bits)")
    shift = MAX_SHIFT - np.argmax(fits[:, ::-1], axis=1)
    multiplier = np.round(m * powers[shift])
    bias = np.round(b * powers[shift])
    too_wide = np.flatnonzero(np.abs(bias) >= np.float64(2.0) ** (BIAS_BITS - 1))
    if too_wide.size:
        c = int(too_wide[0])
        raise RequantWidthError(f"layer {layer} channel {c}: B_c = round({float(b[c])!r} * 2^{int(shift[c])}) = {bias[c]:.6g} "
                                f"does not fit {BIAS_BITS}-bit two's complement")
    return RequantConstants(layer=layer, multiplier=multiplier.astype(np.int64), bias=bias.astype(np.int64),
                            shift=shift.astype(np.int64), out_bits=out_bits, mult_bits=mult_bits)


def check_sum_width(acc: np.ndarray, constants: RequantConstants) -> None:
    """Every ``acc * M_c + B_c + 2^(S_c - 1)`` must fit 64-bit two's complement: checked per channel on
    the largest |acc| in exact integers (Python ints), so the int64 arithmetic of ``requantize`` is exact."""
    others = tuple(i for i in range(acc.ndim) if i != 1)
    largest = (np.maximum(acc.max(axis=others), -acc.min(axis=others)) if acc.size
               else np.zeros(acc.shape[1], dtype=np.int64))
    for c, (a, m, b, s) in enumerate(zip(largest.tolist(), constants.multiplier.tolist(), constants.bias.tolist(),
                                         constants.shift.tolist())):
        bound = a * abs(m) + abs(b) + (1 << (s - 1) if s else 0)
        if bound > INT64_MAX:
            raise RequantWidthError(f"layer {constants.layer} channel {c}: |acc * M_c + B_c + 2^(S_c-1)| can reach "
                                    f"{bound} (|acc| {a}, M_c {m}, B_c {b}, S_c {s}), beyond {BIAS_BITS}-bit two's "
                                    f"complement")


def requantize(acc: np.ndarray, constants: RequantConstants) -> np.ndarray:
    """``clamp((acc * M_c + B_c + 2^(S_c-1)) >> S_c, 0, 2^out_bits - 1)`` of raw conv sums (N, C, H, W) int64."""
    acc = np.asarray(acc)
    if acc.dtype != np.int64 or acc.ndim != 4 or acc.shape[1] != constants.multiplier.shape[0]:
        raise ValueError(f"layer {constants.layer}: requantize takes int64 sums (N, {constants.multiplier.shape[0]}, "
                         f"H, W), got {acc.dtype} {acc.shape}")
    check_sum_width(acc, constants)
    per_channel = (slice(None), None, None)
    rounding = np.where(constants.shift > 0, np.left_shift(1, np.maximum(constants.shift - 1, 0)), 0)
    total = acc * constants.multiplier[per_channel]
    total += (constants.bias + rounding)[per_channel]  # in place: this runs on every activation of the network
    total >>= constants.shift[per_channel]
    return np.clip(total, 0, 2**constants.out_bits - 1, out=total)


def max_pool_levels(levels: np.ndarray) -> np.ndarray:
    """2x2, stride-2 max-pool of (N, C, H, W) integers (H and W even)."""
    n, c, height, width = levels.shape
    if height % 2 or width % 2:
        raise ValueError(f"max-pool of levels: {height} x {width} is not divisible by 2")
    return levels.reshape(n, c, height // 2, 2, width // 2, 2).max(axis=(3, 5))


def fold_model(model, widths: RequantWidths) -> dict[int, RequantConstants]:
    """Every QuantConv2d's constants, by its index in ``model.features``."""
    layers = sorted(CONV_LAYERS)
    constants = {}
    for position, index in enumerate(layers):
        conv = model.features[index]
        following = following_kinds(index)
        batchnorm = BatchNormStatistics.of(model.features[index + 1]) if following[0] == "batchnorm" else None
        last = position == len(layers) - 1
        next_alpha = None if last else float(model.features[layers[position + 1]].act_alpha.detach().double())
        m, b = channel_reals(float(conv.act_alpha.detach().double()),
                             float(conv.weight_quant.wgt_alpha.detach().double()), conv.a_bits, conv.w_bits,
                             conv.out_channels, batchnorm, next_alpha, widths.feature_frac_bits)
        out_bits = widths.feature_bits if last else model.features[layers[position + 1]].a_bits
        constants[index] = fold_channels(index, m, b, widths.mult_bits, out_bits)
    return constants

