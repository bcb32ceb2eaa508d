"""Serialise WS and OS tiles into the vector files of FORMATS.md plus a manifest.

File names follow the seed for a one-tile layer (``activation.txt``, ``weight_kij{k}.txt``,
``psum_kij{k}.txt``, ``activation_os_ic{ic}.txt``, ``weight_os_ic{ic}.txt``, ``out_os.txt``) and
gain a ``_ict{i}`` / ``_oct{o}`` / ``_pxt{p}`` suffix only along a dimension that has several tiles
(input-channel, output-channel and pixel tiles). ``out.txt`` always holds the whole layer.
The manifest lists every file with its kind, tile indices, shape, field width and signedness.

With requantization constants (FORMATS.md, "Integer-only inference"), the set also holds the layer's
integer-only files, whatever the dataflow: ``requant_mult.txt``, ``requant_bias.txt`` and
``requant_shift.txt`` (one line per output channel c: ``M_c``, ``B_c``, ``S_c``), ``requant_out.txt``
(the requantized levels, laid out as ``out.txt``) and, where a max-pool follows the conv,
``requant_pooled.txt`` (the pooled levels, one line per pooled pixel).

A vector set is a directory of its own, written whole or not at all: files go to a temporary
directory first, which replaces the set's directory only once every value has passed its range check.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qaccel.model.layers import pooled_after

from .geometry import KERNEL, PADDING
from .requant import (
    BIAS_BITS,
    SHIFT_BITS,
    RequantConstants,
    max_pool_levels,
)
from .tiling import OSTiles, WSTiles, tile
from .vectors import write_vectors

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Hardware:
    rows: int
    cols: int
    act_bits: int
    weight_bits: int
    psum_bits: int

    @classmethod
    def from_dict(cls, values: dict) -> "Hardware":
        return cls(**{name: int(values[name]) for name in cls.__dataclass_fields__})


@dataclass
class _VectorFile:
    name: str
    kind: str
    values: np.ndarray
    field: str  # activation | weight | psum | output: selects width and signedness
    tile: dict = field(default_factory=dict)


def _suffix(**tiles: tuple[int, int]) -> str:
    """``_ict2_oct0`` style suffix for the dimensions that have more than one tile."""
    return "".join(f"_{name}{index}" for name, (index, count) in tiles.items() if count > 1)


def _field_specs(hw: Hardware, act_signed: bool) -> dict:
    return {
        "activation": {"bits": hw.act_bits, "signed": act_signed},
        "weight": {"bits": hw.weight_bits, "signed": True},
        "psum": {"bits": hw.psum_bits, "signed": True},
        "output": {"bits": hw.psum_bits, "signed": True},
    }


def ws_files(tiles: WSTiles, relu: bool) -> list[_VectorFile]:
    n_ict, n_oct = tiles.weight.shape[:2]
    files = []
    for ict in range(n_ict):
        name = f"activation{_suffix(ict=(ict, n_ict))}.txt"
        files.append(_VectorFile(name, "activation", tiles.activation[ict], "activation", {"ic_tile": ict}))
    for ict in range(n_ict):
        for oct_ in range(n_oct):
            suffix = _suffix(ict=(ict, n_ict), oct=(oct_, n_oct))
            for k in range(tiles.weight.shape[2]):
                indices = {"ic_tile": ict, "oc_tile": oct_, "kij": k}
                files.append(_VectorFile(f"weight_kij{k}{suffix}.txt", "weight", tiles.weight[ict, oct_, k], "weight", indices))
                files.append(_VectorFile(f"psum_kij{k}{suffix}.txt", "psum", tiles.psum[ict, oct_, k], "psum", indices))
    files.append(_VectorFile("out.txt", "output", tiles.output, "output", {"relu_applied": relu}))
    return files


def os_files(tiles: OSTiles, relu: bool) -> list[_VectorFile]:
    n_pxt, n_ic = tiles.activation.shape[:2]
    n_oct = tiles.weight.shape[0]
    pixels = [[int(p) for p in tile_pixels] for tile_pixels in tiles.pixels]
    files = []
    for pxt in range(n_pxt):
        for ic in range(n_ic):
            name = f"activation_os_ic{ic}{_suffix(pxt=(pxt, n_pxt))}.txt"
            indices = {"ic": ic, "pixel_tile": pxt, "pixels": pixels[pxt]}
            files.append(_VectorFile(name, "activation_os", tiles.activation[pxt, ic], "activation", indices))
    for oct_ in range(n_oct):
        for ic in range(n_ic):
            name = f"weight_os_ic{ic}{_suffix(oct=(oct_, n_oct))}.txt"
            files.append(_VectorFile(name, "weight_os", tiles.weight[oct_, ic], "weight", {"ic": ic, "oc_tile": oct_}))
    for pxt in range(n_pxt):
        for oct_ in range(n_oct):
            name = f"out_os{_suffix(pxt=(pxt, n_pxt), oct=(oct_, n_oct))}.txt"
            # What the array drains: sums before ReLU, as the seed's out_os.txt.
            indices = {"pixel_tile": pxt, "oc_tile": oct_, "pixels": pixels[pxt], "relu_applied": False}
            files.append(_VectorFile(name, "output_os", tiles.tile_output[pxt, oct_], "output", indices))
    files.append(_VectorFile("out.txt", "output", tiles.output, "output", {"relu_applied": relu}))
    return files


def requant_files(constants: RequantConstants, levels: np.ndarray) -> tuple[list[_VectorFile], dict, dict]:
    """The integer-only files of one image's requantized ``levels`` (Cout, H, W), their field specs and the
    manifest's ``requant`` entry."""
    channels = levels.shape[0]
    files = [_VectorFile(f"{kind}.txt", kind, values[:, None], kind) for kind, values in (
        ("requant_mult", constants.multiplier), ("requant_bias", constants.bias), ("requant_shift", constants.shift))]
    files.append(_VectorFile("requant_out.txt", "requant_out", levels.reshape(channels, -1).T, "requant_level"))
    pooled = pooled_after(constants.layer)
    if pooled:
        files.append(_VectorFile("requant_pooled.txt", "requant_pooled",
                                 max_pool_levels(levels[None])[0].reshape(channels, -1).T, "requant_level"))
    fields = {"requant_mult": {"bits": constants.mult_bits, "signed": True},
              "requant_bias": {"bits": BIAS_BITS, "signed": True},
              "requant_shift": {"bits": SHIFT_BITS, "signed": False},
              "requant_level": {"bits": constants.out_bits, "signed": False}}
    return files, fields, {"mult_bits": constants.mult_bits, "out_bits": constants.out_bits, "pooled": pooled}


