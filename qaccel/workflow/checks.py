"""The checks the Snakefile makes on every parse beyond the schema's: the core's widths, exported
layers against the layer table and the core's limits, and what needs the data (the archive to read,
the captured image). Input functions call :func:`exportable_layer` for layers reached through a file target.

No rule script imports this module, so editing it re-runs no job; it imports no torch.
"""
from __future__ import annotations

from pathlib import Path

from qaccel.data import check_test_image, test_split_size
from qaccel.model.layers import ConvLayer, conv_layer
from qaccel.rtl.limits import core_problem, core_refusal

from .config import ConfigError


def exportable_layer(layer: int, config: dict) -> ConvLayer:
    """The conv at ``model.features[layer]``, or a ValueError: not a QuantConv2d, or activations the RTL
    core cannot take."""
    conv = conv_layer(layer)
    refusal = core_refusal(conv, config)
    if refusal:
        raise ValueError(refusal)
    return conv


def check_export_layers(config: dict) -> None:
    for position, layer in enumerate(config["export"]["layers"]):
        try:
            exportable_layer(layer, config)
        except ValueError as error:
            raise ConfigError(f"config key export.layers[{position}]: {error}") from None


def check_data(config: dict, data_path: str | Path) -> None:
    """The captured image lies in the built test split; an archive that must still be read exists."""
    data_path = Path(data_path)
    if data_path.is_file():
        check_test_image(config["capture"]["image"], test_split_size(data_path), data_path)
    elif config["data"]["source"] == "archive" and not Path(config["data"]["archive"]).is_file():
        raise ConfigError(f"config key data.archive: {config['data']['archive']} does not exist")


def check_core(config: dict) -> None:
    problem = core_problem(config)
    if problem:
        raise ConfigError(problem)


def check_workflow(config: dict, data_path: str | Path) -> None:
    check_core(config)
    check_export_layers(config)
    check_data(config, data_path)
