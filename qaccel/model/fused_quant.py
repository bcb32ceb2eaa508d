"""The quantizers of ``qaccel.model.quant`` with each direction's elementwise work as one compiled kernel.

Unfused, an activation quantizer runs 6 elementwise operations forward and 9 backward, a weight
quantizer (with its normalisation) 11 and 11: each one a pass over memory on a CPU and a kernel
launch on a GPU. Here each direction is one function compiled by ``torch.compile`` (a C++ loop on a
CPU, a Triton kernel on CUDA) behind a custom op, so that it shows as one operation in dispatch
counts and profiles. The forward saves only its input; the backward recomputes the scaled and
quantised values from it.

The results are bit-identical to the unfused quantizers (tests/unit/test_fused_quant.py, on CUDA
too): the functions repeat the reference's operations in the same order, and Inductor is told to
keep eager numerics on CUDA (IEEE division, no multiply-add contraction; on a CPU it contracts
nothing by default). The alpha gradient's final sum stays ATen's ``sum``: a fused reduction would
add in another order and differ in the last bits.

Each function is compiled once per process, on first use, for tensors seen as 1-D, so every layer,
batch size and memory layout shares it; Inductor's on-disk cache keeps the compiled code across
processes.
"""
from __future__ import annotations

import functools
import warnings

import torch


def _eager_numerics() -> dict:
    """Inductor settings for eager PyTorch's arithmetic on CUDA, where Triton otherwise lowers x / y to
    an approximate division and fuses a * b + c into one rounding. (On a CPU Inductor already divides
    exactly and contracts nothing.) Division by the integer ``levels`` stays a multiplication by its
    float32 reciprocal, as eager CUDA computes division by a Python number, so ``levels`` must stay a
    Python int, never a tensor."""
    from torch._inductor import config

    division = ("eager_numerics.division_rounding" if hasattr(config, "eager_numerics")
                else "emulate_divison_rounding")  # its earlier name (sic)
    return {division: True, "emulate_precision_casts": True}


@functools.cache
def _compiled(function):
    return torch.compile(function, dynamic=True, fullgraph=True, options=_eager_numerics())


def _act_scaled_and_quantised(x, alpha, levels: int):
    scaled = x / alpha
    return scaled, torch.round(scaled.clamp(max=1.0) * levels) / levels


def _act_forward(x, alpha, levels: int):
    return _act_scaled_and_quantised(x, alpha, levels)[1] * alpha


def _act_backward(grad, x, alpha, levels: int):
    """Input gradient (zero where clipped) and each element's share of the alpha gradient."""
    scaled, quantised = _act_scaled_and_quantised(x, alpha, levels)
    outside = (scaled > 1.0).to(grad.dtype)
    return grad * (1 - outside), grad * (outside + (quantised - scaled) * (1 - outside))


def _weight_scaled_and_quantised(weight, mean, std, alpha, levels: int):
    scaled = (weight - mean) / std / alpha
    clipped = scaled.clamp(-1.0, 1.0)
    return scaled, torch.round(clipped.abs() * levels) / levels * clipped.sign()


def _weight_forward(weight, mean, std, alpha, levels: int):
    return _weight_scaled_and_quantised(weight, mean, std, alpha, levels)[1] * alpha


def _weight_backward(grad, weight, mean, std, alpha, levels: int):
    """Weight gradient (straight through the quantizer, then the normalisation) and each element's
    share of the alpha gradient."""
    scaled, quantised = _weight_scaled_and_quantised(weight, mean, std, alpha, levels)
    outside = (scaled.abs() > 1.0).to(grad.dtype)
    return grad / std, grad * (scaled.sign() * outside + (quantised - scaled) * (1 - outside))


def _alias(tensor: torch.Tensor, flat: bool = True) -> torch.Tensor:
    """A plain tensor on the same memory, 1-D over a dense tensor's elements when ``flat``.

    Not a view: Dynamo would guard on a view's base (its shape, its autograd state), and
    recompile per layer and mode.
    """
    size, stride = ((tensor.numel(),), (1,)) if flat else (tensor.shape, tensor.stride())
    return torch.empty(0, dtype=tensor.dtype, device=tensor.device).set_(
        tensor.untyped_storage(), tensor.storage_offset(), size, stride)


