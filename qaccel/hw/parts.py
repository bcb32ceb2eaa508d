"""The ECP5 parts the core is placed on: nextpnr's option for each, its resources, and the check that
a core's synthesis cells fit them."""
from __future__ import annotations

# nextpnr's device option of each part, and the resources it offers as nextpnr-ecp5 0.11 reports
# them (--report "available").
PARTS = {
    "LFE5U-85F": {
        "option": "--85k",
        "capacity": {"TRELLIS_COMB": 83640, "TRELLIS_FF": 83640, "TRELLIS_RAMW": 10455, "DP16KD": 208,
                     "MULT18X18D": 156},
    },
}
# The synthesis cells checked against the part, and the nextpnr resource each takes at least one
# of: a LUT4 a TRELLIS_COMB, a distributed RAM (TRELLIS_DPR16X4) its write port TRELLIS_RAMW.
CELL_RESOURCE = {"LUT4": "TRELLIS_COMB", "TRELLIS_FF": "TRELLIS_FF", "TRELLIS_DPR16X4": "TRELLIS_RAMW",
                 "DP16KD": "DP16KD", "MULT18X18D": "MULT18X18D"}


class DoesNotFit(RuntimeError):
    """The core needs more of a resource than the part has."""


def part_option(part: str) -> str:
    if part not in PARTS:
        raise ValueError(f"part {part!r}: nextpnr options known for {', '.join(PARTS)}")
    return PARTS[part]["option"]


def fit_check(resources: dict[str, int], part: str, core: str, detail: str = "") -> None:
    """Refuse a core whose synthesis cells outnumber the part's resources, naming each one."""
    part_option(part)
    capacity = PARTS[part]["capacity"]
    over = [f"{cell} {resources[cell]} > {capacity[resource]} {resource}"
            for cell, resource in CELL_RESOURCE.items() if resources.get(cell, 0) > capacity[resource]]
    if over:
        raise DoesNotFit(f"core {core} does not fit {part}: " + "; ".join(over) + detail)


def placeable(report: dict) -> None:
    """Refuse to place a core whose synthesis (qaccel.hw.synth) found that it does not fit its part."""
    if not report["ecp5"]["fits"]:
        raise DoesNotFit(report["ecp5"]["refused"])
