"""Integer conversion of one captured layer, with the checks of FORMATS.md.

``weight_int = weight_q / (wgt_alpha / (2^(w_bits-1) - 1))`` and
``act_int = act_q / (act_alpha / (2^a_bits - 1))``; each value must sit within ``integer_tolerance``
of an integer before rounding, and ``conv(act_int, weight_int) * scales`` (then ReLU where the model
has one) must reproduce the captured reference within ``max_recovered_error`` (mean absolute).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from qaccel.model.quant import act_levels, quantize_activation, weight_levels


class IntegerCheckError(ValueError):
    """A captured layer does not convert to integers exactly enough."""


def to_integers(values: torch.Tensor, tolerance: float, what: str) -> tuple[torch.Tensor, float]:
    """Round ``values``; raise naming ``what``, the worst index and value when any is not near-integer."""
    distance = (values - values.round()).abs()
    worst = float(distance.max()) if distance.numel() else 0.0
    if worst > tolerance:
        index = tuple(int(i) for i in torch.nonzero(distance == distance.max())[0])
        raise IntegerCheckError(
            f"{what}: value {float(values[index]):.6f} at index {index} is {worst:.2e} from an integer "
            f"(tolerance {tolerance:g})"
        )
    return values.round().to(torch.int64), worst


def weight_integers(weight_q: torch.Tensor, wgt_alpha: torch.Tensor, w_bits: int, tolerance: float,
                    what: str) -> tuple[torch.Tensor, float]:
    """``weight_int = weight_q / (wgt_alpha / (2^(w_bits-1) - 1))`` and its largest distance to an integer."""
    return to_integers(weight_q.float() / (wgt_alpha.float() / weight_levels(w_bits)), tolerance, what)


def activation_integers(x: torch.Tensor, act_alpha: torch.Tensor, a_bits: int, tolerance: float,
                        what: str) -> tuple[torch.Tensor, float]:
    """The conv input ``x`` through the layer's activation quantizer, divided by its scale: ``act_int``."""
    act_alpha = act_alpha.float()
    act_q = quantize_activation(x.float(), act_alpha, a_bits)
    return to_integers(act_q / (act_alpha / act_levels(a_bits)), tolerance, what)


def integer_conv2d(act_int: torch.Tensor, weight_int: torch.Tensor) -> torch.Tensor:
    """Exact 3x3, padding-1 conv of integers (N, Cin, H, W) x (Cout, Cin, 3, 3) -> (N, Cout, H, W) int64.

    Runs in float32 while every partial sum stays below 2^24 (all of VGG16's 4-bit layers; about four
    times faster than float64 on a CPU), else in float64, exact below 2^53; checked, not assumed. Sums
    of integer products are exact below those bounds whatever the order of accumulation; a result off
    an integer (a transform-based conv algorithm) is an error, never rounded away.
    """
    largest = float(act_int.abs().max()) * float(weight_int.abs().sum(dim=(1, 2, 3)).max()) if act_int.numel() else 0
    if largest >= 2**53:
        raise ValueError(f"integer conv: sums can reach {largest:.3g}, beyond float64's exact range 2^53")
    dtype = torch.float32 if largest < 2**24 else torch.float64
    sums = F.conv2d(act_int.to(dtype), weight_int.to(dtype), padding=1)
    if not bool((sums == sums.round()).all()):
        raise ArithmeticError(f"integer conv in {dtype}: a sum is not an integer; the conv algorithm is not exact")
    return sums.to(torch.int64)


def recover(conv_int: torch.Tensor, act_alpha: torch.Tensor, wgt_alpha: torch.Tensor, a_bits: int,
            w_bits: int) -> torch.Tensor:
    """Integer conv sums back on the model's scale: ``conv_int * act_scale * weight_scale`` (float32)."""
    act_scale, weight_scale = act_alpha.double() / act_levels(a_bits), wgt_alpha.double() / weight_levels(w_bits)
    return (conv_int.double() * act_scale * weight_scale).float()


def integerize(capture: dict, image: int, integer_tolerance: float, max_recovered_error: float) -> dict:
    """Integers of ``capture`` plus a report; ``image`` picks the batch element that is exported."""
    layer = capture["layer"]
    act_alpha, wgt_alpha = capture["act_alpha"], capture["wgt_alpha"]
    weight_int, weight_gap = weight_integers(capture["weight_q"], wgt_alpha, capture["w_bits"], integer_tolerance,
                                             f"layer {layer} weight_int")
    act_int, act_gap = activation_integers(capture["input"], act_alpha, capture["a_bits"], integer_tolerance,
                                           f"layer {layer} act_int")

    recovered = recover(integer_conv2d(act_int, weight_int), act_alpha, wgt_alpha, capture["a_bits"], capture["w_bits"])
    if capture["relu"]:
        recovered = torch.relu(recovered)
    abs_error = (capture["reference"].float() - recovered).abs()
    error = float(abs_error.mean())
    reference_scale = float(capture["reference"].float().abs().mean())
    report = {
        "layer": layer,
        "relu": capture["relu"],
        "act_signed": capture["act_signed"],
        "batch": int(act_int.shape[0]),
        "exported_image": image,
        "recovered_mean_abs_error": error,
        "max_recovered_error": max_recovered_error,
        "reference_mean_abs": reference_scale,
        "weight_max_distance_to_integer": weight_gap,
        "act_max_distance_to_integer": act_gap,
        "integer_tolerance": integer_tolerance,
        "weight_int_range": [int(weight_int.min()), int(weight_int.max())],
        "act_int_range": [int(act_int.min()), int(act_int.max())],
    }
    if error > max_recovered_error:
        raise IntegerCheckError(
            f"layer {layer}: recovered output differs from the captured reference by {error:.3e} "
            f"(mean abs; the reference's mean magnitude is {reference_scale:.3g}), above the limit "
            f"{max_recovered_error:g} (integerize.max_recovered_error)"
        )
    if not 0 <= image < act_int.shape[0]:
        raise IntegerCheckError(f"layer {layer}: exported image {image} is outside the captured batch of {act_int.shape[0]}")
    return {"act_int": act_int[image].numpy(), "weight_int": weight_int.numpy(), "report": report,
            "recovered_abs_error": abs_error.numpy()}