def _elementwise(function, tensors: tuple[torch.Tensor, ...], scalars: tuple):
    """``function(*tensors, *scalars)``, compiled, with its results in the layout of ``tensors``.

    The kernel sees its tensors as 1-D aliases of their memory, outside autocast, so one compiled
    graph serves every layer, batch size, layout and mode (no recompilation per shape).
    Tensors of different layouts (not seen in this network) take the same function uncompiled.
    """
    first = tensors[0]
    if not (all(t.stride() == first.stride() for t in tensors)
            and (first.is_contiguous() or first.is_contiguous(memory_format=torch.channels_last))):
        warnings.warn(f"fused quantizer: operands of strides {[t.stride() for t in tensors]} run uncompiled")
        return function(*tensors, *scalars)
    with torch.autocast(first.device.type, enabled=False):
        results = _compiled(function)(*map(_alias, tensors),
                                      *(_alias(s, flat=False) if torch.is_tensor(s) else s for s in scalars))
    if isinstance(results, tuple):
        return tuple(r.as_strided(first.shape, first.stride()) for r in results)
    return results.as_strided(first.shape, first.stride())


@torch.library.custom_op("qaccel::act_quant_forward", mutates_args=())
def act_quant_forward(x: torch.Tensor, alpha: torch.Tensor, levels: int) -> torch.Tensor:
    return _elementwise(_act_forward, (x,), (alpha, levels))


@torch.library.custom_op("qaccel::act_quant_backward", mutates_args=())
def act_quant_backward(grad: torch.Tensor, x: torch.Tensor, alpha: torch.Tensor,
                       levels: int) -> tuple[torch.Tensor, torch.Tensor]:
    return _elementwise(_act_backward, (grad, x), (alpha, levels))


@torch.library.custom_op("qaccel::weight_quant_forward", mutates_args=())
def weight_quant_forward(weight: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, alpha: torch.Tensor,
                         levels: int) -> torch.Tensor:
    return _elementwise(_weight_forward, (weight,), (mean, std, alpha, levels))


@torch.library.custom_op("qaccel::weight_quant_backward", mutates_args=())
def weight_quant_backward(grad: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
                          alpha: torch.Tensor, levels: int) -> tuple[torch.Tensor, torch.Tensor]:
    return _elementwise(_weight_backward, (grad, weight), (mean, std, alpha, levels))


# Shapes and strides for tracing (a whole-model torch.compile): the eager functions on fake tensors.
act_quant_forward.register_fake(_act_forward)
act_quant_backward.register_fake(_act_backward)
weight_quant_forward.register_fake(_weight_forward)
weight_quant_backward.register_fake(_weight_backward)


class FusedActQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: torch.Tensor, levels: int) -> torch.Tensor:
        ctx.save_for_backward(x, alpha)
        ctx.levels = levels
        return act_quant_forward(x, alpha, levels)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        x, alpha = ctx.saved_tensors
        grad_x, alpha_terms = act_quant_backward(grad_output, x, alpha, ctx.levels)
        return grad_x, alpha_terms.sum().reshape(()), None


class FusedWeightQuant(torch.autograd.Function):
    """Normalisation and quantisation of a weight; ``mean`` and ``std`` are constants (no gradient)."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, alpha: torch.Tensor,
                levels: int) -> torch.Tensor:
        ctx.save_for_backward(weight, mean, std, alpha)
        ctx.levels = levels
        return weight_quant_forward(weight, mean, std, alpha, levels)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        weight, mean, std, alpha = ctx.saved_tensors
        grad_weight, alpha_terms = weight_quant_backward(grad_output, weight, mean, std, alpha, ctx.levels)
        return grad_weight, None, None, alpha_terms.sum().reshape(()), None
