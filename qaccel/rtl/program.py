"""Compile a layer's vector set (manifest.json + vector files of FORMATS.md) into what the core
needs: an instruction list, activation and weight memory images, and the expected contents of
the psum and output memories, each expected value tied to the file, line and field it came from.

Memory layouts (word w of a memory; lanes are fields, lane 0 in the low bits):
  WS  activation  ic_tile*T + t            = activation file of ic_tile, line t (T=(H+2)(W+2))
      weight      fold*ROWS + r            = row r of weight file (column c -> lane c); a fold is
                                             (ic_tile, oc_tile, kij), fold = (ic*n_oc + oc)*9 + kij
      psum        fold*T + t               = psum file of that fold, line t
      output      o*n_oc + oc_tile         = output channels oc_tile*COLS + lane of pixel o
  OS  activation  (pt*Cin + ic)*9 + kij    = activation_os file (ic, pixel_tile pt), line kij
      weight      (oct*Cin + ic)*9 + kij   = weight_os file (ic, oc_tile oct), line kij
      psum        (pt*n_oc + oct)*ROWS + p = drained accumulators of pixel lane p (array row p)
      output      pixel*n_oc + oc_tile     = as WS, pixel = pt*ROWS + p
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qaccel.tiling import KERNEL, KIJ
from qaccel.vectors import read_vectors

from . import isa


class ManifestError(ValueError):
    """The manifest does not describe a vector set this core can run."""


@dataclass(frozen=True)
class CoreShape:
    """Build parameters of rtl/core.v that a vector set must match."""

    rows: int
    cols: int
    act_bits: int
    weight_bits: int
    psum_bits: int

    def parameters(self, addr_bits: int) -> dict:
        return {"ROWS": self.rows, "COLS": self.cols, "ACT_BITS": self.act_bits, "WGT_BITS": self.weight_bits,
                "PSUM_BITS": self.psum_bits, "ADDR_BITS": addr_bits}


@dataclass
class Expectation:
    """Expected values of one vector file and where the hardware keeps each of them.

    values[line, field] must equal lane lanes[line, field] of word addresses[line, field] of
    ``memory`` (ReLU applied to the hardware value first when ``relu_on_read``).
    """

    path: Path
    kind: str
    memory: str
    values: np.ndarray
    addresses: np.ndarray
    lanes: np.ndarray
    relu_on_read: bool = False


@dataclass
class LayerProgram:
    manifest_path: Path
    manifest: dict
    shape: CoreShape
    dataflow: str
    instructions: list[isa.Instruction]
    act_words: list[int]
    weight_words: list[int]
    psum_words: int
    out_words: int
    sfp_reads: int
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def addr_bits(self) -> int:
        largest = max(len(self.instructions), len(self.act_words), len(self.weight_words), self.psum_words,
                      self.out_words)
        fields = max(max(i.a, i.b, i.c, i.d) for i in self.instructions)
        return max(4, math.ceil(math.log2(max(largest, fields + 1))))

    def encoded_instructions(self, addr_bits: int) -> list[int]:
        return [instruction.encode(addr_bits) for instruction in self.instructions]


def pack_words(values: np.ndarray, bits: int) -> list[int]:
    """(lines, fields) integers -> one int per line, field 0 in the low bits, two's complement."""
    mask = (1 << bits) - 1
    return [sum((int(v) & mask) << (i * bits) for i, v in enumerate(row)) for row in values]


def load_manifest(manifest_path: Path) -> dict:
    manifest_path = Path(manifest_path)
    try:
        return json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ManifestError(f"{manifest_path}: cannot read manifest: {error}") from error


def core_shape(manifest: dict, manifest_path: Path) -> CoreShape:
    fields = manifest["fields"]
    if fields["activation"]["signed"]:
        raise ManifestError(f"{manifest_path}: signed activations; the core multiplies unsigned activations")
    if not fields["weight"]["signed"] or not fields["psum"]["signed"] or not fields["output"]["signed"]:
        raise ManifestError(f"{manifest_path}: weights, psums and outputs must be signed")
    if fields["psum"]["bits"] != fields["output"]["bits"]:
        raise ManifestError(f"{manifest_path}: psum and output widths differ")
    conv = manifest["conv"]
    if conv["kernel"] != KERNEL or conv["padding"] != 1:
        raise ManifestError(f"{manifest_path}: the core runs 3x3 convolutions with padding 1, got {conv}")
    shape = CoreShape(rows=manifest["array"]["rows"], cols=manifest["array"]["cols"],
                      act_bits=fields["activation"]["bits"], weight_bits=fields["weight"]["bits"],
                      psum_bits=fields["psum"]["bits"])
    if shape.psum_bits <= shape.act_bits + shape.weight_bits:
        raise ManifestError(f"{manifest_path}: psum_bits must exceed act_bits + weight_bits ({shape})")
    return shape


