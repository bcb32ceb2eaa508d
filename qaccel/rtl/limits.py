"""What the RTL core can take, checked before any job runs (no torch, no simulator: the config
check and the workflow's input functions call it on every parse)."""
from __future__ import annotations

from qaccel.model.layers import ConvLayer

from .program import CoreShape, ProgramError


def core_shape(config: dict) -> CoreShape:
    """The core that config.yaml describes (its weights are quant.w_bits wide; its requantizer takes
    requant.mult_bits-bit M_c, and its levels are as wide as the widest clamp: quant.a_bits or
    requant.feature_bits)."""
    hardware, requant = config["hardware"], config["requant"]
    return CoreShape(hardware["rows"], hardware["cols"], hardware["act_bits"], config["quant"]["w_bits"],
                     hardware["psum_bits"], hardware["act_signed"], mult_bits=requant["mult_bits"],
                     level_bits=max(config["quant"]["a_bits"], requant["feature_bits"]))


def core_problem(config: dict) -> str | None:
    """Why the configured core cannot be built, or cannot run the network it is asked to, or None."""
    try:
        shape = core_shape(config)
    except ProgramError as error:
        return f"config key hardware.psum_bits: {error}"
    if config["network"]["backend"] == "core" and shape.rows != shape.cols:
        return (f"config key hardware.cols: the network runs on the core as one program per image, each conv's "
                f"levels stored as the next one's map, which needs a square array (a word of COLS levels is a map "
                f"word of ROWS channels); hardware.rows is {shape.rows}, hardware.cols {shape.cols} (or set "
                f"network.backend: software)")
    return None


def core_refusal(layer: ConvLayer, config: dict) -> str | None:
    """Why the core cannot take ``layer``'s activations under ``config``, or None when it can.

    A layer that follows a ReLU has unsigned quant.a_bits-bit activations: they need a_bits lane bits,
    one more when the lanes are signed. features[0] sees the normalised image: its activations are
    signed (their range depends on the data; the simulation names the width a value needs).
    """
    hardware, a_bits = config["hardware"], config["quant"]["a_bits"]
    if layer.input_signed:
        if not hardware["act_signed"]:
            return (f"layer {layer.index}'s activations are signed (its input is the normalised image, not a ReLU "
                    f"output) and the core's activation lanes are unsigned (hardware.act_signed: false)")
        return None
    needed = a_bits + 1 if hardware["act_signed"] else a_bits
    if needed > hardware["act_bits"]:
        kind = "signed" if hardware["act_signed"] else "unsigned"
        return (f"layer {layer.index}'s {a_bits}-bit activations (quant.a_bits) need {needed}-bit {kind} lanes; the "
                f"core has {hardware['act_bits']} (hardware.act_bits)")
    return None
