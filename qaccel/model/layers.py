"""The VGG16_quant feature layout as plain data: what ``qaccel.model.vgg`` builds and what the config
checks read (no torch here, so parsing the Snakefile stays fast).

``FEATURES[i]`` describes ``model.features[i]``. The 8-channel squeeze sits at ``features[24]``
(256 -> 8, with BatchNorm) and ``features[27]`` (8 -> 8, no BatchNorm: conv then ReLU), followed by
``features[29]`` (8 -> 512).
"""
from __future__ import annotations

from dataclasses import dataclass

# Output channels per conv; "M" is a 2x2 max-pool. "8" entries are the squeeze; the second one has
# no BatchNorm, which is what makes features[27] a conv -> ReLU layer.
LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 8, "8-nobn", 512, "M", 512, 512, 512, "M")
INPUT_CHANNELS = 3
INPUT_SIZE = 32  # CIFAR-10 images are 32 x 32
CLASSIFIER_INPUTS = 512


@dataclass(frozen=True)
class Feature:
    """One module of ``model.features``: kind is conv, batchnorm, relu, maxpool or avgpool."""

    kind: str
    in_channels: int = 0
    out_channels: int = 0


@dataclass(frozen=True)
class ConvLayer:
    """A QuantConv2d of ``model.features``: its shape and its neighbours."""

    index: int
    in_channels: int
    out_channels: int
    height: int  # of its input (stride 1, padding 1: of its output too)
    width: int
    relu_follows: bool  # a ReLU takes the conv output directly (no BatchNorm between)
    input_signed: bool  # its input comes from no ReLU (features[0] sees the normalised image)


def _features() -> tuple[Feature, ...]:
    modules: list[Feature] = []
    in_channels = INPUT_CHANNELS
    for entry in LAYOUT:
        if entry == "M":
            modules.append(Feature("maxpool"))
            continue
        out_channels = 8 if entry == "8-nobn" else int(entry)
        modules.append(Feature("conv", in_channels, out_channels))
        if entry != "8-nobn":
            modules.append(Feature("batchnorm", out_channels, out_channels))
        modules.append(Feature("relu"))
        in_channels = out_channels
    modules.append(Feature("avgpool"))
    return tuple(modules)


FEATURES = _features()


def _conv_layers() -> dict[int, ConvLayer]:
    layers = {}
    size, after_relu = INPUT_SIZE, False
    for index, feature in enumerate(FEATURES):
        if feature.kind == "conv":
            following = FEATURES[index + 1].kind if index + 1 < len(FEATURES) else None
            layers[index] = ConvLayer(index, feature.in_channels, feature.out_channels, size, size,
                                      relu_follows=following == "relu", input_signed=not after_relu)
        if feature.kind == "maxpool":
            size //= 2  # a max-pool keeps the sign of its input
        else:
            after_relu = feature.kind == "relu"
    return layers


CONV_LAYERS = _conv_layers()


def conv_layer(index: int) -> ConvLayer:
    """The QuantConv2d at ``model.features[index]``, or a ValueError naming the index and what sits there."""
    if index in CONV_LAYERS:
        return CONV_LAYERS[index]
    if not 0 <= index < len(FEATURES):
        found = f"model.features has only {len(FEATURES)} modules"
    else:
        found = f"model.features[{index}] is a {FEATURES[index].kind}"
    raise ValueError(f"layer {index} is not a QuantConv2d: {found}; QuantConv2d layers are {sorted(CONV_LAYERS)}")


def following_kinds(index: int) -> list[str]:
    """The kinds of the modules after conv ``index`` up to the next conv (or the end of ``features``)."""
    kinds = []
    for feature in FEATURES[index + 1:]:
        if feature.kind == "conv":
            break
        kinds.append(feature.kind)
    return kinds


def pooled_after(index: int) -> bool:
    """Whether a 2x2 max-pool follows conv ``index`` before the next conv (or the classifier)."""
    return "maxpool" in following_kinds(index)
