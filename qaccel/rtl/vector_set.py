"""A layer's vector files (manifest.json + the files of FORMATS.md) read back for the core: the
tiling arrays its memories are loaded from, and the expected values of everything the core
produces, each tied to the file, line and field it came from.

What the core produces, in the order it produces it:
  stream  every row of partial sums that leaves the array. WS: fold (out_tile, in_tile, kij)
          gives one row per output pixel o, the psum file's line t = (y+ki)(W+2) + x+kj (the
          padded positions no output pixel reads are not streamed). OS: fold (out_tile,
          pixel_tile) drains ROWS rows, out_os file line p.
  raw     the accumulator's final sums (before ReLU), laid out as out.txt: OS from the out_os
          files, WS by adding the psum files up (FORMATS.md's out.txt formula), or out.txt itself
          when the layer has no ReLU.
  out     the accumulator read out with the layer's ReLU: out.txt.

The core reads the map and pads and gathers it itself, so the layer's operands are read back as
the integer map and weights. The activation files' other values must be that map's: zero padding
(WS) and the im2col of the map (OS); a file that says otherwise is named.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qaccel.export.geometry import KERNEL, KIJ, PADDING, ceil_div
from qaccel.export.tiling import os_operands, output_positions
from qaccel.export.vectors import HEADER_LINES, ManifestError, load_manifest, read_vectors

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
    act_int: np.ndarray     # (Cin, H, W) the map
    weight_int: np.ndarray  # (Cout, Cin, 3, 3)
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
    border = np.ones((conv.height + 2 * PADDING, conv.width + 2 * PADDING), dtype=bool)
    border[PADDING:-PADDING, PADDING:-PADDING] = False
    for entry in _files(manifest, "activation"):
        values = activation[entry["ic_tile"]] = _read(directory, entry, manifest_path)
        bad = np.argwhere(border.reshape(-1, 1) & (values != 0))
        if bad.size:
            line, lane = (int(i) for i in bad[0])
            raise ManifestError(f"{directory / entry['path']}: line {line + HEADER_LINES + 1} field {lane} is zero "
                                f"padding of the map and holds {values[line, lane]}, not 0")
    weight = np.zeros((n_ict, n_oct, KIJ, shape.cols, shape.rows), dtype=np.int64)
    psum = np.zeros((n_ict, n_oct, KIJ, conv.padded, shape.cols), dtype=np.int64)
    positions = output_positions(conv.height, conv.width)  # (O, kij): psum line of output pixel o
    expectations = []
    for entry in _files(manifest, "weight"):
        weight[entry["ic_tile"], entry["oc_tile"], entry["kij"]] = _read(directory, entry, manifest_path)
    for entry in _files(manifest, "psum"):
        ict, oct_, kij = entry["ic_tile"], entry["oc_tile"], entry["kij"]
        values = psum[ict, oct_, kij] = _read(directory, entry, manifest_path)
        fold = (oct_ * n_ict + ict) * KIJ + kij
        lines = positions[:, kij]
        items, lanes = _grid(conv.pixels, shape.cols)
        expectations.append(Expectation(directory / entry["path"], "psum", "stream", values[lines], lines,
                                        fold * conv.pixels + items, lanes))
    raw = None
    if relu:  # out.txt holds ReLU'd sums; the raw ones are the psum files added up
        gathered = psum[:, :, np.arange(KIJ)[None, :], positions, :]  # (ict, oct, O, kij, c)
        raw = gathered.sum(axis=(0, 3)).transpose(1, 0, 2).reshape(conv.pixels, -1)[:, : conv.out_channels]
    outputs, _ = _output_expectations(directory, manifest, manifest_path, raw, "the psum files added up")
    channels = activation.transpose(0, 2, 1).reshape(-1, conv.height + 2 * PADDING, conv.width + 2 * PADDING)
    act_int = channels[: conv.in_channels, PADDING:-PADDING, PADDING:-PADDING]
    weight_int = weight.transpose(1, 3, 0, 4, 2).reshape(n_oct * shape.cols, n_ict * shape.rows, KERNEL, KERNEL)
    return act_int, weight_int[: conv.out_channels, : conv.in_channels], expectations + outputs


def _os(directory: Path, manifest: dict, manifest_path: Path, conv: ConvShape, shape: CoreShape, relu: bool):
    n_pt, n_oct = manifest["tiles"]["pixel"], manifest["tiles"]["oc"]
    activation = np.zeros((n_pt, conv.in_channels, KIJ, shape.rows), dtype=np.int64)
    weight = np.zeros((n_oct, conv.in_channels, KIJ, shape.cols), dtype=np.int64)
    tile_output = np.zeros((n_pt, n_oct, shape.rows, shape.cols), dtype=np.int64)
    pixels = np.full((n_pt, shape.rows), -1, dtype=np.int64)
    expectations = []
    activation_files = {}
    for entry in _files(manifest, "activation_os"):
        activation[entry["pixel_tile"], entry["ic"]] = _read(directory, entry, manifest_path)
        activation_files[entry["pixel_tile"], entry["ic"]] = directory / entry["path"]
    for entry in _files(manifest, "weight_os"):
        weight[entry["oc_tile"], entry["ic"]] = _read(directory, entry, manifest_path)
    for entry in _files(manifest, "output_os"):
        pt, oct_ = entry["pixel_tile"], entry["oc_tile"]
        values = tile_output[pt, oct_] = _read(directory, entry, manifest_path)
        pixels[pt] = entry["pixels"]
        lines, lanes = _grid(shape.rows, shape.cols)
        fold = oct_ * n_pt + pt
        expectations.append(Expectation(directory / entry["path"], "output_os", "stream", values, lines[:, 0],
                                        fold * shape.rows + lines, lanes))
    valid = pixels.reshape(-1) >= 0
    raw = tile_output.transpose(0, 2, 1, 3).reshape(n_pt * shape.rows, -1)[valid][:, : conv.out_channels]
    outputs, _ = _output_expectations(directory, manifest, manifest_path, raw, "the out_os files")
    # The map is the centre tap (kij 4) of each pixel lane; every other tap must be its im2col.
    act_int = np.zeros((conv.in_channels, conv.pixels), dtype=np.int64)
    lane_pixels = pixels.reshape(-1)
    act_int[:, lane_pixels[valid]] = activation[:, :, KIJ // 2, :].transpose(1, 0, 2).reshape(conv.in_channels, -1)[
        :, valid]
    act_int = act_int.reshape(conv.in_channels, conv.height, conv.width)
    weight_int = weight.transpose(0, 3, 1, 2).reshape(n_oct * shape.cols, conv.in_channels, KERNEL, KERNEL)
    im2col = os_operands(act_int, weight_int, shape.rows, shape.cols).activation
    bad = np.argwhere(im2col != activation)
    if bad.size:
        pt, ic, kij, lane = (int(i) for i in bad[0])
        raise ManifestError(f"{activation_files[pt, ic]}: line {kij + HEADER_LINES + 1} field {lane} holds "
                            f"{activation[pt, ic, kij, lane]}, but the map's im2col (its centre taps, "
                            f"line {KIJ // 2 + HEADER_LINES + 1}) gives {im2col[pt, ic, kij, lane]}")
    return act_int, weight_int[: conv.out_channels], expectations + outputs


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
            act_int, weight_int, expectations = _ws(directory, manifest, manifest_path, conv, shape, relu)
        elif dataflow == "os":
            act_int, weight_int, expectations = _os(directory, manifest, manifest_path, conv, shape, relu)
        else:
            raise ManifestError(f"{manifest_path}: dataflow {dataflow!r}, expected 'ws' or 'os'")
    except KeyError as error:
        raise ManifestError(f"{manifest_path}: missing key {error}") from error
    if ceil_div(conv.out_channels, shape.cols) != manifest["tiles"]["oc"]:
        raise ManifestError(f"{manifest_path}: {manifest['tiles']['oc']} output-channel tiles for "
                            f"{conv.out_channels} channels on {shape.cols} columns")
    return VectorSet(manifest_path, manifest, dataflow, conv, shape, bool(fields["activation"]["signed"]), relu,
                     act_int, weight_int, expectations)
