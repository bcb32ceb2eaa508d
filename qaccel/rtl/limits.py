"""What the RTL core can take, checked before any job runs (no torch, no cocotb: the config check
and the workflow's input functions call it on every parse)."""
from __future__ import annotations

from qaccel.layers import ConvLayer


def core_refusal(layer: ConvLayer, config: dict) -> str | None:
    """Why the core cannot run ``layer`` under ``config``, or None when it can.

    The core takes unsigned activations of ``quant.a_bits`` bits: the quantizer's integers of a
    layer that follows a ReLU. features[0] sees the normalised image, whose integers are signed.
    """
    if layer.input_signed:
        return (f"layer {layer.index}'s activations are signed (its input is the normalised image, not a ReLU "
                f"output) and the RTL core takes unsigned {config['quant']['a_bits']}-bit activations (quant.a_bits)")
    return None
