"""The seed's quantizers and QuantConv2d (FORMATS.md, "Quantizers").

Weights: per-tensor normalisation, divide by the learnable ``wgt_alpha``, clamp to [-1, 1], round
the magnitude to ``2^(w_bits-1) - 1`` levels, restore the sign, multiply back.
Activations: divide by the learnable ``act_alpha``, clamp from above at 1 (no lower clamp), round
to ``2^a_bits - 1`` levels, multiply back.

Gradients are straight-through. As in the seed, clipped activations pass no gradient while weight
gradients are never clipped; each alpha gets the PACT-style gradient: 1 (times sign for weights)
from clipped elements, the rounding residual from the others.

These are the reference implementations. ``fused = True`` runs the bit-identical fused kernels of
``qaccel.model.fused_quant`` instead (recipe key ``fused_quant``).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .fused_quant import FusedActQuant, FusedWeightQuant


def weight_levels(w_bits: int) -> int:
    """Positive integer levels of a signed ``w_bits`` weight (7 for 4 bits)."""
    return 2 ** (w_bits - 1) - 1


def act_levels(a_bits: int) -> int:
    """Integer levels of an unsigned ``a_bits`` activation (15 for 4 bits)."""
    return 2**a_bits - 1


class _WeightQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, normalised: torch.Tensor, alpha: torch.Tensor, levels: int) -> torch.Tensor:
        scaled = normalised / alpha
        clipped = scaled.clamp(-1.0, 1.0)
        quantised = torch.round(clipped.abs() * levels) / levels * clipped.sign()
        ctx.save_for_backward(scaled, quantised)
        return quantised * alpha

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        scaled, quantised = ctx.saved_tensors
        outside = (scaled.abs() > 1.0).to(grad_output.dtype)
        grad_alpha = (grad_output * (scaled.sign() * outside + (quantised - scaled) * (1 - outside))).sum()
        return grad_output, grad_alpha.reshape(()), None


def _levels_before_rounding(scaled: torch.Tensor, levels: int) -> torch.Tensor:
    return scaled.clamp(max=1.0) * levels


class _ActQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: torch.Tensor, levels: int) -> torch.Tensor:
        scaled = x / alpha
        quantised = torch.round(_levels_before_rounding(scaled, levels)) / levels
        ctx.save_for_backward(scaled, quantised)
        return quantised * alpha

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        scaled, quantised = ctx.saved_tensors
        outside = (scaled > 1.0).to(grad_output.dtype)
        grad_alpha = (grad_output * (outside + (quantised - scaled) * (1 - outside))).sum()
        return grad_output * (1 - outside), grad_alpha.reshape(()), None


def weight_statistics(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of the per-tensor normalisation, taken without gradient."""
    return weight.detach().mean(), weight.detach().std()


def quantize_normalised_weight(normalised: torch.Tensor, alpha: torch.Tensor, w_bits: int) -> torch.Tensor:
    return _WeightQuant.apply(normalised, alpha, weight_levels(w_bits))


def quantize_weight(weight: torch.Tensor, alpha: torch.Tensor, w_bits: int, fused: bool = False) -> torch.Tensor:
    """Normalise ``weight`` per tensor (statistics without gradient) and quantise it."""
    mean, std = weight_statistics(weight)
    if fused:
        return FusedWeightQuant.apply(weight, mean, std, alpha, weight_levels(w_bits))
    return quantize_normalised_weight((weight - mean) / std, alpha, w_bits)


def quantize_activation(x: torch.Tensor, alpha: torch.Tensor, a_bits: int, fused: bool = False) -> torch.Tensor:
    return (FusedActQuant if fused else _ActQuant).apply(x, alpha, act_levels(a_bits))


def activation_levels_before_rounding(x: torch.Tensor, alpha: torch.Tensor, a_bits: int) -> torch.Tensor:
    """What the activation quantizer rounds: ``x / alpha`` clamped at 1, in levels. A value half-way
    between two integers sits on a rounding boundary, where float error decides the level."""
    return _levels_before_rounding(x / alpha, act_levels(a_bits))


class WeightQuantizer(nn.Module):
    """Holds ``wgt_alpha`` under the seed's name (``weight_quant.wgt_alpha``)."""

    def __init__(self, w_bits: int, alpha_init: float = 3.0):
        super().__init__()
        self.w_bits = w_bits
        self.wgt_alpha = nn.Parameter(torch.tensor(alpha_init))

    def forward(self, weight: torch.Tensor, fused: bool = False) -> torch.Tensor:
        return quantize_weight(weight, self.wgt_alpha, self.w_bits, fused)


class QuantConv2d(nn.Conv2d):
    """3x3 conv whose weights and input activations are quantised; keeps ``weight_q`` as the seed.

    ``quantize = False`` makes it a plain float conv (a full-precision warm-up before QAT); the
    alphas then get no gradient. ``fused = True`` quantises with the fused kernels (same results).
    """

    def __init__(self, in_channels: int, out_channels: int, *, w_bits: int, a_bits: int):
        super().__init__(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.w_bits = w_bits
        self.a_bits = a_bits
        self.weight_quant = WeightQuantizer(w_bits)
        self.act_alpha = nn.Parameter(torch.tensor(8.0))
        self.weight_q: torch.Tensor | None = None
        self.quantize = True
        self.fused = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.quantize:
            return F.conv2d(x, self.weight, None, self.stride, self.padding)
        weight_q = self.weight_quant(self.weight, self.fused)
        self.weight_q = weight_q.detach()
        # In fp32 even under bf16 autocast: bf16's 8-bit mantissa would move about 1% of the levels.
        x_q = quantize_activation(x.float(), self.act_alpha, self.a_bits, self.fused)
        return F.conv2d(x_q, weight_q, None, self.stride, self.padding)


def quant_convs(model: nn.Module) -> list[QuantConv2d]:
    return [module for module in model.modules() if isinstance(module, QuantConv2d)]


def set_quantization(model: nn.Module, enabled: bool) -> None:
    """Switch every QuantConv2d in ``model`` between quantised and full-precision forward."""
    for module in quant_convs(model):
        module.quantize = enabled


def set_fused_quantizers(model: nn.Module, enabled: bool) -> None:
    """Quantise with the fused kernels of ``qaccel.model.fused_quant`` (True) or the reference ops (False)."""
    for module in quant_convs(model):
        module.fused = enabled
