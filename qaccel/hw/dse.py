"""The design-space sweep's table: per array and dataflow, the whole network's cycles on that array's
own core beside the core's synthesis, place and route and energy per image; and which points no
other point beats (the Pareto front) on speed or energy against area.

Speed needs a clock: images/s = fmax / cycles per image where the core was placed and routed; a core
that does not fit the part has no fmax, so its speed is given per million cycles, which any clock
scales alike. Area is Yosys's generic mapping in NAND2 equivalents (every core has one), and ECP5
LUT4s where the core fits the part.
"""
from __future__ import annotations

import csv
from pathlib import Path

# summary.tsv's columns, in this order (None is written as an empty field)
COLUMNS = ("core", "rows", "cols", "dataflow", "images", "cycles_per_image", "ideal_cycles_per_image", "utilisation",
           "images_per_mcycle", "fmax_mhz", "images_per_s", "energy_uj_per_image", "psum_bits", "psum_bits_needed",
           "nand2_equivalents", "memory_bits", "fits", "lut4", "trellis_ff", "dp16kd", "mult18x18d",
           "pareto_mcycle_gates", "pareto_energy_gates", "pareto_speed_luts", "does_not_fit")
ECP5_COLUMNS = {"lut4": "LUT4", "trellis_ff": "TRELLIS_FF", "dp16kd": "DP16KD", "mult18x18d": "MULT18X18D"}


def _mean_per_image(shard: dict, total) -> float:
    """The mean over the shard's images of ``total(image)``."""
    return sum(total(image) for image in shard["images"]) / len(shard["images"])


def point(core: str, shard: dict, synth: dict, pnr: dict | None) -> dict:
    """One row of the sweep: ``shard`` is the array's whole-network run (qaccel.network.shard) in one
    dataflow, ``synth`` and ``pnr`` its core's hw_synth and hw_pnr reports (pnr None: not placed)."""
    exact = [image["image"] for image in shard["images"] if image["rtl"] != image["integer_only"]]
    if exact:
        raise ValueError(f"core {core} {shard['dataflow']}: the RTL's class differs from the integer-only path's on "
                         f"images {exact}")
    parameters = synth["parameters"]
    cycles = _mean_per_image(shard, lambda image: sum(image["cycles"].values()))
    ideal = sum(layer["ideal_cycles"] for layer in shard["layers"])
    ecp5 = synth["ecp5"]
    fmax = pnr["fmax_mhz"] if pnr is not None else None
    return {
        "core": core, "rows": parameters["ROWS"], "cols": parameters["COLS"], "dataflow": shard["dataflow"],
        "images": len(shard["images"]),
        "cycles_per_image": cycles,
        "ideal_cycles_per_image": ideal,
        "utilisation": round(ideal / cycles, 4),
        "images_per_mcycle": round(1e6 / cycles, 4),
        "fmax_mhz": fmax,
        "images_per_s": round(fmax * 1e6 / cycles, 2) if fmax is not None else None,
        "energy_uj_per_image": round(_mean_per_image(
            shard, lambda image: sum(layer["total"] for layer in image["energy_uj"].values())), 3),
        "psum_bits": parameters["PSUM_BITS"],
        "psum_bits_needed": max(layer["psum_bits"] for layer in shard["layers"]),
        "nand2_equivalents": synth["generic"]["nand2_equivalents"],
        "memory_bits": synth["generic"]["memory_bits"],
        "fits": ecp5["fits"],
        **{column: ecp5["resources"][name] if ecp5["fits"] else None for column, name in ECP5_COLUMNS.items()},
        "does_not_fit": None if ecp5["fits"] else ecp5["refused"],
    }


def non_dominated(points: list[tuple[float, float]]) -> list[bool]:
    """For each (cost, benefit), whether no other point has at most its cost and at least its benefit,
    one of them strictly."""
    return [not any(other_cost <= cost and other_benefit >= benefit and (other_cost, other_benefit) != (cost, benefit)
                    for other_cost, other_benefit in points)
            for cost, benefit in points]


def mark_pareto(rows: list[dict]) -> list[dict]:
    """``rows`` with their Pareto flags: speed per cycle and energy against NAND2 equivalents (all
    rows), images/s against LUT4 (placed rows; None for the others)."""
    fronts = {
        "pareto_mcycle_gates": [(row["nand2_equivalents"], row["images_per_mcycle"]) for row in rows],
        "pareto_energy_gates": [(row["nand2_equivalents"], -row["energy_uj_per_image"]) for row in rows],
    }
    marked = [dict(row) for row in rows]
    for flag, points in fronts.items():
        for row, best in zip(marked, non_dominated(points)):
            row[flag] = best
    placed = [row for row in marked if row["images_per_s"] is not None]
    for row, best in zip(placed, non_dominated([(row["lut4"], row["images_per_s"]) for row in placed])):
        row["pareto_speed_luts"] = best
    for row in marked:
        row.setdefault("pareto_speed_luts", None)
    return marked


def write_table(rows: list[dict], path: str | Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(["" if row[column] is None else row[column] for column in COLUMNS])
