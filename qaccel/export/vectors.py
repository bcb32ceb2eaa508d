"""The binary text vector files of FORMATS.md: writing, range checking and parsing.

A file is three ``#`` header lines, then one line per time step / column: fixed-width binary
fields, MSB first, highest field index first (``...row7...row0``), ``\\n`` line ends. Signed fields
are two's complement. Nothing is ever wrapped: a value outside its field is an error.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# The seed's header lines per file kind, byte for byte (its psum and OS activation headers do
# carry four dots).
HEADERS = {
    "activation": (
        "#time0row7[msb-lsb],time0row6[msb-lst],...,time0row0[msb-lst]#",
        "#time1row7[msb-lsb],time1row6[msb-lst],...,time1row0[msb-lst]#",
        "#.....#",
    ),
    "weight": (
        "#col0row7[msb-lsb],col0row6[msb-lst],...,col0row0[msb-lst]#",
        "#col1row7[msb-lsb],col1row6[msb-lst],...,col1row0[msb-lst]#",
        "#.....#",
    ),
    "psum": (
        "#time0col7[msb-lsb],time0col6[msb-lst],....,time0col0[msb-lst]#",
        "#time1col7[msb-lsb],time1col6[msb-lst],....,time1col0[msb-lst]#",
        "#.....#",
    ),
    "output": (
        "#time0col7[msb-lsb],time0col6[msb-lst],...,time0col0[msb-lst]#",
        "#time1col7[msb-lsb],time1col6[msb-lst],...,time1col0[msb-lst]#",
        "#.....#",
    ),
    "activation_os": (
        "#time0row7[msb-lsb],time0row6[msb-lst],....,time0row0[msb-lst]#",
        "#time1row7[msb-lsb],time1row6[msb-lst],....,time1row0[msb-lst]#",
        "#.....#",
    ),
    "weight_os": (
        "#col0row7[msb-lsb],col0row6[msb-lst],...,col0row0[msb-lst]#",
        "#col1row7[msb-lsb],col1row6[msb-lst],...,col1row0[msb-lst]#",
        "#.....#",
    ),
}
HEADERS["output_os"] = HEADERS["output"]
# The integer-only path's files (FORMATS.md, "Integer-only inference"): one line per output channel for a
# constant; the requantized (and pooled) levels laid out as out.txt.
HEADERS["requant_mult"] = HEADERS["requant_bias"] = HEADERS["requant_shift"] = (
    "#channel0[msb-lsb]#",
    "#channel1[msb-lsb]#",
    "#.....#",
)
HEADERS["requant_out"] = HEADERS["requant_pooled"] = HEADERS["output"]
HEADER_LINES = 3


class VectorRangeError(ValueError):
    """A value does not fit the field it is declared for."""


class VectorFormatError(ValueError):
    """A vector file does not follow FORMATS.md."""


def field_range(bits: int, signed: bool) -> tuple[int, int]:
    if signed:
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def bits_needed(low: int, high: int, signed: bool) -> int:
    """The narrowest field width whose range holds every value in [low, high]."""
    bits = 1
    while not field_range(bits, signed)[0] <= low <= high <= field_range(bits, signed)[1]:
        bits += 1
    return bits


def check_range(values: np.ndarray, bits: int, signed: bool, where: str) -> None:
    """Raise VectorRangeError naming ``where``, the first offending file line and field, and the value.

    ``values`` is (lines, fields) as written to a file: line i lands on file line i + 4 (after the
    headers) and field j is the j-th field counted from the right.
    """
    low, high = field_range(bits, signed)
    bad = np.argwhere((values < low) | (values > high))
    if bad.size:
        line, field = (int(i) for i in bad[0])
        kind = "signed" if signed else "unsigned"
        raise VectorRangeError(
            f"{where}: line {line + HEADER_LINES + 1} field {field}: value {int(values[line, field])} "
            f"does not fit a {bits}-bit {kind} field [{low}, {high}] ({len(bad)} value(s) out of range)"
        )


def encode(values: np.ndarray, bits: int, signed: bool, where: str) -> bytes:
    """(lines, fields) integers, field 0 lowest -> the file body (no headers)."""
    values = np.asarray(values, dtype=np.int64)
    if values.ndim != 2:
        raise ValueError(f"{where}: expected (lines, fields) values, got shape {values.shape}")
    check_range(values, bits, signed, where)
    # two's complement for negatives, after the range check (int64 already holds a 64-bit field's pattern)
    unsigned = values & ((1 << bits) - 1) if bits < 64 else values
    shifts = np.arange(bits - 1, -1, -1, dtype=np.int64)
    digits = (unsigned[:, ::-1, None] >> shifts) & 1  # (lines, fields high->low, bits MSB->LSB)
    chars = (digits.reshape(values.shape[0], -1) + ord("0")).astype(np.uint8)
    newline = np.full((values.shape[0], 1), ord("\n"), dtype=np.uint8)
    return np.concatenate([chars, newline], axis=1).tobytes()


def write_vectors(path: Path, kind: str, values: np.ndarray, bits: int, signed: bool, tensor: str) -> None:
    """Write one vector file; ``tensor`` names what the values are, for range errors."""
    body = encode(values, bits, signed, f"{path} ({tensor})")
    header = "".join(line + "\n" for line in HEADERS[kind]).encode()
    Path(path).write_bytes(header + body)


def read_vectors(path: Path, bits: int, signed: bool, fields: int | None = None) -> np.ndarray:
    """Parse a vector file into (lines, fields) int64, field 0 = the rightmost field of a line."""
    path = Path(path)
    text = path.read_bytes().decode("ascii", errors="replace")
    if not text.endswith("\n"):
        raise VectorFormatError(f"{path}: last line has no '\\n' ending")
    lines = text.split("\n")[:-1]
    if len(lines) < HEADER_LINES:
        raise VectorFormatError(f"{path}: {len(lines)} line(s), expected {HEADER_LINES} header lines first")
    for number, line in enumerate(lines[:HEADER_LINES], start=1):
        if not line.startswith("#") or any(ch.isspace() for ch in line):
            raise VectorFormatError(f"{path}:{number}: header line must start with '#' and hold no whitespace")
    body = lines[HEADER_LINES:]
    width = len(body[0]) if body else 0
    if fields is not None:
        width = fields * bits
    for number, line in enumerate(body, start=HEADER_LINES + 1):
        if len(line) != width or width % bits or width == 0:
            raise VectorFormatError(
                f"{path}:{number}: line has {len(line)} characters, expected {width} "
                f"(a whole number of {bits}-bit fields)"
            )
        if line.strip("01"):
            raise VectorFormatError(f"{path}:{number}: line holds characters other than 0 and 1")
    if not body:
        return np.zeros((0, fields or 0), dtype=np.int64)
    digits = np.frombuffer("".join(body).encode(), dtype=np.uint8).reshape(len(body), -1, bits) - ord("0")
    weights = np.left_shift(np.uint64(1), np.arange(bits - 1, -1, -1, dtype=np.uint64))
    unsigned = (digits.astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)[:, ::-1]
    if signed and bits == 64:
        return unsigned.astype(np.int64)  # reinterprets the 64-bit two's complement pattern
    unsigned = unsigned.astype(np.int64)
    if signed:
        return np.where(unsigned >= 2 ** (bits - 1), unsigned - 2**bits, unsigned)
    return unsigned


class ManifestError(ValueError):
    """The manifest does not describe a vector set this core can run."""


def load_manifest(manifest_path: Path) -> dict:
    manifest_path = Path(manifest_path)
    try:
        return json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ManifestError(f"{manifest_path}: cannot read manifest: {error}") from error