def write_vector_set(out_dir: Path, files: list[_VectorFile], manifest: dict, label: str) -> dict:
    """Write ``files`` and the manifest as the directory ``out_dir``, replacing it whole (no file of an
    earlier set survives); ``label`` prefixes range errors. Nothing changes if a value does not fit."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    earlier = out_dir.parent / f".{out_dir.name}.earlier-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        entries = []
        for vf in files:
            spec = manifest["fields"][vf.field]
            tensor = f"{label} {vf.kind} {vf.tile}" if vf.tile else f"{label} {vf.kind}"
            write_vectors(staging / vf.name, vf.kind, vf.values, spec["bits"], spec["signed"], tensor)
            lines, fields = vf.values.shape
            entries.append({"path": vf.name, "kind": vf.kind, "lines": lines, "fields": fields, **spec, **vf.tile})
        manifest = {**manifest, "files": entries}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        if out_dir.exists():
            os.replace(out_dir, earlier)
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(earlier, ignore_errors=True)
    return manifest


def layer_manifest(layer: int | None, dataflow: str, act_shape: tuple, cout: int, relu: bool, hw: Hardware,
                   act_signed: bool, tile_counts: dict) -> dict:
    cin, height, width = act_shape
    return {
        "layer": layer,
        "dataflow": dataflow,
        "array": {"rows": hw.rows, "cols": hw.cols},
        "conv": {"in_channels": cin, "out_channels": cout, "height": height, "width": width,
                 "kernel": KERNEL, "padding": PADDING},
        "relu": relu,
        "fields": _field_specs(hw, act_signed),
        "tiles": tile_counts,
    }


def tile_counts(dataflow: str, tiles: WSTiles | OSTiles) -> dict:
    if dataflow == "ws":
        return {"ic": tiles.weight.shape[0], "oc": tiles.weight.shape[1]}
    return {"pixel": tiles.activation.shape[0], "oc": tiles.weight.shape[0]}


def serialize(out_dir: Path, dataflow: str, tiles: WSTiles | OSTiles, act_shape: tuple, cout: int, relu: bool,
              hw: Hardware, layer: int | None = None, act_signed: bool = False,
              requant: tuple[RequantConstants, np.ndarray] | None = None) -> dict:
    """``requant``: the layer's constants and its requantized levels (Cout, H, W), for the integer-only files."""
    files = ws_files(tiles, relu) if dataflow == "ws" else os_files(tiles, relu)
    manifest = layer_manifest(layer, dataflow, act_shape, cout, relu, hw, act_signed, tile_counts(dataflow, tiles))
    if requant is not None:
        extra, fields, summary = requant_files(*requant)
        files += extra
        manifest = {**manifest, "fields": {**manifest["fields"], **fields}, "requant": summary}
    label = f"layer {layer} {dataflow}" if layer is not None else dataflow
    return write_vector_set(out_dir, files, manifest, label)


def export_layer(out_dir: Path, dataflow: str, act_int: np.ndarray, weight_int: np.ndarray, relu: bool,
                 hw: dict | Hardware, layer: int | None = None, act_signed: bool = False) -> dict:
    """Tile one integer layer and write its vector set as the directory ``out_dir``; returns the manifest."""
    hw = hw if isinstance(hw, Hardware) else Hardware.from_dict(hw)
    act_int = np.asarray(act_int, dtype=np.int64)
    weight_int = np.asarray(weight_int, dtype=np.int64)
    tiles = tile(dataflow, act_int, weight_int, hw.rows, hw.cols, relu)
    return serialize(out_dir, dataflow, tiles, act_int.shape, weight_int.shape[0], relu, hw, layer,
                     act_signed=act_signed)
