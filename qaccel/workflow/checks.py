"""The checks the Snakefile makes on every parse beyond the schema's: the core's widths, exported
layers against the layer table and the core's limits, and what needs the data (the archive to read,
the captured image and the network's images against the test split at hand). Input functions call
:func:`exportable_layer` for layers reached through a file target.

No rule script imports this module, so editing it re-runs no job; it imports no torch.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from qaccel.data import TEST_IMAGES, archive_test_images, check_test_image, test_split_size
from qaccel.model.layers import ConvLayer, conv_layer
from qaccel.rtl.limits import core_problem, core_refusal

from .config import ConfigError
from .file_digests import file_digest
from .rule_code import replace_text

# Counting an archive's test images reads all of it (seconds): the count is kept here, in the working
# directory, per archive path, size and modification time.
ARCHIVE_COUNTS = Path(".snakemake/qaccel/archive_test_images.json")


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


def counted_archive(archive: Path, counts: Path = ARCHIVE_COUNTS) -> int:
    """The test images of ``archive``, counted once per version of the file and then read from ``counts``."""
    stat = archive.stat()
    key = f"{archive.resolve()} {stat.st_size} {stat.st_mtime_ns}"
    try:
        known = json.loads(counts.read_text())
    except (FileNotFoundError, ValueError):  # none yet, or a torn write: count again
        known = {}
    if key not in known:
        print(f"counting the test images of {archive} (once; kept in {counts})", file=sys.stderr)
        known[key] = archive_test_images(archive)
        replace_text(counts, json.dumps(known, indent=1) + "\n")
    return known[key]


def images_at_hand(config: dict, data_path: Path, counts: Path = ARCHIVE_COUNTS) -> tuple[int, str]:
    """How many test images the jobs will read, and from where: the built data file when there is one,
    else the archive the data rule will read, else torchvision's CIFAR-10."""
    if data_path.is_file():
        return test_split_size(data_path), str(data_path)
    if config["data"]["source"] == "archive":
        archive = Path(config["data"]["archive"])
        if not archive.is_file():
            raise ConfigError(f"config key data.archive: {archive} does not exist")
        return counted_archive(archive, counts), str(archive)
    return TEST_IMAGES, "torchvision's CIFAR-10"


def check_archive_pin(config: dict) -> None:
    """A pinned archive (data.archive_sha256) is the file at data.archive. The data rule ignores the
    archive's time stamp and re-runs on the pin (workflow/rules/common.smk, archive_content), so a
    different archive under a pin must stop the run rather than stand beside data made from another."""
    data = config["data"]
    archive = Path(data["archive"]) if data["source"] == "archive" and data["archive"] else None
    if archive is None or not data["archive_sha256"] or not archive.is_file():
        return
    actual = file_digest(archive)
    if actual != data["archive_sha256"].lower():
        raise ConfigError(f"config key data.archive_sha256: {archive} (data.archive) has sha256 {actual}, not "
                          f"{data['archive_sha256']}: restore that archive, or set the key to the new digest (the "
                          f"data, training and everything after them are then made again)")


def check_data(config: dict, data_path: str | Path, counts: Path = ARCHIVE_COUNTS) -> None:
    """The archive is the pinned one; the captured image and the network's and the sweep's images lie
    in the test split at hand; an archive that must still be read exists."""
    check_archive_pin(config)
    test_images, source = images_at_hand(config, Path(data_path), counts)
    check_test_image(config["capture"]["image"], test_images, source)
    network = config["network"]
    check_images("network.count", network["first"], network["first"] + network["count"] - 1, test_images, source)
    check_images("dse.images", 0, config["dse"]["images"] - 1, test_images, source)


def check_images(key: str, first: int, last: int, test_images: int, source: str) -> None:
    """Images ``first``..``last`` (config key ``key``) lie in a test split of ``test_images`` images."""
    if last >= test_images:
        raise ConfigError(f"config key {key}: images {first}..{last} go beyond the test split of {source}, which "
                          f"holds {test_images} images (indices 0..{test_images - 1})")


def check_core(config: dict) -> None:
    problem = core_problem(config)
    if problem:
        raise ConfigError(problem)
    for position, array in enumerate(config["dse"]["arrays"]):
        if array["rows"] != array["cols"]:
            raise ConfigError(f"config key dse.arrays[{position}]: the sweep runs the network on each array as one "
                              f"program per image, which needs a square array; got {array['rows']} x {array['cols']}")


def check_workflow(config: dict, data_path: str | Path) -> None:
    check_core(config)
    check_export_layers(config)
    check_data(config, data_path)
