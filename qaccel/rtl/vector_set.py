"""A layer's vector files (manifest.json + the files of FORMATS.md) read back for the core: the
tiling arrays its memories are loaded from, and the expected values of everything the core
produces, each tied to the file, line and field it came from.

What the core produces, in the order it produces it:
  stream  every row of partial sums that leaves the array. WS: fold (in_tile, out_tile, kij)
          gives one row per output pixel o, the psum file's line t = (y+ki)(W+2) + x+kj (the
          padded positions no output pixel reads are not streamed). OS: fold (pixel_tile,
          out_tile) drains ROWS rows, out_os file line p.
  raw     the accumulator's final sums (before ReLU), laid out as out.txt: OS from the out_os
          files, WS by adding the psum files up (FORMATS.md's out.txt formula), or out.txt itself
          when the layer has no ReLU.
  out     the accumulator read out with the layer's ReLU: out.txt.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qaccel.export.geometry import KERNEL, KIJ, ceil_div
from qaccel.export.tiling import OSTiles, WSTiles, output_positions
from qaccel.export.vectors import ManifestError, load_manifest, read_vectors

from .program import ConvShape, CoreShape


@dataclass
class Expectation:
    """Expected values of one vector file (or of the checked part of it) and where the hardware
    produces each of them: values[i, j] is file line lines[i] (0-based, after the headers), field j,
    and must equal lane lanes[i, j] of item items[i, j] of what the core produced (a stream row or
    an output pixel in out.txt's layout)."""

    path: Path
    kind: str
    produced: str  # stream | raw | out
    values: np.ndarray
    lines: np.ndarray
    items: np.ndarray
    lanes: np.ndarray


@dataclass
class VectorSet:
    manifest_path: Path
    manifest: dict
    dataflow: str
    conv: ConvShape
    shape: CoreShape
    act_signed: bool
    relu: bool
    tiles: WSTiles | OSTiles
    expectations: list[Expectation]

    @property
    def label(self) -> str:
        layer = self.manifest.get("layer")
        return f"layer {layer} {self.dataflow}" if layer is not None else f"{self.manifest_path.parent} {self.dataflow}"


def _files(manifest: dict, kind: str) -> list[dict]:
    return [entry for entry in manifest["files"] if entry["kind"] == kind]


def _read(directory: Path, entry: dict, manifest_path: Path) -> np.ndarray:
    values = read_vectors(directory / entry["path"], entry["bits"], entry["signed"])
    if values.shape != (entry["lines"], entry["fields"]):
        raise ManifestError(f"{manifest_path}: {entry['path']} holds {values.shape[0]} lines x {values.shape[1]} "
                            f"fields, the manifest says {entry['lines']} x {entry['fields']}")
    return values


def _grid(lines: int, fields: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(lines), np.arange(fields), indexing="ij")


def _conv(manifest: dict, manifest_path: Path) -> ConvShape:
    conv = manifest["conv"]
    if conv["kernel"] != KERNEL or conv["padding"] != 1:
        raise ManifestError(f"{manifest_path}: the core runs 3x3 convolutions with padding 1, got {conv}")
    return ConvShape(conv["in_channels"], conv["out_channels"], conv["height"], conv["width"])


def _output_expectations(directory: Path, manifest: dict, manifest_path: Path, raw: np.ndarray | None,
                         raw_source: str) -> tuple[list[Expectation], np.ndarray]:
    """out.txt as the ReLU'd read-out, and the raw sums (out.txt's layout) where they come from."""
    (entry,) = _files(manifest, "output")
    out = _read(directory, entry, manifest_path)
    pixels, channels = _grid(*out.shape)
    path = directory / entry["path"]
    raw = out if raw is None else raw
    return [Expectation(path, f"output before ReLU ({raw_source})", "raw", raw, pixels[:, 0], pixels, channels),
            Expectation(path, "output", "out", out, pixels[:, 0], pixels, channels)], out


def _ws(directory: Path, manifest: dict, manifest_path: Path, conv: ConvShape, shape: CoreShape, relu: bool):
    n_ict, n_oct = manifest["tiles"]["ic"], manifest["tiles"]["oc"]
    activation = np.zeros((n_ict, conv.padded, shape.rows), dtype=np.int64)
    for entry in _files(manifest, "activation"):
        activation[entry["ic_tile"]] = _read(directory, entry, manifest_path)
    weight = np.zeros((n_ict, n_oct, KIJ, shape.cols, shape.rows), dtype=np.int64)
    psum = np.zeros((n_ict, n_oct, KIJ, conv.padded, shape.cols), dtype=np.int64)
    positions = output_positions(conv.height, conv.width)  # (O, kij): psum line of output pixel o
    expectations = []
    for entry in _files(manifest, "weight"):
        weight[entry["ic_tile"], entry["oc_tile"], entry["kij"]] = _read(directory, entry, manifest_path)
    for entry in _files(manifest, "psum"):
        ict, oct_, kij = entry["ic_tile"], entry["oc_tile"], entry["kij"]
        values = psum[ict, oct_, kij] = _read(directory, entry, manifest_path)
        fold = (ict * n_oct + oct_) * KIJ + kij
        lines = positions[:, kij]
        items, lanes = _grid(conv.pixels, shape.cols)
        expectations.append(Expectation(directory / entry["path"], "psum", "stream", values[lines], lines,
                                        fold * conv.pixels + items, lanes))
    raw = None
    if relu:  # out.txt holds ReLU'd sums; the raw ones are the psum files added up
        gathered = psum[:, :, np.arange(KIJ)[None, :], positions, :]  # (ict, oct, O, kij, c)
        raw = gathered.sum(axis=(0, 3)).transpose(1, 0, 2).reshape(conv.pixels, -1)[:, : conv.out_channels]
    outputs, _ = _output_expectations(directory, manifest, manifest_path, raw, "the psum files added up")
    return WSTiles(activation=activation, weight=weight, psum=psum, output=outputs[1].values), expectations + outputs


def _os(directory: Path, manifest: dict, manifest_path: Path, conv: ConvShape, shape: CoreShape, relu: bool):
    n_pt, n_oct = manifest["tiles"]["pixel"], manifest["tiles"]["oc"]
    activation = np.zeros((n_pt, conv.in_channels, KIJ, shape.rows), dtype=np.int64)
    weight = np.zeros((n_oct, conv.in_channels, KIJ, shape.cols), dtype=np.int64)
    tile_output = np.zeros((n_pt, n_oct, shape.rows, shape.cols), dtype=np.int64)
    pixels = np.full((n_pt, shape.rows), -1, dtype=np.int64)
    expectations = []
    for entry in _files(manifest, "activation_os"):
        activation[entry["pixel_tile"], entry["ic"]] = _read(directory, entry, manifest_path)
    for entry in _files(manifest, "weight_os"):
        weight[entry["oc_tile"], entry["ic"]] = _read(directory, entry, manifest_path)
    for entry in _files(manifest, "output_os"):
        pt, oct_ = entry["pixel_tile"], entry["oc_tile"]
        values = tile_output[pt, oct_] = _read(directory, entry, manifest_path)
        pixels[pt] = entry["pixels"]
        lines, lanes = _grid(shape.rows, shape.cols)
        fold = pt * n_oct + oct_
        expectations.append(Expectation(directory / entry["path"], "output_os", "stream", values, lines[:, 0],
                                        fold * shape.rows + lines, lanes))
    valid = pixels.reshape(-1) >= 0
    raw = tile_output.transpose(0, 2, 1, 3).reshape(n_pt * shape.rows, -1)[valid][:, : conv.out_channels]
    outputs, out = _output_expectations(directory, manifest, manifest_path, raw, "the out_os files")
    tiles = OSTiles(pixels=pixels, activation=activation, weight=weight, tile_output=tile_output, output=out)
    return tiles, expectations + outputs


def read_vector_set(directory: Path, shape: CoreShape) -> VectorSet:
    """Read ``directory/manifest.json`` and its vector files for a core of ``shape``."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    manifest = load_manifest(manifest_path)
    try:
        array = manifest["array"]
        if (array["rows"], array["cols"]) != (shape.rows, shape.cols):
            raise ManifestError(f"{manifest_path}: tiled for a {array['rows']}x{array['cols']} array, the core is "
                                f"{shape.rows}x{shape.cols}")
        fields = manifest["fields"]
        for name in ("weight", "psum", "output"):
            if not fields[name]["signed"]:
                raise ManifestError(f"{manifest_path}: {name} fields must be signed")
        conv = _conv(manifest, manifest_path)
        relu = bool(manifest["relu"])
        dataflow = manifest["dataflow"]
        if dataflow == "ws":
            tiles, expectations = _ws(directory, manifest, manifest_path, conv, shape, relu)
        elif dataflow == "os":
            tiles, expectations = _os(directory, manifest, manifest_path, conv, shape, relu)
        else:
            raise ManifestError(f"{manifest_path}: dataflow {dataflow!r}, expected 'ws' or 'os'")
    except KeyError as error:
        raise ManifestError(f"{manifest_path}: missing key {error}") from error
    if ceil_div(conv.out_channels, shape.cols) != manifest["tiles"]["oc"]:
        raise ManifestError(f"{manifest_path}: {manifest['tiles']['oc']} output-channel tiles for "
                            f"{conv.out_channels} channels on {shape.cols} columns")
    return VectorSet(manifest_path, manifest, dataflow, conv, shape, bool(fields["activation"]["signed"]), relu, tiles,
                     expectations)
