"""Integer conversion of one captured layer, with the checks of FORMATS.md.

``weight_int = weight_q / (wgt_alpha / (2^(w_bits-1) - 1))`` and
``act_int = act_q / (act_alpha / (2^a_bits - 1))``; each value must sit within ``integer_tolerance``
of an integer before rounding, and ``conv(act_int, weight_int) * scales`` (then ReLU where the model
has one) must reproduce the captured reference within ``max_recovered_error`` (mean absolute).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .quant import act_levels, quantize_activation, weight_levels


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


def integerize(capture: dict, image: int, integer_tolerance: float, max_recovered_error: float) -> dict:
    """Integers of ``capture`` plus a report; ``image`` picks the batch element that is exported."""
    layer = capture["layer"]
    w_levels, a_levels = weight_levels(capture["w_bits"]), act_levels(capture["a_bits"])
    act_alpha, wgt_alpha = capture["act_alpha"].float(), capture["wgt_alpha"].float()
    weight_int, weight_gap = to_integers(capture["weight_q"].float() / (wgt_alpha / w_levels), integer_tolerance,
                                         f"layer {layer} weight_int")
    act_q = quantize_activation(capture["input"].float(), act_alpha, capture["a_bits"])
    act_int, act_gap = to_integers(act_q / (act_alpha / a_levels), integer_tolerance, f"layer {layer} act_int")

    conv_int = F.conv2d(act_int.double(), weight_int.double(), padding=1)
    recovered = (conv_int * (act_alpha.double() / a_levels) * (wgt_alpha.double() / w_levels)).float()
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
