"""Bit-exact comparison of what the core produced with a layer's vector files, every mismatch named
by file, line and field (FORMATS.md: line numbers count the header lines, field 0 is a line's
rightmost field)."""
from __future__ import annotations

import numpy as np

from qaccel.export.vectors import HEADER_LINES

from .vector_set import Expectation


def _mismatch(expectation: Expectation, line: int, field: int, got) -> dict:
    return {"file": str(expectation.path), "kind": expectation.kind,
            "line": int(expectation.lines[line]) + HEADER_LINES + 1, "field": field,
            "expected": int(expectation.values[line, field]), "got": got,
            "produced": expectation.produced, "item": int(expectation.items[line, field]),
            "lane": int(expectation.lanes[line, field])}


def locate(expectations: list[Expectation], produced: str, item: int, lane: int, got: int) -> dict | None:
    """The expected value at (item, lane) of what the core produced, as a mismatch record."""
    for expectation in expectations:
        if expectation.produced != produced:
            continue
        hit = np.argwhere((expectation.items == item) & (expectation.lanes == lane))
        if hit.size:
            line, field = (int(i) for i in hit[0])
            return _mismatch(expectation, line, field, got)
    return None


def compare(expectations: list[Expectation], produced: dict[str, np.ndarray]) -> tuple[dict | None, int, int]:
    """(first mismatch, mismatches, values checked) over the expectations of the arrays in
    ``produced`` (e.g. "raw", "out": (items, lanes) arrays), in file order."""
    first, mismatches, checked = None, 0, 0
    for expectation in expectations:
        if expectation.produced not in produced:
            continue
        got = produced[expectation.produced][expectation.items, expectation.lanes]
        bad = got != expectation.values
        checked += bad.size
        mismatches += int(bad.sum())
        if first is None and bad.any():
            line, field = (int(i) for i in np.argwhere(bad)[0])
            first = _mismatch(expectation, line, field, int(got[line, field]))
    return first, mismatches, checked


def describe(mismatch: dict) -> str:
    where = {"stream": f"array output row {mismatch['item']}", "raw": f"accumulator, output pixel {mismatch['item']}",
             "out": f"ReLU'd read-out, output pixel {mismatch['item']}"}[mismatch["produced"]]
    return (f"{mismatch['file']}:{mismatch['line']} field {mismatch['field']} ({mismatch['kind']}): expected "
            f"{mismatch['expected']}, got {mismatch['got']} ({where}, lane {mismatch['lane']})")