def _read(manifest_dir: Path, entry: dict, manifest_path: Path) -> np.ndarray:
    path = manifest_dir / entry["path"]
    values = read_vectors(path, entry["bits"], entry["signed"])
    if values.shape != (entry["lines"], entry["fields"]):
        raise ManifestError(f"{manifest_path}: {entry['path']} holds {values.shape[0]} lines x {values.shape[1]} "
                            f"fields, the manifest says {entry['lines']} x {entry['fields']}")
    return values


def _line_field_grid(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(line, field) index arrays of a file's values, for mapping each value onto a memory word and lane."""
    return np.meshgrid(np.arange(values.shape[0]), np.arange(values.shape[1]), indexing="ij")


def _files(manifest: dict, kind: str) -> list[dict]:
    return [entry for entry in manifest["files"] if entry["kind"] == kind]


def _output_expectation(manifest_dir: Path, manifest: dict, manifest_path: Path, cols: int,
                        n_oc: int) -> Expectation:
    (entry,) = _files(manifest, "output")
    values = _read(manifest_dir, entry, manifest_path)
    pixel_index, channel = _line_field_grid(values)
    return Expectation(manifest_dir / entry["path"], "output", "out", values,
                       pixel_index * n_oc + channel // cols, channel % cols)


def compile_ws(manifest_dir: Path, manifest: dict, manifest_path: Path, shape: CoreShape) -> LayerProgram:
    conv = manifest["conv"]
    height, width = conv["height"], conv["width"]
    steps = (height + 2) * (width + 2)
    n_ic, n_oc = manifest["tiles"]["ic"], manifest["tiles"]["oc"]
    relu = bool(manifest["relu"])

    act_words = [0] * (n_ic * steps)
    for entry in _files(manifest, "activation"):
        base = entry["ic_tile"] * steps
        act_words[base : base + steps] = pack_words(_read(manifest_dir, entry, manifest_path), shape.act_bits)

    folds = n_ic * n_oc * KIJ
    weight_words = [0] * (folds * shape.rows)
    expectations = []
    for entry in _files(manifest, "weight"):
        fold = (entry["ic_tile"] * n_oc + entry["oc_tile"]) * KIJ + entry["kij"]
        # File line c holds column c's weights for rows 0..R-1; the array loads a row at a time.
        by_row = _read(manifest_dir, entry, manifest_path).T
        weight_words[fold * shape.rows : (fold + 1) * shape.rows] = pack_words(by_row, shape.weight_bits)
    for entry in _files(manifest, "psum"):
        fold = (entry["ic_tile"] * n_oc + entry["oc_tile"]) * KIJ + entry["kij"]
        values = _read(manifest_dir, entry, manifest_path)
        step, lane = _line_field_grid(values)
        expectations.append(Expectation(manifest_dir / entry["path"], "psum", "psum", values, fold * steps + step, lane))

    instructions = []
    for ic_tile in range(n_ic):
        for oc_tile in range(n_oc):
            for kij in range(KIJ):
                fold = (ic_tile * n_oc + oc_tile) * KIJ + kij
                instructions.append(isa.load_weights(fold * shape.rows))
                instructions.append(isa.stream(act_addr=ic_tile * steps, count=steps, psum_addr=fold * steps))
    # Output pixel (y, x) of oc_tile sums psum[(ic*n_oc + oc)*9 + 3ki + kj][(y+ki)(W+2) + x + kj]
    # over ic, ki, kj: from the (ic=0, kij=0) term the address steps by these strides.
    instructions.append(isa.sfp_counts(n_ic, KERNEL, KERNEL))
    instructions.append(isa.sfp_strides(n_oc * KIJ * steps, KERNEL * steps + width + 2, steps + 1))
    for pixel in range(height * width):
        y, x = divmod(pixel, width)
        for oc_tile in range(n_oc):
            base = oc_tile * KIJ * steps + y * (width + 2) + x
            instructions.append(isa.sfp(base, pixel * n_oc + oc_tile, relu))
    instructions.append(isa.halt())

    expectations.append(_output_expectation(manifest_dir, manifest, manifest_path, shape.cols, n_oc))
    return LayerProgram(manifest_path, manifest, shape, "ws", instructions, act_words, weight_words,
                        psum_words=folds * steps, out_words=height * width * n_oc,
                        sfp_reads=height * width * n_oc * n_ic * KIJ, expectations=expectations)


def compile_os(manifest_dir: Path, manifest: dict, manifest_path: Path, shape: CoreShape) -> LayerProgram:
    conv = manifest["conv"]
    cin = conv["in_channels"]
    n_pt, n_oc = manifest["tiles"]["pixel"], manifest["tiles"]["oc"]
    relu = bool(manifest["relu"])
    steps = cin * KIJ

    act_words = [0] * (n_pt * steps)
    for entry in _files(manifest, "activation_os"):
        base = (entry["pixel_tile"] * cin + entry["ic"]) * KIJ
        act_words[base : base + KIJ] = pack_words(_read(manifest_dir, entry, manifest_path), shape.act_bits)
    weight_words = [0] * (n_oc * steps)
    for entry in _files(manifest, "weight_os"):
        base = (entry["oc_tile"] * cin + entry["ic"]) * KIJ
        weight_words[base : base + KIJ] = pack_words(_read(manifest_dir, entry, manifest_path), shape.weight_bits)

    instructions = []
    for pixel_tile in range(n_pt):
        for oc_tile in range(n_oc):
            instructions.append(isa.stream(act_addr=pixel_tile * steps, count=steps,
                                           psum_addr=(pixel_tile * n_oc + oc_tile) * shape.rows,
                                           weight_addr=oc_tile * steps))
    # Each output word is one drained psum word: a single-term SFP pass (ReLU only).
    instructions.append(isa.sfp_counts(1, 1, 1))
    instructions.append(isa.sfp_strides(0, 0, 0))
    for pixel_tile in range(n_pt):
        for oc_tile in range(n_oc):
            for lane in range(shape.rows):
                instructions.append(isa.sfp((pixel_tile * n_oc + oc_tile) * shape.rows + lane,
                                            (pixel_tile * shape.rows + lane) * n_oc + oc_tile, relu))
    instructions.append(isa.halt())

    expectations = []
    for entry in _files(manifest, "output_os"):
        values = _read(manifest_dir, entry, manifest_path)
        lane_row, lane = _line_field_grid(values)
        tile_base = (entry["pixel_tile"] * n_oc + entry["oc_tile"]) * shape.rows
        path = manifest_dir / entry["path"]
        # The drained accumulators (psum memory) before the SFP, and the SFP's output words.
        expectations.append(Expectation(path, "output_os", "psum", values, tile_base + lane_row, lane,
                                        relu_on_read=relu))
        pixel = entry["pixel_tile"] * shape.rows + lane_row
        expectations.append(Expectation(path, "output_os", "out", values, pixel * n_oc + entry["oc_tile"], lane))
    expectations.append(_output_expectation(manifest_dir, manifest, manifest_path, shape.cols, n_oc))
    return LayerProgram(manifest_path, manifest, shape, "os", instructions, act_words, weight_words,
                        psum_words=n_pt * n_oc * shape.rows, out_words=n_pt * shape.rows * n_oc,
                        sfp_reads=n_pt * n_oc * shape.rows, expectations=expectations)


def compile_layer(manifest_dir: Path) -> LayerProgram:
    """Read ``manifest_dir/manifest.json`` and its vector files into a LayerProgram."""
    manifest_dir = Path(manifest_dir)
    manifest_path = manifest_dir / "manifest.json"
    manifest = load_manifest(manifest_path)
    try:
        shape = core_shape(manifest, manifest_path)
        if manifest["dataflow"] == "ws":
            return compile_ws(manifest_dir, manifest, manifest_path, shape)
        if manifest["dataflow"] == "os":
            return compile_os(manifest_dir, manifest, manifest_path, shape)
    except KeyError as error:
        raise ManifestError(f"{manifest_path}: missing key {error}") from error
    raise ManifestError(f"{manifest_path}: dataflow {manifest['dataflow']!r}, expected 'ws' or 'os'")
