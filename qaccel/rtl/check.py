"""Bit-exact comparison of the memories read back from the core against a layer's vector files."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qaccel.vectors import HEADER_LINES

from .program import Expectation


@dataclass
class MemoryImage:
    """Words read back from one memory: ``lanes[word, lane]`` signed, ``known[word]`` False where
    the simulator returned X or Z bits (never written, or computed from unknown data)."""

    lanes: np.ndarray
    known: np.ndarray


def split_lanes(words: list[int | None], lanes: int, bits: int) -> MemoryImage:
    """Unpack words (None = unknown) into signed lanes, lane 0 from the low bits."""
    mask = (1 << bits) - 1
    values = np.zeros((len(words), lanes), dtype=np.int64)
    for index, word in enumerate(words):
        if word is not None:
            values[index] = [(word >> (lane * bits)) & mask for lane in range(lanes)]
    values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values)
    return MemoryImage(values, np.array([word is not None for word in words], dtype=bool))


def compare(expectations: list[Expectation], memories: dict[str, MemoryImage]) -> tuple[dict | None, int, int]:
    """Return (first mismatch, mismatch count, values checked), in file order, line by line.

    A mismatch names the file, its 1-based line number (header lines counted), the field (0 = the
    rightmost field of the line, as in FORMATS.md), the expected value and what the hardware
    holds ("x" for unknown bits), plus the memory, word address and lane it was read from.
    """
    first = None
    mismatches = 0
    checked = 0
    for expectation in expectations:
        image = memories[expectation.memory]
        known = image.known[expectation.addresses]
        got = image.lanes[expectation.addresses, expectation.lanes]
        if expectation.relu_on_read:
            got = np.maximum(got, 0)
        bad = ~known | (got != expectation.values)
        checked += expectation.values.size
        mismatches += int(bad.sum())
        if first is None and bad.any():
            line, field = (int(i) for i in np.argwhere(bad)[0])
            first = {
                "file": str(expectation.path),
                "kind": expectation.kind,
                "line": line + HEADER_LINES + 1,
                "field": field,
                "expected": int(expectation.values[line, field]),
                "got": int(got[line, field]) if known[line, field] else "x",
                "memory": expectation.memory,
                "address": int(expectation.addresses[line, field]),
                "lane": int(expectation.lanes[line, field]),
            }
    return first, mismatches, checked


def describe(mismatch: dict) -> str:
    return (f"{mismatch['file']}:{mismatch['line']} field {mismatch['field']}: expected {mismatch['expected']}, "
            f"got {mismatch['got']} ({mismatch['memory']} memory word {mismatch['address']} lane "
            f"{mismatch['lane']})")
