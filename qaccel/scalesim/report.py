"""SCALE-Sim's report CSVs read back, layer by layer.

Its ``get_total_cycles()`` is broken in 3.0.0 (it indexes a method); the report files are the
tool's output. "Total Cycles" is the index of the cycle in which the last output is written
(cycles are counted from 0), "Total Cycles (incl. prefetch)" adds the first loads from DRAM; SRAM
reads and writes are words between the array and the SRAMs, DRAM reads and writes words between
the SRAMs and DRAM.
"""
from __future__ import annotations

from pathlib import Path

COMPUTE_REPORT = "COMPUTE_REPORT.csv"
ACCESS_REPORT = "DETAILED_ACCESS_REPORT.csv"

# SCALE-Sim's column -> qaccel's key (None: not kept).
COMPUTE_COLUMNS = {
    "LayerID": "scalesim_layer",
    "Total Cycles (incl. prefetch)": "cycles_with_prefetch",
    "Total Cycles": "cycles",
    "Stall Cycles": "stall_cycles",
    "Overall Util %": "utilisation_percent",
    "Mapping Efficiency %": "mapping_efficiency_percent",
    "Compute Util %": "compute_utilisation_percent",
}
ACCESS_COLUMNS = {"LayerID": "scalesim_layer"}
for _memory, _operands in (("SRAM", (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes"))),
                           ("DRAM", (("IFMAP", "Reads"), ("Filter", "Reads"), ("OFMAP", "Writes")))):
    for _operand, _access in _operands:
        ACCESS_COLUMNS[f"{_memory} {_operand} Start Cycle"] = None
        ACCESS_COLUMNS[f"{_memory} {_operand} Stop Cycle"] = None
        ACCESS_COLUMNS[f"{_memory} {_operand} {_access}"] = f"{_memory.lower()}_{_operand.lower()}_{_access.lower()}"
# Whole numbers; the percentages are the only fractions.
FRACTIONS = {"utilisation_percent", "mapping_efficiency_percent", "compute_utilisation_percent"}


def _number(text: str, key: str, where: str):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {key} is {text!r}, not a number") from None
    if key in FRACTIONS:
        return value
    if not value.is_integer():
        raise ValueError(f"{where}: {key} is {text!r}, not a whole number")
    return int(value)


def read_report(path: Path, columns: dict[str, str | None]) -> list[dict]:
    """The rows of one SCALE-Sim report, its header checked against ``columns`` (in order)."""
    lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path}: empty, SCALE-Sim wrote no header")
    # SCALE-Sim ends every line with a comma.
    header = [field.strip() for field in lines[0].rstrip().rstrip(",").split(",")]
    if header != list(columns):
        raise ValueError(f"{path}: columns {header}, expected SCALE-Sim 3.0.0's {list(columns)}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = [field.strip() for field in line.rstrip().rstrip(",").split(",")]
        if len(fields) != len(header):
            raise ValueError(f"{path} line {number}: {len(fields)} fields, the header has {len(header)}")
        rows.append({key: _number(field, key, f"{path} line {number}")
                     for key, field in zip(columns.values(), fields) if key is not None})
    return rows


def read_layers(run_dir: Path, layers: list[int]) -> dict[int, dict]:
    """Per layer (model.features index, in the topology's order): SCALE-Sim's cycles and traffic."""
    compute = read_report(Path(run_dir) / COMPUTE_REPORT, COMPUTE_COLUMNS)
    access = read_report(Path(run_dir) / ACCESS_REPORT, ACCESS_COLUMNS)
    for name, rows in ((COMPUTE_REPORT, compute), (ACCESS_REPORT, access)):
        found = [row["scalesim_layer"] for row in rows]
        if found != list(range(len(layers))):
            raise ValueError(f"{Path(run_dir) / name}: layer ids {found}, expected 0..{len(layers) - 1} "
                             f"for the topology's layers {layers}")
    return {layer: {**compute_row, **access_row}
            for layer, compute_row, access_row in zip(layers, compute, access)}
